/**
 * `npm run bench:class [-- STUDENTS [LESSON]]`: the class hub under a class.
 * Starts the hub (workshop mode, on loopback), runs one student alone as the
 * baseline, then STUDENTS students at once: each logs in, starts a server and
 * runs LESSON (default 34-dns-messages, released) through its own kernel.
 * Prints spawn latency (p50, p95), notebook time against the student alone,
 * memory per student (the server and its kernel, peak RSS), and the largest
 * class this machine holds, with the reasoning; then what the per-student caps
 * cost: the same student alone on a hub whose caps are the whole machine.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { HUB_DEFAULTS, startHub } from "../lib/src/class/hub";
import { scratchDir } from "../lib/src/lab/scratch";
import { login, runNotebook, startServer, stopServer, userToken } from "../scripts/hub-client";

const ROOT = join(__dirname, "..");
const STUDENTS = Number(process.argv[2] ?? 8);
const LESSON = process.argv[3] ?? "34-dns-messages";
const PASSWORD = "bench-class";

/** Resident memory of a process and all its descendants, in MiB (from /proc). */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  for (const stack = [pid]; stack.length; ) {
    const p = stack.pop()!;
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone
    }
    stack.push(...(children.get(p) ?? []));
  }
  return kb / 1024;
}

/** CPU seconds the whole machine has spent busy since boot (/proc/stat, in USER_HZ = 100 ticks a second). */
function busySeconds(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100; // user, nice, system, irq, softirq, steal
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const memAvailableMb = () => Number(/MemAvailable:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  console.log(`applayer class benchmark — node ${process.version}, ${cpus().length} cores, ${Math.round(memAvailableMb())} MiB available, ${new Date().toISOString()}`);
  const hub = await startHub({ root: ROOT, state: scratchDir("applayer-bench-hub"), workshopPassword: PASSWORD });
  const student = (name: string) => runStudent(hub, name);
  let alone: Awaited<ReturnType<typeof student>>;
  try {
    console.log(`\n1. One student alone: login, spawn, ${LESSON} through the kernel (caps: ${HUB_DEFAULTS.studentCpus} core, ${HUB_DEFAULTS.studentMemoryMb} MiB)`);
    const busy = busySeconds();
    alone = await student("alone");
    const cpuEach = busySeconds() - busy;
    console.log(`   spawn ${alone.spawnMs.toFixed(0)} ms, notebook ${(alone.notebookMs / 1000).toFixed(1)} s, ${cpuEach.toFixed(1)} CPU-s in all, peak ${alone.peakMb.toFixed(0)} MiB (server + kernel)`);
    await stopServer(hub.url, hub.apiToken, "alone");
    await aClass(student, alone, cpuEach);
  } finally {
    await hub.stop();
  }
  // What the caps cost a lesson: the same student alone on a hub whose caps are the whole machine.
  const free = await startHub({ root: ROOT, state: scratchDir("applayer-bench-hub"), workshopPassword: PASSWORD, studentCpus: cpus().length, studentMemoryMb: Math.floor(totalmem() / 1048576) });
  try {
    const uncapped = await runStudent(free, "uncapped");
    console.log(`\n4. What the per-student caps cost a lesson: ${LESSON} alone takes ${(alone.notebookMs / 1000).toFixed(1)} s capped, ${(uncapped.notebookMs / 1000).toFixed(1)} s with the caps at the whole machine (${cpus().length} cores): ${(alone.notebookMs / uncapped.notebookMs).toFixed(2)}×`);
  } finally {
    await free.stop();
    // Each workshop student was a system account (jupyter-NAME) for the run.
    for (const name of ["alone", "uncapped", ...Array.from({ length: STUDENTS }, (_, i) => `s${i + 1}`)]) spawnSync("userdel", [`jupyter-${name}`], { stdio: "ignore" });
  }
}

/** One student on `hub`: log in, spawn, run the lesson; memory sampled every 250 ms meanwhile. */
async function runStudent(hub: Awaited<ReturnType<typeof startHub>>, name: string) {
  const lesson = join(hub.release, `${LESSON}.ipynb`);
  const serverPid = async (name: string) =>
    ((await (await fetch(`${hub.url}/hub/api/users/${name}`, { headers: { authorization: `token ${hub.apiToken}` } })).json()) as { servers: Record<string, { state: { pid: number } }> }).servers[""].state.pid;
  // A workshop name's first login chooses its own password (every bench student is a new name).
  if (!(await login(hub.url, name, PASSWORD, `${name}-own-password`)).ok) throw new Error(`${name} could not log in`);
  const spawnMs = await startServer(hub.url, hub.apiToken, name);
  const token = await userToken(hub.url, hub.apiToken, name);
  const pid = await serverPid(name);
  let peakMb = treeRssMb(pid);
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, treeRssMb(pid))), 250);
  const run = await runNotebook(hub.url, name, token, lesson);
  clearInterval(sampler);
  if (!run.ok) throw new Error(`${name}: ${run.error}`);
  return { spawnMs, notebookMs: run.ms, peakMb };
}

