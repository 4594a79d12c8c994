/**
 * The lessons keep their reading style as students get them (the release: no
 * solution, no hidden test, no talking point): small code cells, and prose
 * before most of them. Assignments are written in steps, not as one long cell.
 */
import { describe, expect, it } from "vitest";
import { basename } from "node:path";
import { listNotebooks } from "../scripts/notebooks";
import { readNotebook, sourceOf } from "../lib/src/course/notebook";
import { releaseNotebook } from "../lib/src/course/release";

/** The style's limits: the median and 90th-percentile code cell, in lines, and the share of code cells right after prose. */
const READING = { medianLines: 5, p90Lines: 12, afterProse: 0.75 };

/** The q-quantile (nearest rank) of sorted numbers. */
const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];

function style(path: string) {
  const cells = releaseNotebook(readNotebook(path)).cells;
  const code = cells.flatMap((c, i) => (c.cell_type === "code" ? [i] : []));
  const lines = code.map((i) => sourceOf(cells[i]).trimEnd().split("\n").length).sort((a, b) => a - b);
  const afterProse = code.filter((i) => i > 0 && cells[i - 1].cell_type === "markdown").length / code.length;
  return { median: quantile(lines, 0.5), p90: quantile(lines, 0.9), afterProse: Math.round(afterProse * 100) / 100 };
}

describe("the lessons' reading style, in the student release", () => {
  it("measures what it should: the quantiles of a known list", () => {
    expect([quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), quantile([7], 0.9)]).toEqual([5, 9, 7]);
  });
  it.each(listNotebooks().map((p) => basename(p, ".ipynb")))("%s: median code cell ≤ 5 lines, p90 ≤ 12, three in four code cells right after prose", (name) => {
    const s = style(listNotebooks().find((p) => basename(p, ".ipynb") === name)!);
    expect({ measured: s, medianOk: s.median <= READING.medianLines, p90Ok: s.p90 <= READING.p90Lines, afterProseOk: s.afterProse >= READING.afterProse }).toMatchObject({ medianOk: true, p90Ok: true, afterProseOk: true });
  });
});
