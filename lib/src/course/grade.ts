import { randomBytes } from "node:crypto";
import { CHECK_MIME, CheckReport } from "../lab/check";
import { countChecks, gradeIdOf, isGrade } from "./format";
import { Kernel, KernelDied } from "./kernel";
import { Notebook, Output, sourceOf, textOf } from "./notebook";
import { gradedSource } from "./sanitize";

/** Limits of one graded run; each a default that the command line can change. */
export const GRADING_LIMITS = {
  /** A cell that runs longer is stopped (its kernel killed) and its exercise scores 0. */
  cellTimeoutMs: 120_000,
  /** The whole notebook; past it, the exercises not reached score 0. */
  notebookTimeoutMs: 900_000,
  /** Each kernel's V8 heap, MiB (a lesson's kernel peaks near 600 MiB). */
  memoryMb: 1_536,
  /** A submission file over this is refused without running: it would take the machine down. */
  maxSubmissionBytes: 20 * 1024 * 1024,
} as const;

export type GradingLimits = { -readonly [K in keyof typeof GRADING_LIMITS]: number };

/** One check's outcome as the gradebook keeps it. */
export interface CheckOutcome {
  name: string;
  passed: boolean;
  hidden: boolean;
  /** Why it failed (never shown for a hidden check). */
  message?: string;
}

/** One check cell's score. */
export interface GradeCellResult {
  gradeId: string;
  points: number;
  maxPoints: number;
  /** Why points were lost, in a line. */
  reason: string;
  checks: CheckOutcome[];
}

/** A graded submission: a score per check cell, in the notebook's order. */
export interface GradedNotebook {
  grades: GradeCellResult[];
  seconds: number;
  /** What the run itself went through: a cell that hung or ended its kernel, a restart. */
  log: string[];
  /** Cells that ran and failed (1-based), with their first error line. */
  errors: Array<{ cell: number; message: string }>;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The first line of what a failed cell wrote to stderr (tslab sends no error messages). */
function errorText(outputs: Output[]): string {
  const err = outputs.find((o) => o.output_type === "error" || o.name === "stderr");
  return (textOf(err?.text) || "the cell failed").trim().split("\n")[0].slice(0, 300);
}

/**
 * Scores one check cell from the results it reported. Only results carrying this
 * run's nonce and this cell's grade id count; each check is worth an equal share
 * of the cell's points (partial credit); checks that never reported fail.
 */
export function scoreCell(gradeId: string, maxPoints: number, expected: number, outputs: Output[], nonce: string, stopped?: string): GradeCellResult {
  const reports = outputs
    .map((o) => o.data?.[CHECK_MIME] as CheckReport | undefined)
    .filter((r): r is CheckReport => r !== undefined && r.nonce === nonce && r.gradeId === gradeId);
  const checks: CheckOutcome[] = reports.map((r) => ({ name: r.name, passed: r.passed, hidden: r.hidden === true, ...(r.passed ? {} : { message: r.reason }) }));
  const missing = Math.max(0, expected - checks.length);
  const why = stopped ?? (outputs.some((o) => o.name === "stderr") ? errorText(outputs) : "the check cell stopped before it");
  for (let i = 0; i < missing; i++) checks.push({ name: `check ${checks.length + 1}`, passed: false, hidden: false, message: `did not run: ${why}` });
  const passed = checks.slice(0, expected).filter((c) => c.passed).length;
  const total = Math.max(expected, 1);
  const points = stopped ? 0 : round2((maxPoints * passed) / total);
  const failed = checks.filter((c) => !c.passed);
  const reason = stopped ?? (failed.length === 0 ? "" : `${failed.length} of ${total} checks failed${failed.some((c) => !c.hidden) ? `: ${failed.find((c) => !c.hidden)!.name}` : ""}`);
  return { gradeId, points, maxPoints, reason, checks };
}

/**
 * Runs a sanitized notebook in fresh tslab kernels and scores each check cell.
 * The notebook is cut into sections, each ending with a check cell. A cell that
 * hangs, crashes its kernel or calls process.exit costs its section's exercise
 * (0, with the reason); a new kernel then replays the earlier sections' other
 * cells and grading goes on with the next section.
 */
export async function gradeNotebook(nb: Notebook, options: { limits?: Partial<GradingLimits>; env?: Record<string, string> } = {}): Promise<GradedNotebook> {
  const limits = { ...GRADING_LIMITS, ...options.limits };
  const nonce = randomBytes(12).toString("hex");
  const started = Date.now();
  const log: string[] = [];
  const errors: GradedNotebook["errors"] = [];
  const sections: number[][] = [[]];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    sections[sections.length - 1].push(i);
    if (isGrade(c)) sections.push([]);
  });
  const codeOf = (i: number) => (isGrade(nb.cells[i]) ? gradedSource(nb.cells[i], nonce) : sourceOf(nb.cells[i]));
  const grades: GradeCellResult[] = [];
  const start = () => Kernel.start({ memoryMb: limits.memoryMb, env: options.env });
  let kernel: Kernel | undefined = await start();
  const broken = new Set<number>(); // cells that hung or killed a kernel: never replayed
  try {
    for (let s = 0; s < sections.length; s++) {
      const cells = sections[s];
      const gradeCell = cells.find((i) => isGrade(nb.cells[i]));
      let stopped: string | undefined;
      let outputs: Output[] = [];
      for (const i of cells) {
        const left = limits.notebookTimeoutMs - (Date.now() - started);
        if (left <= 0) {
          stopped = `the notebook ran out of its ${Math.round(limits.notebookTimeoutMs / 1000)} s`;
          break;
        }
        try {
          kernel ??= await replay(start, nb, sections, s, broken, codeOf, limits.cellTimeoutMs, log);
          const run = await kernel.execute(codeOf(i), Math.min(limits.cellTimeoutMs, left));
          if (i === gradeCell) outputs = run.outputs;
          if (run.status === "error") errors.push({ cell: i + 1, message: errorText(run.outputs) });
        } catch (e) {
          if (!(e instanceof KernelDied)) throw e;
          stopped = `cell ${i + 1}: ${e.reason}`;
          log.push(stopped);
          broken.add(i);
          await kernel?.shutdown();
          kernel = undefined;
          break;
        }
      }
      if (gradeCell !== undefined) {
        const cell = nb.cells[gradeCell];
        grades.push(scoreCell(gradeIdOf(cell)!, cell.metadata.nbgrader?.points ?? 0, countChecks(sourceOf(cell)), outputs, nonce, stopped));
      }
    }
  } finally {
    await kernel?.shutdown();
  }
  return { grades, seconds: (Date.now() - started) / 1000, log, errors };
}

/** A fresh kernel that has run the earlier sections' cells again: not their check cells, nor a cell that broke a kernel. */
async function replay(start: () => Promise<Kernel>, nb: Notebook, sections: number[][], upTo: number, broken: Set<number>, codeOf: (i: number) => string, cellTimeoutMs: number, log: string[]): Promise<Kernel> {
  const kernel = await start();
  log.push(`a new kernel replays the cells before section ${upTo + 1}`);
  for (const i of sections.slice(0, upTo).flat()) {
    if (!isGrade(nb.cells[i]) && !broken.has(i)) await kernel.execute(codeOf(i), cellTimeoutMs);
  }
  return kernel;
}
