import { BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, countChecks, gradeIdOf, isGrade, isSolution, regions } from "./format";
import { Notebook, sourceOf } from "./notebook";
import { isSpeakerNotes, roomQuestions } from "./notes";

/** One thing wrong with an exercise notebook, for its author: where, and what. */
export interface LintProblem {
  /** 1-based cell number, as Jupyter's cell list counts. */
  cell?: number;
  problem: string;
}

/** The exercises of a notebook as lint sees them: grade ids, points, checks. */
export interface ExerciseSummary {
  gradeId: string;
  points: number;
  checks: number;
}

/**
 * Checks an exercise notebook's structure (pure, nothing runs): the markers pair
 * up and sit in cells of the right kind; every exercise cell has a grade id, and
 * grade ids are unique; every solution is followed by a check before the next
 * solution; every check cell gives points and runs checks; each solution region
 * is inside a block, so that its released stub (a `throw`) leaves the cell valid;
 * every question the speaker notes ask the room has its answer (students get both).
 *
 * @example for (const p of lintNotebook(readNotebook(path)).problems) console.log(p);
 */
export function lintNotebook(nb: Notebook): { problems: LintProblem[]; exercises: ExerciseSummary[]; totalPoints: number } {
  const problems: LintProblem[] = [];
  const exercises: ExerciseSummary[] = [];
  const seen = new Map<string, number>();
  let openSolution: number | undefined;
  nb.cells.forEach((cell, i) => {
    const at = i + 1;
    const text = sourceOf(cell);
    const solution = regions(text, BEGIN_SOLUTION, END_SOLUTION);
    const hidden = regions(text, BEGIN_HIDDEN, END_HIDDEN);
    for (const p of [...solution.problems, ...hidden.problems]) problems.push({ cell: at, problem: `line ${p.line}: ${p.problem}` });
    if (solution.regions.length && !isSolution(cell)) problems.push({ cell: at, problem: `has ${BEGIN_SOLUTION} but is not a solution cell (nbgrader.solution: true)` });
    if (hidden.regions.length && !isGrade(cell)) problems.push({ cell: at, problem: `has ${BEGIN_HIDDEN} but is not a check cell (nbgrader.grade: true)` });
    if (isSpeakerNotes(cell)) {
      for (const q of roomQuestions(text).filter((x) => x.answer === undefined)) problems.push({ cell: at, problem: `the notes ask "${q.question.slice(0, 40)}" with no "Answer: …" paragraph right after it: students would get the question alone` });
    }
    const grader = cell.metadata.nbgrader;
    if (!grader || (!isGrade(cell) && !isSolution(cell))) return;
    const id = gradeIdOf(cell);
    if (!id) problems.push({ cell: at, problem: "an exercise cell without a grade_id" });
    else if (seen.has(id)) problems.push({ cell: at, problem: `grade_id "${id}" is used again (first in cell ${seen.get(id)})` });
    else seen.set(id, at);
    if (cell.cell_type !== "code") problems.push({ cell: at, problem: `an exercise cell must be a code cell, not ${cell.cell_type}` });
    if (isSolution(cell)) {
      if (openSolution !== undefined) problems.push({ cell: openSolution, problem: "this solution has no check cell after it" });
      openSolution = at;
      if (!solution.regions.length) problems.push({ cell: at, problem: `a solution cell with no ${BEGIN_SOLUTION} … ${END_SOLUTION}` });
      const lines = text.split("\n");
      for (const r of solution.regions) {
        if (!/^\s+/.test(lines[r.begin])) problems.push({ cell: at, problem: `line ${r.begin + 1}: ${BEGIN_SOLUTION} must be inside a function or class body (the released stub throws)` });
      }
    }
    if (isGrade(cell)) {
      openSolution = undefined;
      const points = grader.points;
      const checks = countChecks(text);
      if (typeof points !== "number" || !(points > 0)) problems.push({ cell: at, problem: `a check cell needs points > 0 (has ${JSON.stringify(points)})` });
      if (checks === 0) problems.push({ cell: at, problem: "a check cell that runs no check(…)" });
      // The grader decides outside the sandbox by comparing values; a condition would be decided inside it.
      if (/\bexpect\(/.test(text)) problems.push({ cell: at, problem: "a check cell uses expect(…), which the student's own code would decide: compare values with expectEqual(answer, expected) or expectClose(answer, expected, tolerance)" });
      if (id) exercises.push({ gradeId: id, points: typeof points === "number" ? points : 0, checks });
    }
  });
  if (openSolution !== undefined) problems.push({ cell: openSolution, problem: "this solution has no check cell after it" });
  return { problems, exercises, totalPoints: exercises.reduce((s, e) => s + e.points, 0) };
}
