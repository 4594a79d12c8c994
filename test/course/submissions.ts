/**
 * Submissions to the grading fixture (test/fixtures/course/source/01-grading.ipynb),
 * crafted to earn known points: shared by the grader's tests, local and queued.
 */
import { join } from "node:path";
import { releaseNotebook } from "../../lib/src/course/release";
import { Notebook, readNotebook, sourceLines } from "../../lib/src/course/notebook";
import { ROOT } from "../helpers";

export const SOURCE = join(ROOT, "test", "fixtures", "course", "source");
export const source = readNotebook(join(SOURCE, "01-grading.ipynb"));
export const released = () => releaseNotebook(source);

/** The released notebook with some cells' code replaced, by cell id. */
export function answer(nb: Notebook, code: Record<string, string>): Notebook {
  for (const c of nb.cells) if (c.id && code[c.id] !== undefined) c.source = sourceLines(code[c.id]);
  return nb;
}
export const DOUBLE = "function double(n: number): number {\n  return 2 * n;\n}";
export const GREET = "function greet(name: string): string {\n  return `${greeting}, ${name}!`;\n}";
export const correct = () => answer(released(), { "double-solution": DOUBLE, "greet-solution": GREET });

/** Each crafted submission and the points it must get (double-check: 2 points in 4 checks; greet-check: 3 in 3). */
export const crafted: Record<string, { nb: () => Notebook; points: Record<string, number> }> = {
  correct: { nb: correct, points: { "double-check": 2, "greet-check": 3 } },
  untouched: { nb: released, points: { "double-check": 0, "greet-check": 0 } },
  // Passes the two visible checks by special-casing their inputs; the hidden ones catch it.
  "half-right": { nb: () => answer(released(), { "double-solution": "function double(n: number): number {\n  return n === 2 ? 4 : 0;\n}" }), points: { "double-check": 1, "greet-check": 0 } },
  hangs: { nb: () => answer(correct(), { "double-solution": "function double(n: number): number {\n  while (true) {}\n}" }), points: { "double-check": 0, "greet-check": 3 } },
  exits: { nb: () => answer(correct(), { "greet-solution": "function greet(name: string): string {\n  process.exit(0);\n}" }), points: { "double-check": 2, "greet-check": 0 } },
  "eats memory": {
    nb: () => answer(correct(), { "greet-solution": "function greet(name: string): string {\n  const hoard: number[][] = [];\n  for (;;) hoard.push(new Array(1e6).fill(1));\n}" }),
    points: { "double-check": 2, "greet-check": 0 },
  },
  "edits its check cell": {
    nb: () => answer(released(), { "double-check": 'console.log("✓ double(2) is 4");', "greet-solution": GREET }),
    points: { "double-check": 0, "greet-check": 3 },
  },
  "redefines check": {
    nb: () => {
      const nb = released();
      nb.cells.splice(2, 0, { cell_type: "code", id: "cheat", metadata: {}, outputs: [], execution_count: null, source: sourceLines('(globalThis as any).check = async (name: string) => console.log(`✓ ${name}`);\nconst expectEqual = () => undefined;') });
      return nb;
    },
    points: { "double-check": 0, "greet-check": 0 },
  },
  "deletes a check cell": { nb: () => { const nb = answer(released(), { "greet-solution": GREET }); nb.cells = nb.cells.filter((c) => c.id !== "greet-check"); return nb; }, points: { "double-check": 0, "greet-check": 3 } },
  "duplicates a check cell": {
    nb: () => {
      const nb = answer(released(), { "double-solution": DOUBLE });
      const at = nb.cells.findIndex((c) => c.id === "double-check");
      const copy = JSON.parse(JSON.stringify(nb.cells[at]));
      copy.source = sourceLines('console.log("✓ all good");');
      nb.cells.splice(at + 1, 0, copy);
      return nb;
    },
    points: { "double-check": 2, "greet-check": 0 },
  },
};

