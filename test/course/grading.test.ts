/**
 * The grader end to end, on a small exercise notebook (test/fixtures/course):
 * crafted submissions get exactly the points they deserve (a correct one, an
 * untouched one, a half-right one, one that hangs, one that exits, one that eats
 * all memory, one that edits
 * its check cell, one that redefines check, one that deletes a check cell, one
 * that duplicates it), bad files get a clear error while the class is still
 * graded, a rerun resumes, an override survives regrading, and neither the
 * feedback nor the Gradescope export shows hidden-test code.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autograde } from "../../lib/src/course/autograde";
import { Gradebook } from "../../lib/src/course/gradebook";
import { writeFeedback } from "../../lib/src/course/feedback";
import { exportGradescope } from "../../lib/src/course/gradescope";
import { formatNotebook, sourceOf } from "../../lib/src/course/notebook";
import { CLI, run } from "../helpers";
import { SOURCE, answer, correct, crafted, source } from "./submissions";

const bad: Record<string, (dir: string) => void> = {
  "not JSON": (d) => writeFileSync(join(d, "01-grading.ipynb"), "{ this is not json"),
  "nbformat 3": (d) => writeFileSync(join(d, "01-grading.ipynb"), JSON.stringify({ nbformat: 3, worksheets: [] })),
  "a notebook of another course": (d) => writeFileSync(join(d, "07-renamed.ipynb"), formatNotebook(correct())),
  "an empty folder": () => undefined,
  "the wrong kernel": (d) => writeFileSync(join(d, "01-grading.ipynb"), formatNotebook({ ...correct(), metadata: { kernelspec: { name: "python3" } } })),
  "a huge file": (d) => writeFileSync(join(d, "01-grading.ipynb"), formatNotebook(answer(correct(), { imports: `import { check, expect, expectEqual } from "applayer";\nconst greeting = "Hello";\n// ${"x".repeat(3 * 1024 * 1024)}` }))),
};

const root = mkdtempSync(join(tmpdir(), "applayer-grading-"));
const submissions = join(root, "submitted");
const out = join(root, "out");
const limits = { cellTimeoutMs: 15_000, maxSubmissionBytes: 2 * 1024 * 1024, memoryMb: 400 };
let first: Awaited<ReturnType<typeof autograde>>;

beforeAll(async () => {
  for (const [student, c] of Object.entries(crafted)) {
    mkdirSync(join(submissions, student), { recursive: true });
    writeFileSync(join(submissions, student, "01-grading.ipynb"), formatNotebook(c.nb()));
  }
  for (const [student, make] of Object.entries(bad)) {
    mkdirSync(join(submissions, student), { recursive: true });
    make(join(submissions, student));
  }
  first = await autograde({ source: SOURCE, submissions, out, jobs: 2, limits });
}, 240_000);

describe("autograde, crafted submissions", () => {
  it.each(Object.keys(crafted))("%s gets exactly its points", (student) => {
    const book = Gradebook.open(join(out, "gradebook.sqlite"));
    const rows = book.grades().filter((r) => r.student === student);
    book.close();
    expect(Object.fromEntries(rows.map((r) => [r.grade_id, r.points]))).toEqual(crafted[student].points);
  });

  it("says why a hanging or exiting submission lost its exercise", () => {
    const book = Gradebook.open(join(out, "gradebook.sqlite"));
    const reasons = Object.fromEntries(book.grades().filter((r) => r.points === 0).map((r) => [`${r.student}/${r.grade_id}`, r.reason]));
    book.close();
    expect(reasons["hangs/double-check"]).toMatch(/timed out after 15 s/);
    expect(reasons["exits/greet-check"]).toMatch(/exited with code 0/);
    expect(reasons["eats memory/greet-check"]).toMatch(/ran out of memory \(the kernel's cap is 400 MiB\)/);
  });

  it.each(Object.keys(bad))("%s: a clear error in the gradebook, and the rest of the class graded", (student) => {
    const book = Gradebook.open(join(out, "gradebook.sqlite"));
    const sub = book.submissions().filter((s) => s.student === student);
    book.close();
    expect(sub).toHaveLength(1);
    expect(sub[0].status).toBe("error");
    const expected: Record<string, RegExp> = {
      "not JSON": /not JSON/, "nbformat 3": /nbformat 3/, "a notebook of another course": /matches no notebook/,
      "an empty folder": /no \.ipynb file/, "the wrong kernel": /"python3" kernel/, "a huge file": /over the 2 MiB limit/,
    };
    expect(sub[0].reason).toMatch(expected[student]);
    expect(first).toMatchObject({ graded: Object.keys(crafted).length, failed: Object.keys(bad).length });
  });

  it("writes grades.csv with exactly its header and one row per student, notebook and check cell", () => {
    const csv = readFileSync(join(out, "grades.csv"), "utf8").trimEnd().split("\r\n");
    expect(csv[0]).toBe("student,notebook,grade_id,points,max_points,reason");
    expect(csv).toContain("correct,01-grading,double-check,2,2,");
    // 10 crafted × 2 check cells; the 6 bad ones score 0 on the 2 cells of the notebook they name, or on one "-" row.
    expect(csv.length - 1).toBe(10 * 2 + 2 * 4 + 2);
  });
});

describe("after grading", () => {
  it("a rerun skips what is graded; --force regrades; an override survives it", { timeout: 240_000 }, async () => {
    const again = await autograde({ source: SOURCE, submissions, out, jobs: 2, limits });
    expect(again).toMatchObject({ graded: 0, skipped: Object.keys(crafted).length, failed: Object.keys(bad).length });
    const book = Gradebook.open(join(out, "gradebook.sqlite"));
    book.override("untouched", "01-grading", "greet-check", 1.5, "partial credit by hand");
    book.close();
    const forced = await autograde({ source: SOURCE, submissions, out, jobs: 2, student: "untouched", force: true, limits });
    expect(forced).toMatchObject({ graded: 1, skipped: 0 });
    const after = Gradebook.open(join(out, "gradebook.sqlite"));
    const rows = after.grades().filter((r) => r.student === "untouched");
    after.close();
    expect(rows.map((r) => [r.grade_id, r.points, r.reason])).toEqual([["double-check", 0, expect.any(String)], ["greet-check", 1.5, "set by hand: partial credit by hand"]]);
  });

  it("feedback shows every check by name, hidden ones without their code or message", () => {
    expect(writeFeedback(out)).toBe(Object.keys(crafted).length + Object.keys(bad).length);
    const page = readFileSync(join(out, "feedback", "half-right", "01-grading.html"), "utf8");
    expect(page).toContain("double(21) is 42");
    expect(page).toMatch(/✗<\/span> double\(21\) is 42 <span class="hidden">\(hidden test\)<\/span><\/li>/);
    const hiddenCode = sourceOf(source.cells.find((c) => c.id === "double-check")!).split("// BEGIN HIDDEN TESTS")[1];
    for (const dir of readdirSync(join(out, "feedback"))) {
      for (const f of readdirSync(join(out, "feedback", dir))) {
        const html = readFileSync(join(out, "feedback", dir, f), "utf8");
        for (const line of hiddenCode.split("\n").filter((l) => l.includes("expectEqual"))) expect(html).not.toContain(line.trim());
        expect(html).not.toContain("expected 42");
      }
    }
  });

  it("exports Gradescope's results.json, hidden tests visible after publishing", () => {
    exportGradescope(out);
    const r = JSON.parse(readFileSync(join(out, "gradescope", "half-right", "01-grading", "results.json"), "utf8"));
    expect([r.score, r.max_score, r.tests.length]).toEqual([1, 5, 7]);
    const hidden = r.tests.find((t: { name: string }) => t.name === "double-check: double(21) is 42");
    expect(hidden).toMatchObject({ status: "failed", visibility: "after_published" });
    expect(hidden.output).toBeUndefined();
  });
});

describe("applayer course, for students and authors", () => {
  const course = (args: string[]) => run(process.execPath, [CLI, "course", ...args], "", { timeoutMs: 120_000 }).then((out) => ({ code: 0, out }), (e: Error) => ({ code: 1, out: e.message }));
  it("validate passes a correct notebook on its public checks, as the grader runs them", { timeout: 120_000 }, async () => {
    const r = await course(["validate", join(submissions, "correct", "01-grading.ipynb")]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("✓ double-check: 2 / 2");
    expect(r.out).toContain("5 / 5 points on the public checks");
  });
  it("validate warns about an edited check cell and fails an unfinished notebook", { timeout: 120_000 }, async () => {
    const r = await course(["validate", join(submissions, "edits its check cell", "01-grading.ipynb")]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('warning: the check cell "double-check" was changed');
    expect(r.out).toMatch(/✗ greet-check|✓ greet-check/);
  });
  it("lint runs the self-test of an exercise notebook", { timeout: 120_000 }, async () => {
    const r = await course(["lint", join(SOURCE, "01-grading.ipynb")]);
    expect(r.out).toContain("✓ 01-grading.ipynb: 2 exercises, 5 points, self-test run");
  });
  it("lint takes a folder for the lesson notebooks in it", { timeout: 60_000 }, async () => {
    const r = await course(["lint", "--no-run", SOURCE]);
    expect(r.out).toContain("✓ 01-grading.ipynb: 2 exercises, 5 points");
  });
});
