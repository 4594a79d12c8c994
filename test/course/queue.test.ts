/**
 * Grading past one machine: Debian's redis-server on loopback, worker processes
 * (`applayer course worker`), and the coordinator (`course autograde --queue`).
 * A worker killed with kill -9 mid-job loses nothing: the gradebook holds exactly
 * one result per submission, the same as a local autograde of the same files. A
 * job whose worker dies every time it takes it ends as failed, with the reason,
 * and a submission cannot kill its worker from inside its sandbox. Redis going
 * away mid-run is said, waited out, and nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autograde } from "../../lib/src/course/autograde";
import { Gradebook } from "../../lib/src/course/gradebook";
import { formatNotebook } from "../../lib/src/course/notebook";
import { CLI, freePort } from "../helpers";
import { DOUBLE, GREET, SOURCE, answer, correct, crafted, released } from "./submissions";
import { takeHeavySuiteTurn } from "../heavy";

const root = mkdtempSync(join(tmpdir(), "applayer-queue-"));
// No submission here hangs: a cell's time is generous, so that a loaded machine's slow
// first cell is not a timeout in one run and not in the other (the runs are compared).
const limits = { cellTimeoutMs: 30_000, notebookTimeoutMs: 150_000, memoryMb: 400 };
let redisPort: number;
let redis: ChildProcess;
let url: string;
const workers: ChildProcess[] = [];

/** Debian's redis-server on loopback, appending every write to disk so a restart keeps the queue. */
function startRedis(): Promise<ChildProcess> {
  const proc = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", root, "--appendonly", "yes", "--save", ""], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    proc.stdout!.on("data", (d) => /Ready to accept connections/.test(String(d)) && resolve(proc));
    proc.once("exit", (c) => reject(new Error(`redis-server exited ${c}`)));
  });
}
const stopped = (p: ChildProcess, signal: NodeJS.Signals = "SIGTERM") => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : (p.once("exit", () => r()), p.kill(signal))));

/** Starts `applayer course worker`; resolves once it is taking jobs. Its stdout is kept in `log`. */
function startWorker(): Promise<{ proc: ChildProcess; log: () => string }> {
  const proc = spawn(process.execPath, [CLI, "course", "worker", "--queue", url, "--jobs", "1", "--notebook-timeout", "150"], { stdio: ["ignore", "pipe", "pipe"] });
  workers.push(proc);
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    proc.stdout!.on("data", () => /grading from/.test(out) && resolve({ proc, log: () => out }));
    proc.once("exit", (c) => reject(new Error(`the worker exited ${c}: ${out}`)));
  });
}

/** How many students a class has here: each of the five kinds twice. */
const CLASS = 10;

/** A class (PREFIX00 to PREFIX09): right, untouched, half right, an exit, a file that is not JSON, each twice. */
function classOf(dir: string, prefix: string): void {
  const kinds = [() => formatNotebook(correct()), () => formatNotebook(released()), () => formatNotebook(crafted["half-right"].nb()), () => formatNotebook(crafted.exits.nb()), () => "{ not json"];
  for (let i = 0; i < CLASS; i++) {
    mkdirSync(join(dir, `${prefix}${String(i).padStart(2, "0")}`), { recursive: true });
    writeFileSync(join(dir, `${prefix}${String(i).padStart(2, "0")}`, "01-grading.ipynb"), kinds[i % kinds.length]());
  }
}

/** A gradebook's content, without timings: what must be equal between two runs of the same submissions. */
function contents(out: string) {
  const book = Gradebook.open(join(out, "gradebook.sqlite"));
  try {
    return { submissions: book.submissions().map(({ student, notebook, status, reason }) => ({ student, notebook, status, reason })), grades: book.grades() };
  } finally {
    book.close();
  }
}

// Many kernels at once: this suite takes its turn among the heavy ones (see test/heavy.ts).
takeHeavySuiteTurn("waits");

beforeAll(async () => {
  redisPort = await freePort();
  url = `redis://127.0.0.1:${redisPort}/`;
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => stopped(w, "SIGKILL")));
  await stopped(redis);
});

