/**
 * `npm run bench:grading`: the grader against plain execution, in one run.
 *   - the baseline: 40 submissions of one notebook executed one after another by
 *     Jupyter's nbconvert (what grading one by one would cost);
 *   - `applayer course autograde --jobs 2` on the same 40 submissions;
 *   - the grader with one job on 10 of them, for its overhead per submission;
 *   - the sandbox's own cost: a sandboxed kernel's start and first cell beside
 *     a plain one's, alternately, median of 7 each.
 * The submissions are copies of the reference notebook, so every run does the
 * same work. Prints the speed-up and the overhead.
 */
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { autograde } from "../lib/src/course/autograde";
import { Kernel } from "../lib/src/course/kernel";
import { scratchDir } from "../lib/src/lab/scratch";
import { NOTEBOOK_DIR, ROOT, executeNotebook } from "../scripts/notebooks";

const NOTEBOOK = "22-email-message-format";
const SUBMISSIONS = 40;
const OVERHEAD_SAMPLE = 10;

function submissions(count: number): string {
  // Inside the project: a kernel resolves "applayer" from the notebook's folder up (nbconvert runs it there).
  mkdirSync(join(ROOT, ".grading"), { recursive: true });
  const dir = scratchDir("bench-submissions", join(ROOT, ".grading"));
  for (let i = 0; i < count; i++) {
    const student = `student-${String(i).padStart(2, "0")}`;
    mkdirSync(join(dir, student));
    cpSync(join(NOTEBOOK_DIR, `${NOTEBOOK}.ipynb`), join(dir, student, `${NOTEBOOK}.ipynb`));
  }
  return dir;
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A kernel's start, one cell and its shutdown, sandboxed or not: seconds. */
async function kernelRound(sandbox: boolean): Promise<number> {
  return seconds(async () => {
    const k = await Kernel.start({ sandbox, memoryMb: 1024 });
    await k.execute("1", 30_000);
    await k.shutdown();
  });
}

async function main(): Promise<void> {
  const subs = submissions(SUBMISSIONS);
  const scratch = scratchDir("applayer-bench-nbconvert");
  console.log(`${SUBMISSIONS} submissions of ${NOTEBOOK}`);
  const sequential = await seconds(async () => {
    for (let i = 0; i < SUBMISSIONS; i++) {
      const ex = await executeNotebook(join(subs, `student-${String(i).padStart(2, "0")}`, `${NOTEBOOK}.ipynb`), join(scratch, String(i)));
      if (!ex.ok) throw new Error(ex.log);
    }
  });
  console.log(`nbconvert, one after another:  ${sequential.toFixed(1)} s (${(sequential / SUBMISSIONS).toFixed(2)} s each)`);
  const parallel = await seconds(() => autograde({ source: NOTEBOOK_DIR, submissions: subs, out: scratchDir("applayer-bench-out"), jobs: 2 }));
  console.log(`autograde --jobs 2:            ${parallel.toFixed(1)} s`);
  const one = await seconds(() => autograde({ source: NOTEBOOK_DIR, submissions: submissions(OVERHEAD_SAMPLE), out: scratchDir("applayer-bench-out"), jobs: 1 }));
  const perGraded = one / OVERHEAD_SAMPLE;
  const perExecuted = sequential / SUBMISSIONS;
  console.log(`autograde --jobs 1 (${OVERHEAD_SAMPLE} of them): ${one.toFixed(1)} s (${perGraded.toFixed(2)} s each)`);
  console.log("");
  console.log(`speed-up of --jobs 2 over nbconvert one by one: ${(sequential / parallel).toFixed(2)}x`);
  console.log(`grader overhead per submission (one job against nbconvert): ${(perGraded - perExecuted).toFixed(2)} s (${(((perGraded - perExecuted) / perExecuted) * 100).toFixed(0)}%)`);
  const plain: number[] = [];
  const boxed: number[] = [];
  for (let i = 0; i < 7; i++) {
    plain.push(await kernelRound(false));
    boxed.push(await kernelRound(true));
  }
  console.log(`the sandbox's own cost per submission (a kernel's start, a cell, its end; median of 7): ${(median(boxed) - median(plain)).toFixed(2)} s (sandboxed ${median(boxed).toFixed(2)} s, plain ${median(plain).toFixed(2)} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
