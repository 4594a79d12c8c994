import { CHECK_MIME, CheckReport } from "../lab/check";
import { countChecks, gradeIdOf, isGrade } from "./format";
import { Kernel, KernelDied } from "./kernel";
import { Notebook, Output, sourceOf, textOf } from "./notebook";
import { CellRecord, GradeCellResult, judgeCell, observedParts, referenceSource, scoreAsRun } from "./verdict";

export type { CheckOutcome, GradeCellResult } from "./verdict";

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

/** A graded submission: a score per check cell, in the notebook's order. */
export interface GradedNotebook {
  grades: GradeCellResult[];
  seconds: number;
  /** What the run itself went through: a cell that hung or ended its kernel, a restart. */
  log: string[];
  /** Cells that ran and failed (1-based), with their first error line. */
  errors: Array<{ cell: number; message: string }>;
}

/** The first line of what a failed cell wrote to stderr (tslab sends no error messages). */
function errorText(outputs: Output[]): string {
  const err = outputs.find((o) => o.output_type === "error" || o.name === "stderr");
  return (textOf(err?.text) || "the cell failed").trim().split("\n")[0].slice(0, 300);
}

/** A notebook's run: each check cell's reports, and what the run went through. */
export interface NotebookRun {
  cells: CellRecord[];
  seconds: number;
  /** What the run itself went through: a cell that hung or ended its kernel, a restart. */
  log: string[];
  /** Cells that ran and failed (1-based), with their first error line. */
  errors: Array<{ cell: number; message: string }>;
}

/** How a run binds its check cells: a submission's answers only, or the instructor's whole checks. */
export type RunMode = "observe" | "reference";

/**
 * Runs a sanitized notebook in fresh tslab kernels (sandboxed unless `sandbox:
 * false`) and collects each check cell's reports. The notebook is cut into
 * sections, each ending with a check cell. A cell that hangs, crashes its kernel
 * or calls process.exit costs its section's exercise (0, with the reason); a new
 * kernel then replays the earlier sections' other cells and the run goes on.
 */
export async function runNotebook(nb: Notebook, mode: RunMode, options: { limits?: Partial<GradingLimits>; env?: Record<string, string>; sandbox?: boolean } = {}): Promise<NotebookRun> {
  const limits = { ...GRADING_LIMITS, ...options.limits };
  const started = Date.now();
  const log: string[] = [];
  const errors: NotebookRun["errors"] = [];
  const sections: number[][] = [[]];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    sections[sections.length - 1].push(i);
    if (isGrade(c)) sections.push([]);
  });
  const checkCode = new Map<number, string[]>();
  /** What a cell runs as: one execute, or a submission's check cell as its visible part, then its hidden one. */
  const partsOf = (i: number): string[] => {
    if (!isGrade(nb.cells[i])) return [sourceOf(nb.cells[i])];
    if (!checkCode.has(i)) {
      const observed = mode === "observe" ? observedParts(nb.cells[i]) : undefined;
      checkCode.set(i, observed ? [observed.visible, ...(observed.hidden ? [observed.hidden] : [])] : [referenceSource(nb.cells[i])]);
    }
    return checkCode.get(i)!;
  };
  let tainted = false; // hidden tests have been in the kernel: what the student's code says from now on may carry them
  const cells: CellRecord[] = [];
  const start = () => Kernel.start({ memoryMb: limits.memoryMb, env: options.env, sandbox: options.sandbox, cpuSeconds: limits.notebookTimeoutMs / 1000 });
  let kernel: Kernel | undefined;
  const broken = new Set<number>(); // cells that hung or killed a kernel: never replayed
  try {
    kernel = await start();
    for (let s = 0; s < sections.length; s++) {
      const section = sections[s];
      const gradeCell = section.find((i) => isGrade(nb.cells[i]));
      let stopped: string | undefined;
      const outputs: Output[] = [];
      let failed: string | undefined;
      const cellTainted = tainted;
      for (const i of section) {
        const left = () => limits.notebookTimeoutMs - (Date.now() - started);
        if (left() <= 0) {
          stopped = `the notebook ran out of its ${Math.round(limits.notebookTimeoutMs / 1000)} s`;
          break;
        }
        try {
          kernel ??= await replay(start, nb, sections, s, broken, partsOf, limits.cellTimeoutMs, started + limits.notebookTimeoutMs, log);
          const parts = partsOf(i);
          for (const [n, code] of parts.entries()) {
            if (n > 0) tainted = true; // the hidden part goes in
            const run = await kernel.execute(code, Math.max(1, Math.min(limits.cellTimeoutMs, left())));
            if (i === gradeCell) outputs.push(...run.outputs);
            if (run.status === "error") {
              errors.push({ cell: i + 1, message: errorText(run.outputs) });
              if (i === gradeCell) failed ??= errorText(run.outputs);
            }
          }
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
        const gradeId = gradeIdOf(cell)!;
        const reports = outputs.map((o) => o.data?.[CHECK_MIME] as CheckReport | undefined).filter((r): r is CheckReport => typeof r === "object" && r !== null && r.gradeId === gradeId && typeof r.name === "string");
        cells.push({ gradeId, maxPoints: cell.metadata.nbgrader?.points ?? 0, checks: countChecks(sourceOf(cell)), reports, stopped, failed, ...(mode === "observe" && cellTainted ? { tainted: true } : {}) });
      }
    }
  } finally {
    await kernel?.shutdown();
  }
  return { cells, seconds: (Date.now() - started) / 1000, log, errors };
}

/** Scores a reference-mode run on its own results: the author's self-test and a student's `validate`. */
export function scoreRun(run: NotebookRun): GradedNotebook {
  return { grades: run.cells.map((c) => scoreAsRun(c)), seconds: run.seconds, log: run.log, errors: run.errors };
}

/** Scores a submission's run against the reference run of its source notebook (see verdict.ts). */
export function judgeRun(reference: NotebookRun, student: NotebookRun, scrub: (text: string) => string): GradedNotebook {
  const grades = reference.cells.map((ref) => {
    const mine = student.cells.find((c) => c.gradeId === ref.gradeId) ?? { ...ref, reports: [], stopped: "the check cell did not run" };
    return judgeCell(ref, mine, scrub);
  });
  return { grades, seconds: student.seconds, log: student.log.map(scrub), errors: student.errors.map((e) => ({ cell: e.cell, message: scrub(e.message) })) };
}

/**
 * A fresh kernel that has run the earlier sections' cells again: not their check
 * cells, nor a cell that broke a kernel, and within what is left of the
 * notebook's time. A replay that fails (a cell that hangs only now, a kernel
 * that dies) shuts its kernel down before it throws, and marks the cell broken.
 */
async function replay(start: () => Promise<Kernel>, nb: Notebook, sections: number[][], upTo: number, broken: Set<number>, partsOf: (i: number) => string[], cellTimeoutMs: number, deadline: number, log: string[]): Promise<Kernel> {
  const kernel = await start();
  log.push(`a new kernel replays the cells before section ${upTo + 1}`);
  try {
    for (const i of sections.slice(0, upTo).flat()) {
      if (isGrade(nb.cells[i]) || broken.has(i)) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw new KernelDied("the notebook ran out of its time while replaying earlier cells");
      try {
        await kernel.execute(partsOf(i)[0], Math.min(cellTimeoutMs, left));
      } catch (e) {
        broken.add(i);
        throw e;
      }
    }
  } catch (e) {
    await kernel.shutdown();
    throw e;
  }
  return kernel;
}
