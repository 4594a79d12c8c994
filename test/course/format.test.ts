/**
 * The course format, pure: nbgrader's checksum, the markers, release, lint and
 * sanitizing a submission against its source.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, computeChecksum, pythonFloat, regions } from "../../lib/src/course/format";
import { lintNotebook } from "../../lib/src/course/lint";
import { Cell, Notebook, parseNotebook, readNotebook, sourceLines, sourceOf } from "../../lib/src/course/notebook";
import { releaseNotebook } from "../../lib/src/course/release";
import { sanitizeSubmission } from "../../lib/src/course/sanitize";
import { observedParts, referenceSource } from "../../lib/src/course/verdict";
import { isAppLayerError } from "../../lib/src/errors";
import { ROOT } from "../helpers";

const code = (source: string, nbgrader?: Cell["metadata"]["nbgrader"], id?: string): Cell => ({ cell_type: "code", id, source, metadata: nbgrader ? { nbgrader } : {}, outputs: [], execution_count: null });
const md = (source: string, id?: string): Cell => ({ cell_type: "markdown", id, source, metadata: {} });
const nb = (...cells: Cell[]): Notebook => ({ cells, metadata: { kernelspec: { name: "tslab" } }, nbformat: 4, nbformat_minor: 5 });
const fixture = readNotebook(join(ROOT, "test", "fixtures", "course", "source", "01-grading.ipynb"));

describe("nbgrader's checksum", () => {
  // Expected values from Python's hashlib over nbgrader's fields, e.g.
  // md5(b'await check("x", () => true);' + b"code" + b"True" + b"False" + b"True" + b"x-check" + b"2.0")
  it.each([
    [code('await check("x", () => true);', { grade: true, solution: false, locked: true, grade_id: "x-check", points: 2 }), "24896850b7b2fb6c926fb2ba1ebf1dcd"],
    [code('await check("x", () => true);', { grade: true, solution: false, grade_id: "x-check", points: 0.5 }), "0cc12926f6d8de2812778d60ccc6eb4d"],
    [code("function f() {}", { grade: false, solution: true, locked: true, grade_id: "f" }), "004cb47aa5892ed07245937414f2b5ca"],
  ])("matches nbgrader's algorithm (%#)", (cell, md5) => expect(computeChecksum(cell)).toBe(md5));
  it("writes points as Python's str(float(…))", () => expect([pythonFloat(2), pythonFloat(0.5), pythonFloat(10)]).toEqual(["2.0", "0.5", "10.0"]));
});

describe("markers", () => {
  it.each([
    [`a\n${BEGIN_SOLUTION}\nb\n${END_SOLUTION}\nc`, [{ begin: 1, end: 3 }], []],
    [`${END_SOLUTION}`, [], [`"${END_SOLUTION}" with no "${BEGIN_SOLUTION}" before it`]],
    [`${BEGIN_SOLUTION}\nx`, [], [`"${BEGIN_SOLUTION}" with no "${END_SOLUTION}" after it`]],
    [`${BEGIN_SOLUTION}\n${BEGIN_SOLUTION}\n${END_SOLUTION}`, [{ begin: 1, end: 2 }], [`"${BEGIN_SOLUTION}" inside another one (line 1)`]],
  ])("%j", (text, found, problems) => {
    const r = regions(text, BEGIN_SOLUTION, END_SOLUTION);
    expect(r.regions).toEqual(found);
    expect(r.problems.map((p) => p.problem)).toEqual(problems);
  });
});

describe("releaseNotebook", () => {
  const student = releaseNotebook(fixture);
  const text = student.cells.map(sourceOf).join("\n");
  it("keeps each signature and stubs the body; removes hidden tests; clears outputs", () => {
    expect(text).toContain("function double(n: number): number {\n  // YOUR CODE HERE\n  throw new Error(");
    expect(text).not.toContain("return 2 * n");
    expect(text).not.toContain("double(21)");
    for (const marker of [BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN]) expect(text).not.toContain(marker);
    expect(student.cells.every((c) => c.cell_type !== "code" || (c.outputs?.length === 0 && c.execution_count === null))).toBe(true);
  });
  it("locks the check cells in the Notebook and writes every exercise cell's checksum", () => {
    const checkCell = student.cells.find((c) => c.id === "double-check")!;
    expect(checkCell.metadata).toMatchObject({ editable: false, deletable: false, nbgrader: { schema_version: 3, locked: true, checksum: computeChecksum(checkCell) } });
    expect(student.cells.find((c) => c.id === "double-solution")!.metadata.editable).toBeUndefined();
  });
  it("with solutions, keeps answers and hidden tests", () => {
    const all = releaseNotebook(fixture, { solutions: true }).cells.map(sourceOf).join("\n");
    expect(all).toContain("return 2 * n");
    expect(all).toContain("double(21)");
  });
});

describe("lintNotebook", () => {
  const solution = (id: string, body = `  ${BEGIN_SOLUTION}\n  return 1;\n  ${END_SOLUTION}`) => code(`function f() {\n${body}\n}`, { solution: true, grade_id: id });
  const checkCell = (id: string, points: number | undefined = 1, text = 'await check("f", () => f() === 1);') => code(text, { grade: true, locked: true, grade_id: id, points });
  it("passes a well-formed notebook and sums its points", () => {
    expect(lintNotebook(fixture)).toMatchObject({ problems: [], totalPoints: 5, exercises: [{ gradeId: "double-check", points: 2, checks: 4 }, { gradeId: "greet-check", points: 3, checks: 3 }] });
  });
  it.each([
    ["a duplicated grade id", nb(solution("f"), checkCell("c"), solution("g"), checkCell("c")), /grade_id "c" is used again \(first in cell 2\)/],
    ["a solution with no check after it", nb(solution("f"), solution("g"), checkCell("c")), /cell 1: this solution has no check cell after it/],
    ["a check cell without points", nb(solution("f"), checkCell("c", 0)), /needs points > 0/],
    ["a check cell that checks nothing", nb(solution("f"), checkCell("c", 1, "console.log(1)")), /runs no check/],
    ["a marker in a cell of the wrong kind", nb(code(`${BEGIN_SOLUTION}\n${END_SOLUTION}`), solution("f"), checkCell("c")), /is not a solution cell/],
    ["hidden tests outside a check cell", nb(solution("f", `  ${BEGIN_SOLUTION}\n  ${BEGIN_HIDDEN}\n  ${END_HIDDEN}\n  ${END_SOLUTION}`), checkCell("c")), /is not a check cell/],
    ["a solution region at the top level", nb(code(`${BEGIN_SOLUTION}\nconst x = 1;\n${END_SOLUTION}`, { solution: true, grade_id: "f" }), checkCell("c")), /must be inside a function or class body/],
    ["unpaired markers", nb(solution("f", `  ${BEGIN_SOLUTION}\n  return 1;`), checkCell("c")), /with no "\/\/ END SOLUTION" after it/],
    ["a question to the room with no answer", nb(solution("f"), checkCell("c"), { ...md("Talk.\n\nAsk: why?\n\nMore talk."), metadata: { slideshow: { slide_type: "notes" } } }), /cell 3: the notes ask "why\?" with no "Answer: …" paragraph/],
  ])("reports %s", (_what, notebook, problem) => {
    expect(lintNotebook(notebook).problems.map((p) => `cell ${p.cell}: ${p.problem}`).join("\n")).toMatch(problem);
  });
});

describe("sanitizeSubmission", () => {
  const source = nb(md("# Q", "q"), code("setup()", undefined, "setup"), code("function f() {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}", { solution: true, grade_id: "f" }, "sol"), code("await check(\"f\", () => f() === 1);", { grade: true, locked: true, grade_id: "c", points: 1 }, "chk"), md("end", "end"));
  const submitted = () => releaseNotebook(source);
  const order = (n: Notebook) => n.cells.map((c) => c.id ?? sourceOf(c));
  it("finds nothing to put right in an untouched release (its check cells only lack the hidden tests)", () => {
    expect(sanitizeSubmission(releaseNotebook(fixture), fixture).notes).toEqual([]);
  });
  it("puts back an edited check cell as the source has it, hidden tests and all", () => {
    const sub = submitted();
    sub.cells[3].source = sourceLines('console.log("✓ f");');
    const { notebook, notes } = sanitizeSubmission(sub, source);
    expect(sourceOf(notebook.cells[3])).toBe(sourceOf(source.cells[3]));
    expect(notes).toEqual(['the check cell "c" was changed and was put back as it was']);
  });
  it("puts a deleted or moved check cell back in its place, and keeps the student's own cells where they were", () => {
    const sub = submitted();
    const [chk] = sub.cells.splice(3, 1);
    sub.cells.unshift(chk); // moved to the top
    sub.cells.splice(3, 0, code("const mine = 1;", undefined, "added")); // between setup and the solution
    expect(order(sanitizeSubmission(sub, source).notebook)).toEqual(["q", "setup", "added", "sol", "chk", "end"]);
    const kept = submitted();
    kept.cells.splice(4, 0, code("f();", undefined, "tried")); // right after the check cell
    expect(order(sanitizeSubmission(kept, source).notebook)).toEqual(["q", "setup", "sol", "chk", "tried", "end"]);
    const deleted = submitted();
    deleted.cells.splice(3, 1);
    const { notebook, notes } = sanitizeSubmission(deleted, source);
    expect(order(notebook)).toEqual(["q", "setup", "sol", "chk", "end"]);
    expect(notes).toEqual(['the check cell "c" was missing and was put back']);
  });
  it("keeps every cell in its place when some cells of the source have no id", () => {
    // Lesson 22's grading ran its clean-up cell (closeAll) before its last check: ids were counted among the cells that have one.
    const mixed = nb(md("# Q", "q"), code("first()"), code("setup()", undefined, "setup"), code("function f() {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}", { solution: true, grade_id: "f" }, "sol"), code("await check(\"f\", () => f() === 1);", { grade: true, locked: true, grade_id: "c", points: 1 }, "chk"), code("closeAll()", undefined, "end"));
    delete mixed.cells[1].id;
    expect(order(sanitizeSubmission(mixed, mixed).notebook)).toEqual(["q", "first()", "setup", "sol", "chk", "end"]);
  });
  it("drops a duplicated check cell, and turns a retyped solution cell back into code", () => {
    const sub = submitted();
    sub.cells.splice(4, 0, { ...sub.cells[3], id: "copy", source: sourceLines("console.log(1)") });
    sub.cells[2].cell_type = "markdown";
    const { notebook, notes } = sanitizeSubmission(sub, source);
    expect(order(notebook)).toEqual(["q", "setup", "sol", "chk", "end"]);
    expect(notebook.cells[2].cell_type).toBe("code");
    expect(notes).toContain('a second cell with grade id "c" was removed');
  });
  it("runs a check cell whole, with check bound fresh and its hidden tests marked, in the reference run", () => {
    const cell = code(`await check("a", () => expectEqual(f(1), 2));\n${BEGIN_HIDDEN}\nawait check("b", () => expectEqual(f(7), 14));\n${END_HIDDEN}`, { grade: true, grade_id: "g" });
    const run = referenceSource(cell);
    expect(run).toMatch(/^\{ const \{ check, expect, expectEqual, expectClose, throws, hidden \} = require\("applayer"\)\.checker\(\{ gradeId: "g", mode: "reference" \}\);\n/);
    expect(run).toContain('hidden(true);\nawait check("b", () => expectEqual(f(7), 14));\nhidden(false);\n}');
  });
  it("runs a submission's check cell with every expected value, comment and hidden marker taken out, its hidden tests apart", () => {
    const cell = code(`// the answer is 14\nconst twice = (x: number) => 2 * x;\nawait check("a", () => expectEqual(f(1), 2, "f(1)"));\n${BEGIN_HIDDEN}\nawait check("b", () => { expectClose(g(7), 3.5, 0.01); expectEqual(f(twice(7)), [14, "secret"]); });\n${END_HIDDEN}`, { grade: true, grade_id: "g" });
    const { visible, hidden } = observedParts(cell);
    expect(visible).toMatch(/^\{ const \{[^}]*\} = require\("applayer"\)\.checker\(\{ gradeId: "g", mode: "observe" \}\);\n/);
    expect(visible).toContain('expectEqual(f(1), undefined, "f(1)")');
    expect(visible).not.toContain("g(7)"); // no hidden input while the visible checks run
    expect(hidden).toContain("expectClose(g(7), undefined, 0.01)");
    expect(hidden).toContain("expectEqual(f(twice(7)), undefined)");
    expect(hidden).toContain("const twice = (x: number) => 2 * x;"); // the cell's setup again, not its visible checks
    expect(hidden).not.toContain('check("a"');
    for (const secret of ["14", "3.5", "secret", "the answer", "HIDDEN", "hidden("]) expect(`${visible}${hidden}`).not.toContain(secret);
  });
});

describe("parseNotebook", () => {
  it.each([
    ["not json", /is not JSON/],
    ['{"nbformat": 3, "worksheets": []}', /is nbformat 3/],
    ['{"nbformat": 4}', /has no cells/],
    ['{"nbformat": 4, "cells": [{"cell_type": "python"}]}', /cell 1 is not a notebook cell/],
  ])("refuses %s with a NOTEBOOK error", (json, message) => {
    const e = (() => { try { parseNotebook(json, "x.ipynb"); } catch (x) { return x; } })();
    expect(isAppLayerError(e, "NOTEBOOK")).toBe(true);
    expect((e as Error).message).toMatch(message);
  });
});
