import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import { AppLayerError, isAppLayerError } from "../errors";
import { pool } from "../lab/pool";
import { progressBar } from "../lab/progress";
import { gradeIdOf, isGrade } from "./format";
import { GradedNotebook, GradingLimits, NotebookRun, judgeRun, runNotebook } from "./grade";
import { Gradebook, gradesCsv } from "./gradebook";
import { Notebook, TSLAB_KERNEL, formatNotebook, parseNotebook } from "./notebook";
import { Submission, checkSubmission, findSubmissions, readSources } from "./submission";
import { sanitizeSubmission } from "./sanitize";
import { scrubber } from "./verdict";

/** The check cells of a source notebook: what an ungradable submission scores 0 on. */
const gradeCellsOf = (source?: Notebook) => (source?.cells ?? []).filter(isGrade).map((c) => ({ gradeId: gradeIdOf(c)!, maxPoints: c.metadata.nbgrader?.points ?? 0 }));

/** The reference run of each source notebook, by its content: once per grading process. */
const references = new Map<string, Promise<NotebookRun>>();

/**
 * The instructor's notebook run whole, in a sandbox like any submission: the
 * expected values and the checks' names and hidden flags that submissions are
 * judged against. Throws a GRADING error when the source fails its own checks.
 */
export function referenceRun(source: Notebook, limits: Partial<GradingLimits> = {}): Promise<NotebookRun> {
  const key = createHash("sha256").update(formatNotebook(source)).digest("hex");
  let run = references.get(key);
  if (!run) {
    run = runNotebook(sanitizeSubmission(source, source).notebook, "reference", { limits }).then((r) => {
      const broken = r.cells.filter((c) => c.stopped || c.reports.length < c.checks || c.reports.some((x) => !x.passed));
      if (broken.length) throw new AppLayerError("GRADING", `the source notebook fails its own checks in ${broken.map((c) => c.gradeId).join(", ")}: run applayer course lint on it`);
      return r;
    });
    run.catch(() => references.delete(key));
    references.set(key, run);
  }
  return run;
}

/**
 * Grades one submission against its source: checks it can be graded (size, JSON,
 * nbformat, kernel, a matching source), sanitizes it, runs it in its sandbox
 * (answers only), and judges its answers against the source's reference run.
 * Throws the GRADING or NOTEBOOK error that says why it cannot be graded.
 */
export async function gradeSubmission(sub: Submission, sources: Map<string, Notebook>, limits: Partial<GradingLimits> = {}): Promise<GradedNotebook> {
  const source = checkSubmission(sub, sources, limits);
  const submitted = parseNotebook(readFileSync(sub.path!, "utf8"), basename(sub.path!));
  const kernel = submitted.metadata.kernelspec?.name;
  if (kernel !== undefined && kernel !== TSLAB_KERNEL) throw new AppLayerError("GRADING", `the notebook runs on the "${kernel}" kernel, not TypeScript (tslab): was it saved from the course's notebook?`);
  const { notebook, notes } = sanitizeSubmission(submitted, source);
  const reference = await referenceRun(source, limits);
  const graded = judgeRun(reference, await runNotebook(notebook, "observe", { limits }), scrubber(source));
  graded.log.unshift(...notes);
  return graded;
}

/** What a grading run did, for its closing line. */
export interface AutogradeSummary {
  graded: number;
  skipped: number;
  failed: number;
  seconds: number;
}

/** Prints a progress bar with an ETA on stderr (a terminal) or a line per submission (a log). */
export function progressPrinter(total: number, label = "submissions") {
  const start = Date.now();
  let done = 0;
  return (line: string) => {
    done++;
    const elapsed = Date.now() - start;
    const eta = done < total ? `, ETA ${Math.ceil(((elapsed / done) * (total - done)) / 1000)} s` : "";
    const bar = `${progressBar(label, done, total, elapsed)}${eta}`;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}\n${bar}`);
    else process.stderr.write(`${line}  [${done}/${total}${eta}]\n`);
  };
}

/**
 * `applayer course autograde`: grades every submission (or one student's) in
 * parallel kernels, or through a Redis queue to workers on other machines
 * (`queue`); records each in OUT/gradebook.sqlite as it finishes, skips what is
 * graded already unless `force`, and writes OUT/grades.csv.
 */
export async function autograde(options: {
  source: string;
  submissions: string;
  out: string;
  jobs?: number;
  student?: string;
  force?: boolean;
  limits?: Partial<GradingLimits>;
  /** redis://H:P/: grade through the queue instead of the in-process pool. */
  queue?: string;
}): Promise<AutogradeSummary> {
  const started = Date.now();
  const sources = readSources(options.source);
  const all = findSubmissions(options.submissions, options.student);
  // The grades are the instructor's: the folder and what is in it are readable by its owner alone.
  mkdirSync(options.out, { recursive: true, mode: 0o700 });
  const book = Gradebook.open(join(options.out, "gradebook.sqlite"));
  const todo = all.filter((s) => options.force || !book.isGraded(s.student, s.notebook));
  const summary: AutogradeSummary = { graded: 0, skipped: all.length - todo.length, failed: 0, seconds: 0 };
  const report = progressPrinter(todo.length);
  const graded = (sub: Submission, g: GradedNotebook) => {
    book.record(sub.student, sub.notebook, g);
    summary.graded++;
    const points = g.grades.reduce((s, x) => s + x.points, 0);
    const max = g.grades.reduce((s, x) => s + x.maxPoints, 0);
    report(`graded ${sub.student}/${sub.notebook}: ${points}/${max}${g.log.length ? ` (${g.log.join("; ")})` : ""}`);
  };
  const failed = (sub: Submission, reason: string) => {
    book.recordError(sub.student, sub.notebook, reason, gradeCellsOf(sources.get(sub.notebook)));
    summary.failed++;
    report(`error  ${sub.student}/${sub.notebook}: ${reason}`);
  };
  try {
    if (options.queue) {
      // What can be refused without running it is refused here: nothing that cannot be graded goes to Redis.
      const queued = todo.filter((sub) => {
        try {
          checkSubmission(sub, sources, options.limits);
          return true;
        } catch (e) {
          if (!isAppLayerError(e)) throw e;
          failed(sub, e.message);
          return false;
        }
      });
      // Loaded only here: BullMQ and ioredis stay out of every other command's start-up.
      const { gradeThroughQueue } = await import("./queue.js");
      await gradeThroughQueue(options.queue, queued, sources, {
        limits: options.limits, force: options.force,
        onResult: (sub, r) => ("graded" in r ? graded(sub, r.graded) : failed(sub, r.error)),
      });
    } else {
      await pool(todo, options.jobs ?? cpus().length, async (sub) => {
        try {
          graded(sub, await gradeSubmission(sub, sources, options.limits));
        } catch (e) {
          // Whatever went wrong is this submission's alone: it is recorded with the reason, and the class goes on.
          failed(sub, isAppLayerError(e) ? e.message : `the grader could not finish it: ${(e as Error)?.message ?? String(e)}`);
        }
      });
    }
    writeFileSync(join(options.out, "grades.csv"), gradesCsv(book.grades()), { mode: 0o600 });
    chmodSync(join(options.out, "grades.csv"), 0o600);
  } finally {
    book.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