/** Sections 2 and 3: a class at once, and the largest class this machine holds. */
async function aClass(student: (name: string) => ReturnType<typeof runStudent>, alone: Awaited<ReturnType<typeof runStudent>>, cpuEach: number): Promise<void> {
  console.log(`\n2. ${STUDENTS} students at once: each logs in, spawns, and runs ${LESSON}`);
  const start = performance.now();
  const all = await Promise.all(Array.from({ length: STUDENTS }, (_, i) => student(`s${i + 1}`)));
  const wall = (performance.now() - start) / 1000;
  const spawns = all.map((s) => s.spawnMs);
  const times = all.map((s) => s.notebookMs / 1000);
  const peaks = all.map((s) => s.peakMb);
  console.log(`   spawn latency       p50 ${percentile(spawns, 50).toFixed(0)} ms, p95 ${percentile(spawns, 95).toFixed(0)} ms (alone: ${alone.spawnMs.toFixed(0)} ms)`);
  console.log(`   notebook time       p50 ${percentile(times, 50).toFixed(1)} s, p95 ${percentile(times, 95).toFixed(1)} s = ${(percentile(times, 50) / (alone.notebookMs / 1000)).toFixed(1)}× a student alone (${(alone.notebookMs / 1000).toFixed(1)} s); all done in ${wall.toFixed(1)} s`);
  console.log(`   memory per student  p50 ${percentile(peaks, 50).toFixed(0)} MiB, max ${Math.max(...peaks).toFixed(0)} MiB peak RSS (server + kernel)`);

  // The largest class: memory decides how many may have a kernel at once; CPU how long each waits.
  const perStudent = Math.max(...peaks);
  const byMemory = Math.floor((memAvailableMb() * 0.85) / perStudent);
  // N students running at the same moment need N × cpuEach CPU-seconds from the cores; within 2× of alone when that fits in 2 × alone's time.
  const within2x = Math.max(1, Math.floor((cpus().length * 2 * (alone.notebookMs / 1000)) / cpuEach));
  console.log(`\n3. The largest class on this machine (${cpus().length} cores, ${Math.round(memAvailableMb())} MiB free now)`);
  console.log(`   memory: ${Math.round(memAvailableMb() * 0.85)} MiB usable / ${perStudent.toFixed(0)} MiB per running student → ${byMemory} kernels at once`);
  console.log(`   CPU: one run of the lesson costs ${cpuEach.toFixed(1)} CPU-s over ${(alone.notebookMs / 1000).toFixed(1)} s; ${cpus().length} cores give ${within2x} runs at once within 2× a student alone (measured: ${STUDENTS} at once took ${(percentile(times, 50) / (alone.notebookMs / 1000)).toFixed(1)}×)`);
  console.log(`   so: ${byMemory} students logged in with a kernel each fit in memory; ${within2x} running cells at the same moment stay within 2× their alone time.`);
  console.log(`   A class mostly reads and types: if one student in five runs a cell at any moment, ${within2x * 5} students work at full pace, and memory allows up to ${byMemory}.`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
