/**
 * The grading sandbox, attacked from inside a grading kernel: the code a
 * submission runs cannot read the instructor's notebooks or the grader's files,
 * cannot write the lib, cannot see or signal the grader, cannot reach a server
 * on the grader's loopback, runs as an unprivileged uid, and leaves nothing
 * behind (no process, no file) once the grader shuts it down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kernel } from "../../lib/src/course/kernel";
import { ROOT, isAlive } from "../helpers";

let kernel: Kernel;
let server: net.Server;
let port = 0;

/** Runs a cell and returns what it printed. */
async function run(code: string): Promise<string> {
  const r = await kernel.execute(code, 30_000);
  return r.outputs.map((o) => (o as { text?: string }).text ?? "").join("").trim();
}

/** A cell that tries `attempt` and prints "refused CODE" or "got …". */
const tries = (attempt: string) => `try { const r = ${attempt}; console.log("got", String(r).slice(0, 60)); } catch (e) { console.log("refused", (e as NodeJS.ErrnoException).code ?? (e as Error).message); }`;

const libHash = () => createHash("sha256").update(readFileSync(join(ROOT, "lib", "dist", "index.js"))).digest("hex");
let hashBefore = "";

beforeAll(async () => {
  hashBefore = libHash();
  server = net.createServer((s) => s.end("grader secret\n"));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  port = (server.address() as net.AddressInfo).port;
  kernel = await Kernel.start({ memoryMb: 512 });
}, 60_000);

afterAll(async () => {
  await kernel?.shutdown();
  server.close();
});

describe("inside a grading sandbox", () => {
  it("runs as an unprivileged user, alone in its pid namespace", { timeout: 60_000 }, async () => {
    expect(await run("console.log(process.getuid(), process.getgid())")).toBe("1000 1000");
    // …who has a name, as a peer that looks its user up (Dovecot) needs, whoever holds uid 1000 outside.
    expect(await run(`console.log(require("os").userInfo().username, require("child_process").execFileSync("id", ["-gn"], { encoding: "utf8" }).trim())`)).toBe("student student");
    const pids = (await run(`console.log(require("fs").readdirSync("/proc").filter((p: string) => /^\\d+$/.test(p)).join(" "))`)).split(" ");
    expect(pids.length).toBeLessThan(5); // bwrap's reaper and the kernel, nothing of the grader's
    const outside = Number(readFileSync(`/proc/${kernel.pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m)![1]);
    if (process.getuid?.() === 0) expect(outside).toBeGreaterThanOrEqual(200_000);
    expect(await run(tries(`process.kill(${process.pid}, "SIGKILL")`))).toMatch(/^refused ESRCH/);
    expect(isAlive(process.pid)).toBe(true);
  });

  it("sees no source notebook, no grader folder, no private fixture and no home", { timeout: 60_000 }, async () => {
    for (const path of [join(ROOT, "notebooks"), join(ROOT, "test", "fixtures", "course"), "/applayer/test/fixtures/course", join(ROOT, ".grading"), "/root", "/work", "/applayer/notebooks"]) {
      expect(await run(tries(`require("fs").readdirSync(${JSON.stringify(path)})`)), path).toMatch(/^refused ENOENT/);
    }
    expect(await run(`console.log(require("fs").readdirSync("/applayer").sort().join(" "))`)).toBe("bin lib node_modules test work");
    expect(await run(`console.log(Object.keys(process.env).sort().join(" "))`)).toBe("APPLAYER_CAPTURE_DIR APPLAYER_HEADLESS HOME LANG NODE_OPTIONS PATH PWD TMPDIR");
  });

  it("cannot write the lib, and the lib is byte-identical afterwards", { timeout: 60_000 }, async () => {
    expect(await run(tries(`require("fs").writeFileSync("/applayer/lib/dist/index.js", "module.exports = {}")`))).toMatch(/^refused EROFS/);
    expect(await run(tries(`require("fs").writeFileSync("/usr/bin/node", "")`))).toMatch(/^refused (EROFS|EACCES)/);
    expect(libHash()).toBe(hashBefore);
  });

  it("has its own loopback: the lessons' addresses bind, the grader's servers are out of reach", { timeout: 60_000 }, async () => {
    const probe = `await new Promise<void>((done) => { const s = require("net").connect(${port}, "127.0.0.1"); s.on("data", (d: Buffer) => { console.log("got", String(d).trim()); s.destroy(); done(); }); s.on("error", (e: NodeJS.ErrnoException) => { console.log("refused", e.code); done(); }); });`;
    expect(await run(probe)).toBe("refused ECONNREFUSED");
    expect(await run(`await new Promise<void>((done) => { const s = require("net").createServer().listen(0, "127.53.0.1", () => { console.log("bound", (s.address() as { address: string }).address); s.close(); done(); }); });`)).toBe("bound 127.53.0.1");
  });

  it("cannot fork without end: the process cap stops a fork bomb, and the kernel goes on", { timeout: 90_000 }, async () => {
    const out = await run(`console.log(require("child_process").execSync("for i in $(seq 700); do sleep 60 >/dev/null 2>&1 & done 2>&1 | head -c 300; echo; echo spawned", { shell: "/bin/sh", encoding: "utf8" }))`);
    if (process.getuid?.() === 0) expect(out).toMatch(/fork/i); // the shell said it could not fork: the pids cap
    expect(await run("console.log(6 * 7)")).toBe("42");
  });

  it("cannot fill the grader's disk through its work folder, and shares at most one core", { timeout: 60_000 }, async () => {
    const out = await run(tries(`require("fs").writeFileSync("/applayer/work/big", Buffer.alloc(64 << 20, 1))`));
    if (process.getuid?.() === 0) {
      expect(out).toBe("refused ENOSPC");
      const uid = readFileSync(`/proc/${kernel.pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m)![1];
      const quota = readFileSync(`/sys/fs/cgroup/cpu/applayer-grading/box-${uid}-${process.pid}/cpu.cfs_quota_us`, "utf8");
      expect(Number(quota)).toBe(100_000);
    }
  });

  it("leaves no process and no file behind once shut down", { timeout: 60_000 }, async () => {
    await run(`require("child_process").spawn("/bin/sh", ["-c", "sleep 300 & sleep 300"], { detached: true, stdio: "ignore" }).unref(); require("fs").writeFileSync("/tmp/left-behind", "x");`);
    const pid = kernel.pid!;
    const folder = kernel.folder;
    expect(existsSync(folder)).toBe(true);
    await kernel.shutdown();
    expect(isAlive(pid)).toBe(false);
    const sleepers = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("sleep\u0000300");
      } catch {
        return false;
      }
    });
    expect(sleepers).toEqual([]);
    expect(existsSync(folder)).toBe(false);
    kernel = await Kernel.start({ memoryMb: 512 });
  });
});

