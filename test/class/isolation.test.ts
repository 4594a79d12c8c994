/**
 * The class hub against a hostile student, in workshop mode on loopback: each
 * student's server and kernels run as the student's own account from a 0700
 * home, in the student's cgroups; alice's kernel tries to read, list and write
 * bob's home, read the instructor's notebooks and the hub's secrets and
 * environment, connect to bob's kernel, and signal bob's kernel and the hub, and every attempt is
 * refused; nobody logs in under a claimed name with the workshop password;
 * memory alice takes outside her kernel's heap stops at her cgroup's cap; and
 * alice's endless loop leaves bob's lesson within 1.5x of its time alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as net from "node:net";
import { join } from "node:path";
import { Hub, startHub } from "../../lib/src/class/hub";
import { CGROUP_ROOT, cgroupProcesses } from "../../lib/src/class/isolation";
import { login, runNotebook, stopServer } from "../../scripts/hub-client";
import { ROOT, isAlive } from "../helpers";
import { takeHeavySuiteTurn } from "../heavy";
import { own, sleep, uidOf, workshop, writeNotebook } from "./students";

const PASSWORD = "isolation-workshop";
const state = mkdtempSync(join(tmpdir(), "applayer-hub-iso-"));
// Half a core each: two students (a loop and a lesson) together take one of the two cores, whatever else the machine runs.
const STUDENT_CPUS = 0.5;
// A lesson's kernel with its server fits in this; the hog below does not.
const STUDENT_MEMORY_MB = 1024;
let hub: Hub;
const students = workshop(() => hub, PASSWORD);

takeHeavySuiteTurn("computes");

beforeAll(async () => {
  hub = await startHub({ root: ROOT, state, workshopPassword: PASSWORD, studentCpus: STUDENT_CPUS, studentMemoryMb: STUDENT_MEMORY_MB });
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  students.removeAccounts();
});

const notebook = (name: string, sources: string[]) => writeNotebook(state, name, sources);
const cgroupOf = (name: string, controller: string) => join(CGROUP_ROOT, controller, hub.cgroup, name);
/** The processes in a student's cgroup whose command line has `word`. */
const studentProcesses = (name: string, word: string) => readFileSync(join(cgroupOf(name, "pids"), "cgroup.procs"), "utf8").split("\n").filter(Boolean)
  .filter((p) => { try { return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(word); } catch { return false; } }).map(Number);
const uidOfProcess = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

