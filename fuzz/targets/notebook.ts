/** The "notebook" fuzz target. */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseNotebook, sourceOf } from "../../lib/src/course/notebook";
import { gradeIdOf, isLocked } from "../../lib/src/course/format";
import { lintNotebook } from "../../lib/src/course/lint";
import { releaseNotebook } from "../../lib/src/course/release";
import { sanitizeSubmission } from "../../lib/src/course/sanitize";
import { inputsFrom } from "../mutate";
import { expect, refusesCleanly, ROOT, Target } from "./contract";

const cellArb = fc.record({
  cell_type: fc.constantFrom("code", "markdown", "raw", "bogus"),
  source: fc.oneof(fc.array(fc.constantFrom("// BEGIN SOLUTION\n", "// END SOLUTION\n", "// BEGIN HIDDEN TESTS\n", "// END HIDDEN TESTS\n", "check(1 + 1, 2);\n", "const x = 1;\n", "### BEGIN SOLUTION\n", "  // BEGIN SOLUTION\n", "\n"), { maxLength: 8 }), fc.string({ maxLength: 40 })),
  metadata: fc.record({ nbgrader: fc.option(fc.record({ grade: fc.boolean(), solution: fc.boolean(), locked: fc.boolean(), grade_id: fc.constantFrom("q1", "q2", "q1", "", "a b"), points: fc.oneof(fc.nat(10), fc.double()), schema_version: fc.constantFrom(3, 1) }, { requiredKeys: [] }), { nil: undefined }) }, { requiredKeys: [] }),
  outputs: fc.constant([]),
  execution_count: fc.constant(null),
}, { requiredKeys: ["cell_type", "source"] });
const notebookArb = fc.record({ cells: fc.array(cellArb, { maxLength: 6 }), metadata: fc.constant({ kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } }), nbformat: fc.constantFrom(4, 3), nbformat_minor: fc.nat(5) })
  .map((nb) => Buffer.from(JSON.stringify(nb)));

let source: ReturnType<typeof parseNotebook> | undefined;
export const notebook: Target = {
  name: "notebook",
  what: "the course's notebook handling: reading .ipynb JSON, linting nbgrader cells, releasing, and sanitizing a submission against its source",
  files: ["course/notebook.ts", "course/lint.ts", "course/format.ts", "course/release.ts", "course/sanitize.ts"],
  inputs: (seeds) => inputsFrom(seeds, notebookArb),
  check(input) {
    source ??= parseNotebook(readFileSync(join(ROOT, "test", "fixtures", "course", "source", "01-grading.ipynb"), "utf8"));
    const nb = refusesCleanly(() => parseNotebook(input.toString("utf8"), "fuzz.ipynb"), ["NOTEBOOK"]);
    if (!nb) return;
    refusesCleanly(() => lintNotebook(nb), []);
    refusesCleanly(() => releaseNotebook(nb), ["NOTEBOOK", "COURSE"]);
    const clean = refusesCleanly(() => sanitizeSubmission(nb, source!), ["NOTEBOOK", "COURSE"]);
    if (!clean) return;
    // Every locked cell of the source is back exactly once, as the source has it; no grade id is graded twice.
    for (const original of source.cells.filter(isLocked)) {
      const copies = clean.notebook.cells.filter((c) => gradeIdOf(c) === gradeIdOf(original));
      expect(copies.length === 1 && sourceOf(copies[0]) === sourceOf(original), `the locked cell "${gradeIdOf(original)}" is in the sanitized submission ${copies.length} times, or changed`);
    }
    const ids = clean.notebook.cells.map(gradeIdOf).filter((id) => id !== undefined);
    expect(new Set(ids).size === ids.length, `a grade id twice in the sanitized submission: ${ids.join(", ")}`);
  },
};
