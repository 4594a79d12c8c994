/**
 * The lecture builders with bad input: a notebook with no slide metadata, and a
 * lesson whose cell fails. (The good path is test/notebooks.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportSlides } from "../../scripts/export";
import { executeLesson, layout } from "../../scripts/build";

function notebook(dir: string, name: string, cells: Array<{ type: "markdown" | "code"; source: string }>): string {
  const path = join(dir, `${name}.ipynb`);
  writeFileSync(path, JSON.stringify({
    cells: cells.map((c) => ({ cell_type: c.type, metadata: {}, source: c.source, ...(c.type === "code" ? { outputs: [], execution_count: null } : {}) })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  }));
  return path;
}

describe("the lecture builders, given bad input", () => {
  it("a notebook with no slide metadata becomes one slide per cell, with a warning naming it", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-noslides-"));
    const path = notebook(dir, "99-plain", [
      { type: "markdown", source: "# 99 · Plain: does it export?" },
      { type: "markdown", source: "Second cell." },
      { type: "code", source: "1 + 1" },
    ]);
    const deck = await exportSlides(path, dir);
    expect(deck.ok, deck.log).toBe(true);
    expect(deck.warnings).toEqual([expect.stringContaining("99-plain: no slideshow metadata")]);
    expect((readFileSync(deck.path, "utf8").match(/<section>/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it("a lesson whose cell fails is reported with the cell and tslab's own message, and leaves no executed copy", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-broken-"));
    const path = notebook(dir, "98-broken", [
      { type: "markdown", source: "# 98 · Broken: what does a failure say?" },
      { type: "code", source: "const ok = 1;" },
      { type: "code", source: "const n: number = \"not a number\";" },
    ]);
    const out = layout(mkdtempSync(join(tmpdir(), "applayer-broken-build-")));
    const lesson = await executeLesson(path, out, { fresh: true });
    expect(lesson.ok).toBe(false);
    expect(lesson.problems.join("\n")).toMatch(/cell 3/);
    expect(lesson.problems.join("\n")).toMatch(/not assignable to type 'number'/);
    expect(existsSync(lesson.executed)).toBe(false);
  });
});
