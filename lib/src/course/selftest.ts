import { computeChecksum, gradeIdOf, isLocked } from "./format";
import { GradedNotebook, GradingLimits, judgeRun, runNotebook, scoreRun } from "./grade";
import { Notebook } from "./notebook";
import { releaseNotebook } from "./release";
import { sanitizeSubmission } from "./sanitize";

/** Runs a notebook as the grader would, against itself as the source. */
export async function gradeAsIs(nb: Notebook, limits?: Partial<GradingLimits>): Promise<GradedNotebook> {
  return scoreRun(await runNotebook(sanitizeSubmission(nb, nb).notebook, "reference", { limits }));
}

/**
 * The author's self-test (`course lint`), through the grader: the source earns
 * full marks as it runs itself, hidden tests included, every check recording an
 * answer; judged as a submission (answers only, in its sandbox) against that
 * run, it earns full marks again, so its expected values do not depend on the
 * run; its release runs to its end with no error, and no exercise can be passed
 * by the released stub alone.
 */
export async function selfTest(source: Notebook, limits?: Partial<GradingLimits>): Promise<string[]> {
  const problems: string[] = [];
  const reference = await runNotebook(sanitizeSubmission(source, source).notebook, "reference", { limits });
  const full = scoreRun(reference);
  for (const e of full.errors) problems.push(`source: cell ${e.cell} failed: ${e.message}`);
  for (const l of full.log) problems.push(`source: ${l}`);
  for (const g of full.grades) {
    if (g.points < g.maxPoints) problems.push(`source: ${g.gradeId} earns ${g.points} of ${g.maxPoints} (${g.reason})`);
  }
  for (const c of reference.cells) for (const r of c.reports) if (!r.answers.length) problems.push(`source: ${c.gradeId}'s check "${r.name}" compares no value (expectEqual or expectClose)`);
  if (problems.length) return problems;
  const asSubmitted = judgeRun(reference, await runNotebook(sanitizeSubmission(source, source).notebook, "observe", { limits }), (t) => t);
  for (const g of asSubmitted.grades) {
    if (g.points < g.maxPoints) problems.push(`source as a submission: ${g.gradeId} earns ${g.points} of ${g.maxPoints}: ${g.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message ?? "failed"}`).join("; ")} (does an expected value change from run to run?)`);
  }
  const released = judgeRun(reference, await runNotebook(sanitizeSubmission(releaseNotebook(source), source).notebook, "observe", { limits }), (t) => t);
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
