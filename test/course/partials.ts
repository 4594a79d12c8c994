/**
 * Partly correct submissions (test/course/partial/NN-name.ts): how a test shows
 * that an assignment gives the partial credit meant for it. Each replaces some
 * solution cells of the lesson's source, found by their nbgrader grade_id, and
 * names the points each check cell must then earn; check cells it does not name
 * keep their full marks.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Notebook, sourceLines } from "../../lib/src/course/notebook";

export interface PartialSubmission {
  /** Solution cells' new source, by grade_id: what the student wrote. */
  answers: Record<string, string>;
  /** Check cells' points, by grade_id, exactly as the grader must give them. */
  points: Record<string, number>;
}

const FOLDER = join(__dirname, "partial");

/** Whether lesson `name` has a partial submission written. */
export const hasPartial = (name: string): boolean => existsSync(join(FOLDER, `${name}.ts`));

/** The partial submission of lesson `name`, if one is written. */
export async function partialOf(name: string): Promise<PartialSubmission | undefined> {
  return hasPartial(name) ? ((await import(join(FOLDER, `${name}.ts`))) as { default: PartialSubmission }).default : undefined;
}

/** The lesson's source with the partial answers in place of its solutions. */
export function applyPartial(source: Notebook, partial: PartialSubmission): Notebook {
  const ids = new Set(source.cells.map((c) => c.metadata.nbgrader?.grade_id));
  const unknown = [...Object.keys(partial.answers), ...Object.keys(partial.points)].filter((id) => !ids.has(id));
  if (unknown.length > 0) throw new Error(`the partial submission names cells the lesson has not: ${unknown.join(", ")}`);
  return {
    ...source,
    cells: source.cells.map((c) => {
      const answer = partial.answers[c.metadata.nbgrader?.grade_id ?? ""];
      return answer === undefined ? c : { ...c, source: sourceLines(answer) };
    }),
  };
}
