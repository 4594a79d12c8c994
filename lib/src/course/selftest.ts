import { computeChecksum, gradeIdOf, isLocked } from "./format";
import { GradedNotebook, GradingLimits, gradeNotebook } from "./grade";
import { Notebook } from "./notebook";
import { releaseNotebook } from "./release";
import { sanitizeSubmission } from "./sanitize";

/** Runs a notebook as the grader would, against itself as the source. */
export function gradeAsIs(nb: Notebook, limits?: Partial<GradingLimits>): Promise<GradedNotebook> {
  return gradeNotebook(sanitizeSubmission(nb, nb).notebook, { limits });
}

/**
 * The author's self-test (`course lint`): the source notebook earns full marks
 * through the grader, hidden tests included; its release runs to its end with no
 * error, and no exercise can be passed by the released stub alone.
 */
export async function selfTest(source: Notebook, limits?: Partial<GradingLimits>): Promise<string[]> {
  const problems: string[] = [];
  const full = await gradeAsIs(source, limits);
  for (const e of full.errors) problems.push(`source: cell ${e.cell} failed: ${e.message}`);
  for (const l of full.log) problems.push(`source: ${l}`);
  for (const g of full.grades) {
    if (g.points < g.maxPoints) problems.push(`source: ${g.gradeId} earns ${g.points} of ${g.maxPoints} (${g.reason})`);
  }
  const released = await gradeAsIs(releaseNotebook(source), limits);
  for (const e of released.errors) problems.push(`release: cell ${e.cell} failed: ${e.message}`);
  for (const l of released.log) problems.push(`release: ${l}`);
  for (const g of released.grades) {
    if (g.checks.length && g.checks.every((c) => c.passed)) problems.push(`release: ${g.gradeId} passes with the stub alone: its checks do not test the solution`);
  }
  return problems;
}

/** The locked cells of a released notebook whose content no longer matches their checksum. */
export function changedLockedCells(nb: Notebook): string[] {
  return nb.cells.filter((c) => isLocked(c) && c.metadata.nbgrader?.checksum && c.metadata.nbgrader.checksum !== computeChecksum(c)).map((c) => gradeIdOf(c) ?? "?");
}
