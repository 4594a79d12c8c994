import { createHash } from "node:crypto";
import { NOT_IMPLEMENTED } from "../lab/check";
import { Cell, NbgraderMetadata, sourceOf } from "./notebook";

/**
 * nbgrader's notebook format (schema version 3), which the lessons keep so that a
 * course with nbgrader elsewhere can open them: the cell metadata, the markers
 * inside cells, and the checksum of a locked cell. Pure functions.
 */
export const NBGRADER_SCHEMA_VERSION = 3;

/** The answer's region in a solution cell: release replaces it with a stub. */
export const BEGIN_SOLUTION = "// BEGIN SOLUTION";
export const END_SOLUTION = "// END SOLUTION";
/** Checks the grader runs but students never see, inside a check cell. */
export const BEGIN_HIDDEN = "// BEGIN HIDDEN TESTS";
export const END_HIDDEN = "// END HIDDEN TESTS";

/** What a released solution region holds: the signature stays, the body throws. */
export const STUB_LINES = ["// YOUR CODE HERE", `throw new Error("${NOT_IMPLEMENTED}: replace this line with your code");`];

const meta = (cell: Cell): NbgraderMetadata | undefined => cell.metadata.nbgrader;
/** A check cell: it earns points. */
export const isGrade = (cell: Cell): boolean => meta(cell)?.grade === true;
/** A solution cell: the student writes in it. */
export const isSolution = (cell: Cell): boolean => meta(cell)?.solution === true;
/** nbgrader's rule: a solution cell is never locked, a grade cell always is, others as marked. */
export function isLocked(cell: Cell): boolean {
  const m = meta(cell);
  if (!m || isSolution(cell)) return false;
  return isGrade(cell) || m.locked === true;
}
export const gradeIdOf = (cell: Cell): string | undefined => meta(cell)?.grade_id;

/** Python's str(float(x)), which nbgrader's checksum hashes: 2 → "2.0", 0.5 → "0.5". */
export function pythonFloat(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
}

/**
 * nbgrader's checksum of a cell (nbgrader/utils.py compute_checksum): MD5 over the
 * source, the cell type, Python's True/False for grade, solution and locked, the
 * grade id, and str(float(points)) for a grade cell.
 */
export function computeChecksum(cell: Cell): string {
  const m = createHash("md5");
  m.update(sourceOf(cell), "utf8");
  m.update(cell.cell_type);
  for (const flag of [isGrade(cell), isSolution(cell), isLocked(cell)]) m.update(flag ? "True" : "False");
  m.update(gradeIdOf(cell) ?? "", "utf8");
  if (isGrade(cell)) m.update(pythonFloat(meta(cell)?.points ?? 0));
  return m.digest("hex");
}

/** A marked region of a cell: the 0-based line numbers of its BEGIN and END lines. */
export interface Region {
  begin: number;
  end: number;
}

/** A marker line problem: an END without BEGIN, a BEGIN without END, or a BEGIN inside another. */
export interface MarkerProblem {
  line: number;
  problem: string;
}

const isMarker = (line: string, marker: string) => line.trim() === marker;

/** The regions between `begin` and `end` markers in `text`, and any that do not pair up. */
export function regions(text: string, begin: string, end: string): { regions: Region[]; problems: MarkerProblem[] } {
  const lines = text.split("\n");
  const found: Region[] = [];
  const problems: MarkerProblem[] = [];
  let open: number | undefined;
  lines.forEach((line, i) => {
    if (isMarker(line, begin)) {
      if (open !== undefined) problems.push({ line: i + 1, problem: `"${begin}" inside another one (line ${open + 1})` });
      open = i;
    } else if (isMarker(line, end)) {
      if (open === undefined) problems.push({ line: i + 1, problem: `"${end}" with no "${begin}" before it` });
      else found.push({ begin: open, end: i });
      open = undefined;
    }
  });
  if (open !== undefined) problems.push({ line: open + 1, problem: `"${begin}" with no "${end}" after it` });
  return { regions: found, problems };
}

/** Replaces each region (markers included) with `replacement(indent)` lines, or with nothing. */
export function replaceRegions(text: string, found: Region[], replacement?: (indent: string) => string[]): string {
  const lines = text.split("\n");
  for (const r of [...found].sort((a, b) => b.begin - a.begin)) {
    const indent = /^\s*/.exec(lines[r.begin])![0];
    lines.splice(r.begin, r.end - r.begin + 1, ...(replacement ? replacement(indent).map((l) => indent + l) : []));
  }
  return lines.join("\n");
}

/** A check cell's text as students get it: without its hidden tests. */
export function withoutHiddenTests(text: string): string {
  return replaceRegions(text, regions(text, BEGIN_HIDDEN, END_HIDDEN).regions);
}

/** How many checks a check cell runs: its `check(` calls, hidden ones included. */
export function countChecks(text: string): number {
  return (text.match(/\bcheck\(/g) ?? []).length;
}
