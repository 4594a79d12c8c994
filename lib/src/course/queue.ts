import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Job, Queue, QueueEvents, Worker } from "bullmq";
import IORedis from "ioredis";
import { AppLayerError, isAppLayerError } from "../errors";
import { GRADING_LIMITS, GradedNotebook, GradingLimits } from "./grade";
import { Notebook, parseNotebook } from "./notebook";
import type { Submission } from "./submission";

/**
 * Grading past one machine: the coordinator (`course autograde --queue`) puts
 * one job per submission on a BullMQ queue in Redis; workers (`course worker`)
 * on any number of machines grade them with the same executor as the local
 * pool and hand the result back; only the coordinator writes the gradebook.
 *
 * A job is named by its submission's content, so a coordinator that restarts
 * finds the jobs it already queued (or their results) instead of adding them
 * again. A worker holds a lock on its job and renews it while it grades; when a
 * worker dies, the lock runs out and another worker takes the job over.
 */

/** The queue's name in Redis. */
export const GRADING_QUEUE = "applayer-grading";

/** A submission whose grading kills its worker this many times ends as failed, with the reason. */
export const MAX_WORKER_DEATHS = 2;

/** Finished jobs (and their results) stay this long in Redis, for a coordinator that restarts. */
export const KEEP_RESULTS_S = 7 * 86_400;

/**
 * The lock a worker holds on a job, sized from the per-notebook timeout: a
 * thirtieth of it, from 5 to 30 s. The worker renews it every half lock while it
 * grades, so a job may run its whole timeout; a killed worker's job is taken over
 * within about two locks.
 */
export function lockMsFor(limits: Partial<GradingLimits> = {}): number {
  return Math.min(30_000, Math.max(5_000, Math.round((limits.notebookTimeoutMs ?? GRADING_LIMITS.notebookTimeoutMs) / 30)));
}

/** What travels in a job: everything a worker on another machine needs, no paths. */
export interface GradingJob {
  student: string;
  notebook: string;
  fileName: string;
  /** The submitted .ipynb, as text. */
  submission: string;
  /** The course's source notebook it answers, as text. */
  source: string;
  limits: Partial<GradingLimits>;
}

/** A worker's answer: the graded notebook, or why it cannot be graded (a GRADING or NOTEBOOK error). */
export type GradingResult = { graded: GradedNotebook } | { error: string };

/**
 * A Redis connection for BullMQ that says when Redis goes away and when it is
 * back, once each, instead of an error per retry. ioredis keeps reconnecting.
 */
export function redisConnection(url: string, who: string): IORedis {
  if (!/^rediss?:\/\//.test(url)) throw new AppLayerError("BAD_ARGUMENT", `--queue wants a Redis URL such as redis://127.0.0.1:6379/, not "${url}"`);
  const conn = new IORedis(url, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2_000) });
  let lost = false;
  conn.on("error", (e) => {
    if (lost) return;
    lost = true;
    console.error(`${who}: lost Redis at ${url} (${(e as Error).message}); waiting for it to come back`);
  });
  conn.on("ready", () => {
    if (!lost) return;
    lost = false;
    console.error(`${who}: Redis at ${url} is back; carrying on`);
  });
  return conn;
}

/**
 * The job id: everything the grade depends on (the student, the submission, the
 * source notebook with its hidden tests, the limits), so the same work is never
 * queued twice, and a changed source is graded afresh (BullMQ refuses numeric ids and ":").
 */
export function jobIdOf(job: GradingJob, force: string | undefined): string {
  const h = createHash("sha256");
  for (const part of [job.student, job.notebook, job.submission, job.source, JSON.stringify(job.limits), force ?? ""]) h.update(part).update("\0");
  return `g-${h.digest("hex").slice(0, 32)}`;
}

/**
 * Queues `subs` and resolves once every one has a result, calling `onResult` for
 * each as it arrives (in the order they finish).
 */
export async function gradeThroughQueue(
  url: string,
  subs: Submission[],
  sources: Map<string, Notebook>,
  options: { limits?: Partial<GradingLimits>; force?: boolean; onResult: (sub: Submission, result: GradingResult) => void },
): Promise<void> {
  const connection = redisConnection(url, "coordinator");
  const queue = new Queue<GradingJob, GradingResult>(GRADING_QUEUE, { connection });
  const events = new QueueEvents(GRADING_QUEUE, { connection: redisConnection(url, "coordinator (events)") });
  queue.on("error", () => undefined); // reported once by the connection
  queue.setMaxListeners(subs.length + 10); // each job waiting for its result listens for the queue closing
  events.on("error", () => undefined);
  const force = options.force ? String(Date.now()) : undefined;
  try {
    await events.waitUntilReady();
    await Promise.all(subs.map(async (sub) => {
      const data: GradingJob = {
        student: sub.student, notebook: sub.notebook, fileName: basename(sub.path!), submission: readFileSync(sub.path!, "utf8"),
        source: JSON.stringify(sources.get(sub.notebook)), limits: options.limits ?? {},
      };
      const job = await queue.add("grade", data, { jobId: jobIdOf(data, force), removeOnComplete: { age: KEEP_RESULTS_S }, removeOnFail: { age: KEEP_RESULTS_S } });
      let result: GradingResult;
      try {
        const value = (await job.waitUntilFinished(events)) as GradingResult | string;
        result = typeof value === "string" ? (JSON.parse(value) as GradingResult) : value;
      } catch (e) {
        result = { error: `the grader could not finish it: ${(e as Error).message}` };
      }
      options.onResult(sub, result);
    }));
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
  }
}

/**
 * `applayer course worker`: grades jobs from the queue, `jobs` at a time, until
 * closed. Each job is written to a private folder and graded by the same
 * function the local pool uses.
 */
export function startWorker(url: string, options: { jobs?: number; limits?: Partial<GradingLimits>; grade: (sub: Submission, sources: Map<string, Notebook>, limits: Partial<GradingLimits>) => Promise<GradedNotebook> }): Worker<GradingJob, GradingResult> {
  const lock = lockMsFor(options.limits);
  const worker = new Worker<GradingJob, GradingResult>(GRADING_QUEUE, async (job: Job<GradingJob>) => {
    const d = job.data;
    const dir = mkdtempSync(join(tmpdir(), "applayer-job-"));
    try {
      const path = join(dir, d.fileName);
      writeFileSync(path, d.submission);
      console.log(`grading ${d.student}/${d.notebook} (job ${job.id}, ${Buffer.byteLength(d.submission)} bytes)`);
      const graded = await options.grade({ student: d.student, notebook: d.notebook, path }, new Map([[d.notebook, parseNotebook(d.source, d.notebook)]]), d.limits);
      console.log(`graded  ${d.student}/${d.notebook}`);
      return { graded };
    } catch (e) {
      if (!isAppLayerError(e)) throw e;
      console.log(`cannot grade ${d.student}/${d.notebook}: ${e.message}`);
      return { error: e.message };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, {
    connection: redisConnection(url, "worker"),
    concurrency: options.jobs ?? 1,
    lockDuration: lock,
    stalledInterval: lock,
    maxStalledCount: MAX_WORKER_DEATHS - 1,
  });
  worker.on("error", () => undefined); // reported once by the connection
  return worker;
}