describe("autograde through a Redis queue", () => {
  it("two workers, one killed with kill -9 mid-job: exactly one result per submission, equal to a local autograde", { timeout: 300_000 }, async () => {
    const subs = join(root, "class");
    classOf(subs, "s");
    await autograde({ source: SOURCE, submissions: subs, out: join(root, "local"), jobs: 2, limits });
    const a = await startWorker();
    const b = await startWorker();
    const run = autograde({ source: SOURCE, submissions: subs, out: join(root, "queued"), queue: url, limits });
    // Kill the first worker as soon as it has a job in hand, before it can finish it.
    while (!/grading s\d+\/01-grading/.test(a.log())) await new Promise((r) => setTimeout(r, 20));
    a.proc.kill("SIGKILL");
    const summary = await run;
    expect(summary.graded + summary.failed).toBe(CLASS);
    const queued = contents(join(root, "queued"));
    expect(queued.submissions).toHaveLength(CLASS);
    expect(queued).toEqual(contents(join(root, "local")));
    expect(b.log()).toMatch(/grading s\d+\/01-grading/);
    // The same submissions queued again (a coordinator that restarts) are answered from Redis: nothing is graded twice.
    const gradedBefore = b.log().split("\n").filter((l) => l.startsWith("graded  ")).length;
    await autograde({ source: SOURCE, submissions: subs, out: join(root, "queued-again"), queue: url, limits });
    expect(contents(join(root, "queued-again"))).toEqual(queued);
    expect(b.log().split("\n").filter((l) => l.startsWith("graded  ")).length).toBe(gradedBefore);
    await stopped(b.proc);
  });

  it("a job whose worker dies each time it takes it ends as failed, with the reason; a submission cannot kill its worker; the others are graded", { timeout: 300_000 }, async () => {
    const subs = join(root, "poison");
    // "killer" tries to kill the process that grades it: from inside its sandbox that is bwrap's reaper, which ignores it.
    // "poison" stands for a job that crashes its worker (a grader bug, a machine fault): this test kills each worker that takes it.
    const killer = answer(released(), { "double-solution": `${DOUBLE}\ntry { process.kill(process.ppid, "SIGKILL"); process.kill(1, "SIGKILL"); } catch {}`, "greet-solution": GREET });
    for (const [student, nb] of [["killer", killer], ["poison", correct()], ["fine", correct()]] as const) {
      mkdirSync(join(subs, student), { recursive: true });
      writeFileSync(join(subs, student, "01-grading.ipynb"), formatNotebook(nb));
    }
    // A supervisor keeps two workers alive, as systemd would.
    let restarts = 0;
    let supervising = true;
    const keep = async () => {
      const w = await startWorker();
      w.proc.stdout!.on("data", () => /grading poison\/01-grading/.test(w.log()) && w.proc.kill("SIGKILL"));
      w.proc.once("exit", () => {
        if (!supervising) return;
        restarts++;
        void keep();
      });
    };
    try {
      await Promise.all([keep(), keep()]);
      const summary = await autograde({ source: SOURCE, submissions: subs, out: join(root, "poisoned"), queue: url, limits });
      expect(summary).toMatchObject({ graded: 2, failed: 1 });
    } finally {
      supervising = false;
    }
    expect(restarts).toBeGreaterThanOrEqual(2);
    const { submissions, grades } = contents(join(root, "poisoned"));
    expect(submissions.find((s) => s.student === "poison")).toMatchObject({ status: "error", reason: expect.stringMatching(/stalled more than allowable limit/) });
    expect(submissions.find((s) => s.student === "killer")).toMatchObject({ status: "graded" });
    expect(grades.filter((g) => g.student === "killer").reduce((x, g) => x + g.points, 0)).toBe(5);
    expect(submissions.find((s) => s.student === "fine")).toMatchObject({ status: "graded" });
    await Promise.all(workers.map((w) => stopped(w)));
  });

  it("Redis going away mid-run: both sides say so, wait, and finish once it is back, each submission graded once", { timeout: 300_000 }, async () => {
    const subs = join(root, "outage");
    classOf(subs, "o");
    const w = await startWorker();
    const coordinator = spawn(process.execPath, [CLI, "course", "autograde", "--source", SOURCE, "--submissions", subs, "--out", join(root, "outage-out"), "--queue", url, "--cell-timeout", "30", "--notebook-timeout", "150"], { stdio: ["ignore", "pipe", "pipe"] });
    let said = "";
    coordinator.stdout!.on("data", (d) => (said += d));
    coordinator.stderr!.on("data", (d) => (said += d));
    const finished = new Promise<number | null>((r) => coordinator.once("exit", r));
    while (!/graded +o\d+/.test(w.log())) await new Promise((r) => setTimeout(r, 20));
    await stopped(redis);
    await new Promise((r) => setTimeout(r, 2_000));
    redis = await startRedis();
    expect(await finished).toBe(1); // 1: some submissions could not be graded (the files that are not JSON)
    expect(said).toMatch(/coordinator: lost Redis at redis:\/\/127\.0\.0\.1:\d+\/ .*waiting for it to come back/);
    expect(said).toMatch(/coordinator: Redis at .* is back; carrying on/);
    expect(said).toMatch(/8 graded, 2 could not be graded/);
    expect(w.log()).toMatch(/worker: lost Redis at/);
    const { submissions } = contents(join(root, "outage-out"));
    expect(submissions).toHaveLength(CLASS);
    // Graded once each: no submission's "graded" line appears twice in the worker's log.
    const gradedLines = w.log().split("\n").filter((l) => l.startsWith("graded  "));
    expect(gradedLines).toHaveLength(8);
    expect(new Set(gradedLines).size).toBe(8);
    await stopped(w.proc);
  });
});
