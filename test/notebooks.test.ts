/**
 * Every lesson notebook executes headless through Jupyter with the project's tslab
 * kernel (self-checks strict), every chart carries its SVG, and every notebook has
 * at least two graded exercises marked the nbgrader way.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chartProblems, executeNotebook, listNotebooks, readCells, sourceOf } from "../scripts/notebooks";

const notebooks = listNotebooks();
const out = mkdtempSync(join(tmpdir(), "applayer-nb-"));

describe("lesson notebooks", () => {
  it("exist", () => expect(notebooks.length).toBeGreaterThan(0));

  describe.each(notebooks.map((p) => [p.split("/").pop()!, p]))("%s", (_name, path) => {
    it("opens with a question and has at least two graded exercises with solution markers", () => {
      const cells = readCells(path);
      expect(cells[0].cell_type).toBe("markdown");
      expect(sourceOf(cells[0])).toMatch(/\?/);
      const solutions = cells.filter((c) => c.metadata.nbgrader?.solution === true);
      const graded = cells.filter((c) => c.metadata.nbgrader?.grade === true);
      expect(solutions.length).toBeGreaterThanOrEqual(2);
      expect(graded.length).toBeGreaterThanOrEqual(2);
      for (const c of solutions) expect(sourceOf(c)).toMatch(/\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/);
      for (const c of graded) expect(sourceOf(c)).toMatch(/\bcheck\(/);
    });

    it("executes through Jupyter + tslab without a failing cell, every chart with its SVG", { timeout: 300_000 }, async () => {
      const ex = await executeNotebook(path, out);
      expect(ex.ok, ex.log).toBe(true);
      expect(chartProblems(ex.executed)).toEqual([]);
    });
  });
});