describe("the sandbox's /etc/passwd and /etc/group", () => {
  it("name uid 1000, reach bwrap through pipes, and leave no file behind the grader", { timeout: 60_000 }, async () => {
    const temp = mkdtempSync(join(tmpdir(), "applayer-identity-test-"));
    const work = mkdtempSync(join(tmpdir(), "applayer-identity-work-"));
    // What the sandbox says of them, on stderr (its stdout goes nowhere); then whether its shell holds fd 3 or 4. No pipe
    // of the shell's own while it looks: a pipeline (ls /proc/$$/fd | tr) opens one in the shell, as fd 3, while ls runs.
    const inside = "exec 1>&2; grep -H ^student: /etc/passwd /etc/group; stat -c %a /etc/passwd /etc/group; for fd in 3 4; do [ -e /proc/$$/fd/$fd ] && echo \"fd $fd\"; done; echo end";
    // A grader of its own, in a child process whose temporary folder is `temp`: it starts one sandbox and exits.
    const grader = `
      const { spawnSandboxed } = require(${JSON.stringify(join(ROOT, "lib", "dist", "course", "sandbox.js"))});
      const box = spawnSandboxed({ project: ${JSON.stringify(ROOT)}, work: ${JSON.stringify(work)}, env: {}, command: ["/bin/sh", "-c", ${JSON.stringify(inside)}] });
      let said = "";
      box.proc.stderr.on("data", (d) => (said += d));
      box.proc.on("exit", async () => { await box.dispose(); process.stdout.write(said); });`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ["-e", grader], { env: { ...process.env, TMPDIR: temp }, timeout: 30_000 });
      const [passwd, group, ...rest] = stdout.trim().split("\n");
      expect([passwd, group]).toEqual(["/etc/passwd:student:x:1000:1000:a graded submission:/applayer/work:/usr/sbin/nologin", "/etc/group:student:x:1000:"]);
      expect(rest).toEqual(["644", "644", "end"]); // and no fd 3 or 4: the pipes stop at bwrap
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      rmSync(temp, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  });
});
