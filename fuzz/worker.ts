/**
 * One target's run, in its own process (so V8 coverage is the target's alone):
 * `node --import tsx fuzz/worker.ts TARGET FROM TO SEED`. Input i is the
 * (i % BATCH)-th of fast-check's sample with seed SEED + ⌊i / BATCH⌋, so any
 * input can be made again from its number. A broken contract is saved as
 * crash-<sha1>.bin in the target's corpus; an input still running after
 * HANG_MS is saved as hang-<sha1>.bin by a watchdog thread, which then kills
 * this process (a synchronous loop cannot be interrupted otherwise) and the
 * campaign goes on from the next input; the coverage written every
 * COVERAGE_EVERY_MS survives it. Progress goes to the parent over IPC.
 */
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { takeCoverage } from "node:v8";
import { Worker } from "node:worker_threads";
import { CORPUS, Defect, corpusOf, targetNamed } from "./targets";

/** Inputs generated per fast-check sample. */
export const BATCH = 1000;
/** An input that runs longer than this is a hang. */
export const HANG_MS = 1000;
/**
 * How often the coverage so far is written out (v8.takeCoverage): NODE_V8_COVERAGE
 * writes it only at a clean exit, so a hang's SIGKILL lost all of the child's
 * coverage; now it loses at most this much of it. c8 merges the files.
 */
const COVERAGE_EVERY_MS = 10_000;
/** The largest input the watchdog can save (larger ones are cut to this for the file). */
const MAX_SAVED = 1 << 20;

export type Report = { kind: "progress"; done: number } | { kind: "crash"; index: number; file: string; message: string } | { kind: "slow"; index: number; file: string; ms: number };

/** Saves an input in the target's corpus under a name from its content; returns the file name. */
export function keep(target: string, kind: "crash" | "hang", input: Buffer): string {
  const file = `${kind}-${createHash("sha1").update(input).digest("hex").slice(0, 16)}.bin`;
  mkdirSync(join(CORPUS, target), { recursive: true });
  writeFileSync(join(CORPUS, target, file), input);
  return file;
}

const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const { writeFileSync, writeSync, mkdirSync } = require("node:fs");
const { createHash } = require("node:crypto");
const { state, bytes, dir, hangMs } = workerData;
const view = new Int32Array(state); // [input number, length]
const data = new Uint8Array(bytes);
let last = -1, since = Date.now();
setInterval(() => {
  const now = Atomics.load(view, 0);
  if (now !== last) { last = now; since = Date.now(); return; }
  if (now < 0 || Date.now() - since < hangMs) return;
  const input = Buffer.from(data.subarray(0, Atomics.load(view, 1)));
  const file = "hang-" + createHash("sha1").update(input).digest("hex").slice(0, 16) + ".bin";
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + "/" + file, input);
  writeSync(2, "HANG " + now + " " + file + "\\n"); // straight to the fd: a worker's process.stderr goes through the stuck main thread
  process.kill(process.pid, "SIGKILL");
}, 100);
`;

async function main(): Promise<void> {
  const [name, fromText, toText, seedText] = process.argv.slice(2);
  const target = targetNamed(name);
  const [from, to, seed] = [Number(fromText), Number(toText), Number(seedText)];
  const seeds = corpusOf(name).filter((c) => c.file.startsWith("seed-")).map((c) => c.bytes);
  if (!seeds.length) throw new Error(`the target ${name} has no seed corpus in ${join(CORPUS, name)}`);
  const arbitrary = target.inputs(seeds);

  const state = new SharedArrayBuffer(8);
  const bytes = new SharedArrayBuffer(MAX_SAVED);
  const view = new Int32Array(state);
  const shared = new Uint8Array(bytes);
  Atomics.store(view, 0, -1);
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { state, bytes, dir: join(CORPUS, name), hangMs: HANG_MS } });
  watchdog.unref();

  const send = (r: Report) => process.send?.(r);
  let lastReport = Date.now();
  let lastCoverage = Date.now();
  for (let batch = Math.floor(from / BATCH); batch * BATCH < to; batch++) {
    const inputs = fc.sample(arbitrary, { seed: seed + batch, numRuns: BATCH });
    for (let k = 0; k < BATCH; k++) {
      const index = batch * BATCH + k;
      if (index < from || index >= to) continue;
      const input = inputs[k];
      const saved = Math.min(input.length, MAX_SAVED);
      shared.set(input.subarray(0, saved));
      Atomics.store(view, 1, saved);
      Atomics.store(view, 0, index);
      const started = performance.now();
      try {
        const pending = target.check(input);
        if (pending) await pending;
      } catch (e) {
        const message = e instanceof Defect ? e.message : `threw ${(e as Error).name}: ${(e as Error).message}`;
        send({ kind: "crash", index, file: keep(name, "crash", input), message });
      }
      const ms = performance.now() - started;
      if (ms > HANG_MS) send({ kind: "slow", index, file: keep(name, "hang", input), ms });
      if (Date.now() - lastReport > 500) {
        send({ kind: "progress", done: index + 1 });
        lastReport = Date.now();
      }
      if (process.env.NODE_V8_COVERAGE && Date.now() - lastCoverage > COVERAGE_EVERY_MS) {
        takeCoverage();
        lastCoverage = Date.now();
      }
    }
  }
  Atomics.store(view, 0, -1);
  send({ kind: "progress", done: to });
  await watchdog.terminate();
}

if (require.main === module)
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(2);
    },
  );
