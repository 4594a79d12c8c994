/**
 * `npm run fuzz [TARGET…] [--runs N] [--seed S]`: the fuzzing campaign. Each
 * target runs in a child process (fuzz/worker.ts) under Node's own V8 coverage;
 * c8 then reports the branch coverage the inputs reached in the target's files,
 * and the lines of the branches they never took (the HTML report is in
 * build/fuzz/TARGET/). Prints inputs per second, coverage, crashes and hangs;
 * exits 1 if any input broke a contract. Crash and hang inputs are kept in
 * test/fixtures/fuzz/TARGET/, where the suite replays them.
 */
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ROOT, TARGETS, Target, targetNamed } from "./targets";
import type { Report } from "./worker";

/** Inputs per target unless --runs says otherwise. */
export const DEFAULT_RUNS = 1_000_000;

interface Outcome {
  target: string;
  runs: number;
  seconds: number;
  branches: { covered: number; total: number };
  crashes: Array<{ index: number; file: string; message: string }>;
  hangs: Array<{ index: number; file: string }>;
}

function usage(problem: string): never {
  console.error(`applayer fuzz: ${problem}\nusage: npm run fuzz -- [TARGET…] [--runs N] [--seed S] [--jobs N]\ntargets: ${TARGETS.map((t) => t.name).join(", ")}`);
  process.exit(2);
}

function parseArgs(argv: string[]): { targets: Target[]; runs: number; seed: number; jobs: number } {
  const names: string[] = [];
  const numbers = { "--runs": DEFAULT_RUNS, "--seed": 1, "--jobs": availableParallelism() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in numbers) {
      const v = Number(argv[++i]);
      const least = a === "--seed" ? 0 : 1;
      if (!Number.isSafeInteger(v) || v < least) usage(`${a} needs a whole number of at least ${least}, not ${JSON.stringify(argv[i] ?? "")}`);
      numbers[a as keyof typeof numbers] = v;
    } else if (a.startsWith("-")) usage(`unknown flag ${a}`);
    else if (!TARGETS.some((t) => t.name === a)) usage(`no target named ${a}`);
    else names.push(a);
  }
  return { targets: names.length ? names.map(targetNamed) : TARGETS, runs: numbers["--runs"], seed: numbers["--seed"], jobs: numbers["--jobs"] };
}

/** Runs inputs [from, to) in a child; resolves with the input number a hang killed it at, if one did. */
function runChild(target: Target, from: number, to: number, seed: number, coverage: string, onReport: (r: Report) => void): Promise<{ hang?: { index: number; file: string } }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, "worker.ts"), [target.name, String(from), String(to), String(seed)], {
      execArgv: ["--enable-source-maps", "--import", "tsx"],
      env: { ...process.env, NODE_V8_COVERAGE: coverage },
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("message", (m) => onReport(m as Report));
    child.on("exit", (code, signal) => {
      const hang = /HANG (\d+) (\S+)/.exec(stderr);
      if (signal === "SIGKILL" && hang) return resolve({ hang: { index: Number(hang[1]), file: hang[2] } });
      if (code === 0) return resolve({});
      reject(new Error(`the ${target.name} worker exited with ${signal ?? code}: ${stderr.trim().slice(-500)}`));
    });
  });
}