describe("a student on the class hub", () => {
  it("runs as an account of its own, from a 0700 home it owns, inside its own cgroups", { timeout: 120_000 }, async () => {
    await students.arrive("alice");
    await students.arrive("bob");
    for (const name of ["alice", "bob"]) {
      const home = statSync(join(hub.homes, name));
      expect(home.mode & 0o777).toBe(0o700);
      expect(home.uid).toBe(uidOf(name));
      const [server] = studentProcesses(name, "jupyterhub-singleuser");
      expect(uidOfProcess(server)).toBe(uidOf(name));
      expect(Number(readFileSync(join(cgroupOf(name, "cpu"), "cpu.cfs_quota_us"), "utf8"))).toBe(STUDENT_CPUS * 100_000);
      expect(Number(readFileSync(join(cgroupOf(name, "memory"), "memory.limit_in_bytes"), "utf8"))).toBe(STUDENT_MEMORY_MB * 2 ** 20);
      expect(readFileSync(join(cgroupOf(name, "pids"), "pids.max"), "utf8").trim()).toBe("1024");
    }
  });

  it("cannot read, list or write a classmate's home, read the source notebooks or the hub's secrets and environment, or signal others", { timeout: 120_000 }, async () => {
    const alice = await students.arrive("alice");
    const bob = await students.arrive("bob");
    // Bob has a kernel running: alice will try to kill it.
    const kernel = (await (await fetch(`${hub.url}/user/bob/api/kernels`, { method: "POST", headers: { authorization: `token ${bob.token}` }, body: JSON.stringify({ name: "tslab" }) })).json()) as { id: string };
    let bobKernel: number | undefined;
    for (const until = Date.now() + 30_000; !(bobKernel = studentProcesses("bob", kernel.id)[0]) && Date.now() < until;) await sleep(200);
    expect(bobKernel).toBeDefined();
    const proxy = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).find((p) => {
      try { return readFileSync(`/proc/${p}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1] === String(hub.process.pid) && readFileSync(`/proc/${p}/cmdline`, "utf8").includes("configurable-http-proxy"); } catch { return false; }
    });
    expect(proxy).toBeDefined();
    // Bob's kernel listens on his own address; its output channel (IOPub) is a publisher anyone who connects may read.
    const connection = /--config-path\0([^\0]+)/.exec(readFileSync(`/proc/${bobKernel}/cmdline`, "utf8"))![1];
    const { ip, iopub_port: iopub } = JSON.parse(readFileSync(connection, "utf8")) as { ip: string; iopub_port: number };
    const dial = () => new Promise<boolean>((done) => {
      const socket = net.connect(iopub, ip).once("connect", () => (socket.destroy(), done(true))).once("error", () => done(false));
    });
    // Root (the hub's) reaches it once the kernel listens: the kernel is up, and the address is live.
    for (const until = Date.now() + 30_000; !(await dial()) && Date.now() < until;) await sleep(200);
    expect(await dial()).toBe(true);
    const secrets = [hub.apiToken, PASSWORD, readFileSync(join(state, "jupyterhub_cookie_secret"), "utf8").trim(), own("bob")];
    const bobHome = join(hub.homes, "bob");
    const probe = notebook("probe.ipynb", [`import * as fs from "fs";
import * as net from "net";
const leaks: string[] = [];
const refused = (what: string, attempt: () => unknown) => {
  try { attempt(); leaks.push(what + ": allowed"); }
  catch (e) { const code = (e as NodeJS.ErrnoException).code; if (code !== "EACCES" && code !== "EPERM") leaks.push(what + ": " + code); }
};
const bobHome = ${JSON.stringify(bobHome)}, root = ${JSON.stringify(ROOT)}, state = ${JSON.stringify(state)};
if (process.getuid!() === 0) leaks.push("runs as root");
fs.writeFileSync("mine.txt", "my own home is mine"); // the control: alice's own home is hers
fs.readdirSync(${JSON.stringify(hub.release)}); // and the release is hers to read, and the lessons' captures
fs.readFileSync(root + "/test/fixtures/dns/dig-query-cs-umass-edu-mx.bin");
fs.readFileSync(root + "/test/fixtures/captures/34-dns-messages-dns.pcapng"); // the recorded run its Wireshark questions are about
refused("list bob's home", () => fs.readdirSync(bobHome));
refused("read bob's notebook", () => fs.readFileSync(bobHome + "/01-sockets.ipynb"));
refused("write into bob's home", () => fs.writeFileSync(bobHome + "/from-alice.txt", "hi"));
refused("list the source notebooks", () => fs.readdirSync(root + "/notebooks"));
refused("read a source notebook", () => fs.readFileSync(root + "/notebooks/34-dns-messages.ipynb"));
refused("read the grader's source fixture", () => fs.readFileSync(root + "/test/fixtures/course/source/01-grading.ipynb"));
refused("read the git history", () => fs.readFileSync(root + "/.git/HEAD"));
for (const f of ["api-token", "jupyterhub_cookie_secret", "jupyterhub.sqlite", "workshop-passwords.json", "jupyterhub.log"]) refused("read " + f, () => fs.readFileSync(state + "/" + f));
refused("list the hub's folder", () => fs.readdirSync(state));
refused("read the hub's environment", () => fs.readFileSync("/proc/${hub.process.pid}/environ"));
refused("read the proxy's environment", () => fs.readFileSync("/proc/${proxy}/environ"));
refused("kill bob's kernel", () => process.kill(${bobKernel}, "SIGKILL"));
refused("stop the hub", () => process.kill(${hub.process.pid}, "SIGTERM"));
const mine = JSON.stringify(process.env) + fs.readFileSync("/proc/" + process.ppid + "/environ", "utf8"); // the kernel's and its server's
for (const [i, s] of ${JSON.stringify(secrets)}.entries()) if (mine.includes(s)) leaks.push("secret " + i + " in the environment");
if (/APPLAYER_HUB_|CONFIGPROXY/.test(mine)) leaks.push("the hub's variables in the environment");
const dial = (port: number, host: string) => new Promise<string>((done) => {
  const s = net.connect(port, host).once("connect", () => { s.destroy(); done("connected"); }).once("error", (e: NodeJS.ErrnoException) => done(e.code ?? "error"));
});
const self = JSON.parse(fs.readFileSync(process.argv[process.argv.indexOf("--config-path") + 1], "utf8"));
if ((await dial(self.iopub_port, self.ip)) !== "connected") leaks.push("cannot reach her own kernel"); // the control
const bobs = await dial(${iopub}, ${JSON.stringify(ip)});
if (bobs !== "ECONNREFUSED") leaks.push("reach bob's kernel: " + bobs);
if (leaks.length) throw new Error(leaks.join("; "));`]);
    const r = await runNotebook(hub.url, "alice", alice.token, probe);
    expect(r, r.error).toMatchObject({ ok: true, cells: 1 });
    expect(statSync(join(hub.homes, "alice", "mine.txt")).uid).toBe(uidOf("alice"));
    expect(existsSync(join(bobHome, "from-alice.txt"))).toBe(false);
    expect(isAlive(bobKernel!)).toBe(true);
  });

  it("a claimed name opens with its own password only; a new name must choose one", { timeout: 30_000 }, async () => {
    expect(await login(hub.url, "bob", PASSWORD)).toEqual({ ok: false, error: "Invalid username or password" });
    expect(await login(hub.url, "bob", PASSWORD, "mallory-takes-bob")).toEqual({ ok: false, error: "Invalid username or password" });
    expect(await login(hub.url, "bob", own("alice"))).toEqual({ ok: false, error: "Invalid username or password" });
    expect(await login(hub.url, "newcomer", PASSWORD)).toEqual({ ok: false, error: "Invalid username or password" });
    expect(await login(hub.url, "newcomer", PASSWORD, "short")).toEqual({ ok: false, error: "Invalid username or password" });
    expect(await login(hub.url, "bob", own("bob"))).toEqual({ ok: true });
    expect((await fetch(`${hub.url}/hub/api/users/newcomer`, { headers: { authorization: `token ${hub.apiToken}` } })).status).toBe(404);
    expect((statSync(join(state, "workshop-passwords.json")).mode & 0o777)).toBe(0o600);
  });

  it("memory taken outside the kernel's heap stops at the student's cgroup cap: the kernel is killed, a classmate's works on", { timeout: 120_000 }, async () => {
    const alice = await students.arrive("alice");
    const bob = await students.arrive("bob");
    const kills = () => Number(/oom_kill (\d+)/.exec(readFileSync(join(cgroupOf("alice", "memory"), "memory.oom_control"), "utf8"))![1]);
    const before = kills();
    // Buffers live outside V8's heap, so --max-old-space-size does not stop them; filled, every page is really taken.
    const hog = await runNotebook(hub.url, "alice", alice.token, notebook("hog.ipynb", ["const hoard: Buffer[] = [];\nfor (;;) hoard.push(Buffer.alloc(64 * 2 ** 20, 1));"]));
    expect(hog).toMatchObject({ ok: false, cells: 0, error: expect.stringMatching(/died|closed/) });
    expect(kills()).toBeGreaterThan(before);
    const fine = await runNotebook(hub.url, "bob", bob.token, notebook("fine.ipynb", ["const x = 6 * 7;", "if (x !== 42) throw new Error(\"arithmetic\");"]));
    expect(fine, fine.error).toMatchObject({ ok: true, cells: 2 });
  });

  it("an endless loop in alice's kernel leaves bob's lesson within 1.5x of its time alone", { timeout: 400_000 }, async () => {
    const alice = await students.arrive("alice");
    const bob = await students.arrive("bob");
    const lesson = join(hub.release, "01-sockets.ipynb");
    const warm = await runNotebook(hub.url, "bob", bob.token, lesson); // the first run reads everything from disk
    expect(warm, warm.error).toMatchObject({ ok: true });
    const alone = await runNotebook(hub.url, "bob", bob.token, lesson);
    expect(alone, alone.error).toMatchObject({ ok: true });
    const throttled = () => Number(/nr_throttled (\d+)/.exec(readFileSync(join(cgroupOf("alice", "cpu"), "cpu.stat"), "utf8"))![1]);
    const before = throttled();
    const loop = runNotebook(hub.url, "alice", alice.token, notebook("loop.ipynb", ["for (;;) {}"]));
    // The loop is running once alice's cgroup is held to its quota.
    for (const until = Date.now() + 60_000; throttled() < before + 5 && Date.now() < until;) await sleep(200);
    expect(throttled()).toBeGreaterThanOrEqual(before + 5);
    const crowded = await runNotebook(hub.url, "bob", bob.token, lesson);
    expect(crowded, crowded.error).toMatchObject({ ok: true });
    expect(cgroupProcesses(hub.cgroup).length).toBeGreaterThan(0);
    await stopServer(hub.url, hub.apiToken, "alice");
    expect((await loop).ok).toBe(false);
    expect(crowded.ms, `alone ${alone.ms.toFixed(0)} ms, beside the loop ${crowded.ms.toFixed(0)} ms`).toBeLessThan(1.5 * alone.ms);
  });
});