/** Branch coverage of the target's files from the V8 coverage in `dir`, by c8; prints the lines of untaken branches. */
async function coverageOf(target: Target, dir: string): Promise<Outcome["branches"]> {
  const { Report } = (await import("c8")) as unknown as { Report: (o: object) => { run(): Promise<void> } };
  const out = join(ROOT, "build", "fuzz", target.name);
  rmSync(out, { recursive: true, force: true });
  const include = target.files.map((f) => `lib/src/${f}`);
  await Report({ tempDirectory: dir, reportsDirectory: out, reporter: ["json", "json-summary", "html"], include, src: [ROOT], excludeNodeModules: true, all: true, allowExternal: false }).run();
  const final = JSON.parse(readFileSync(join(out, "coverage-final.json"), "utf8")) as Record<string, { b: Record<string, number[]>; branchMap: Record<string, { loc: { start: { line: number; column: number } } }> }>;
  let covered = 0;
  let total = 0;
  for (const [file, data] of Object.entries(final)) {
    const untaken = new Set<number>();
    let fileCovered = 0;
    let fileTotal = 0;
    for (const [id, counts] of Object.entries(data.b)) {
      const at = data.branchMap[id].loc.start;
      if (at.line === 1 && at.column === 0) continue; // the transpiler's module prologue (tsx), not a branch of ours
      for (const c of counts) {
        fileTotal++;
        if (c > 0) fileCovered++;
        else untaken.add(at.line);
      }
    }
    covered += fileCovered;
    total += fileTotal;
    const lines = [...untaken].sort((a, b) => a - b);
    console.log(`     ${relative(ROOT, file).padEnd(34)} branches ${pct(fileCovered, fileTotal).padStart(6)}  (${fileCovered}/${fileTotal})${lines.length ? `  untaken at lines ${lines.slice(0, 14).join(", ")}${lines.length > 14 ? ", …" : ""}` : ""}`);
  }
  return { covered, total };
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "n/a");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function campaign(target: Target, runs: number, seed: number, jobs: number): Promise<Outcome> {
  const coverage = mkdtempSync(join(tmpdir(), `applayer-fuzz-${target.name}-`));
  const outcome: Outcome = { target: target.name, runs, seconds: 0, branches: { covered: 0, total: 0 }, crashes: [], hangs: [] };
  const started = performance.now();
  const tty = process.stdout.isTTY;
  let shownTenth = 0;
  console.log(`\n▶ ${target.name}: ${target.what}`);
  // The inputs are cut into one contiguous slice per job; each slice's progress is counted apart.
  const slices = Array.from({ length: Math.min(jobs, runs) }, (_, j) => ({ from: Math.floor((j * runs) / jobs), to: Math.floor(((j + 1) * runs) / jobs) }));
  const done = slices.map(() => 0);
  const show = () => {
    const total = done.reduce((a, b) => a + b, 0);
    const rate = total / ((performance.now() - started) / 1000);
    const line = `   ${fmt(total).padStart(9)} / ${fmt(runs)} inputs  ${fmt(rate).padStart(7)}/s  ETA ${Math.max(0, Math.round((runs - total) / rate))} s  crashes ${outcome.crashes.length}  hangs ${outcome.hangs.length}`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (Math.floor((10 * total) / runs) > shownTenth) {
      shownTenth = Math.floor((10 * total) / runs);
      console.log(line);
    }
  };
  const runSlice = async (j: number) => {
    let from = slices[j].from;
    while (from < slices[j].to) {
      const { hang } = await runChild(target, from, slices[j].to, seed, coverage, (r) => {
        if (r.kind === "progress") {
          done[j] = r.done - slices[j].from;
          show();
        } else if (r.kind === "crash") {
          outcome.crashes.push(r);
          console.log(`\n   ✗ input ${r.index} ${r.message.slice(0, 160)}\n     kept as test/fixtures/fuzz/${target.name}/${r.file}`);
        } else {
          outcome.hangs.push(r);
          console.log(`\n   ⧗ input ${r.index} took ${Math.round(r.ms)} ms; kept as test/fixtures/fuzz/${target.name}/${r.file}`);
        }
      });
      if (!hang) break;
      outcome.hangs.push(hang);
      console.log(`\n   ⧗ input ${hang.index} ran past 1 s and was stopped; kept as test/fixtures/fuzz/${target.name}/${hang.file}`);
      from = hang.index + 1;
    }
  };
  await Promise.all(slices.map((_, j) => runSlice(j)));
  outcome.seconds = (performance.now() - started) / 1000;
  if (tty) process.stdout.write("\n");
  outcome.branches = await coverageOf(target, coverage);
  rmSync(coverage, { recursive: true, force: true });
  return outcome;
}

async function main(): Promise<void> {
  const { targets, runs, seed, jobs } = parseArgs(process.argv.slice(2));
  console.log(`Fuzzing ${targets.length} target(s), ${fmt(runs)} inputs each, seed ${seed}, ${jobs} process(es) per target. Coverage reports: build/fuzz/TARGET/index.html`);
  const outcomes: Outcome[] = [];
  for (const t of targets) outcomes.push(await campaign(t, runs, seed, jobs));
  console.log(`\n   ${"target".padEnd(16)} ${"inputs".padStart(10)} ${"inputs/s".padStart(9)} ${"branches".padStart(9)} crashes hangs`);
  for (const o of outcomes)
    console.log(`   ${o.target.padEnd(16)} ${fmt(o.runs).padStart(10)} ${fmt(o.runs / o.seconds).padStart(9)} ${pct(o.branches.covered, o.branches.total).padStart(9)} ${String(o.crashes.length).padStart(7)} ${String(o.hangs.length).padStart(5)}`);
  mkdirSync(join(ROOT, "build", "fuzz"), { recursive: true });
  writeFileSync(join(ROOT, "build", "fuzz", "summary.json"), JSON.stringify({ seed, outcomes }, null, 1));
  const broken = outcomes.reduce((n, o) => n + o.crashes.length + o.hangs.length, 0);
  if (broken) {
    console.log(`\n${broken} input(s) broke a contract. Each is kept in test/fixtures/fuzz/; fix the code, and the suite replays them from then on.`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
