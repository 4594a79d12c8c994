/**
 * `npm run hub` under a service manager or a script: one SIGTERM to the npm
 * process stops everything it started (applayer hub, JupyterHub, its proxy, a
 * student's server and kernel) before npm exits, and leaves nothing running.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cgroupProcesses, hubCgroup } from "../../lib/src/class/isolation";
import { ROOT } from "../helpers";
import { takeHeavySuiteTurn } from "../heavy";
import { sleep, workshop } from "./students";

const PASSWORD = "sigterm-workshop";
const state = mkdtempSync(join(tmpdir(), "applayer-hub-npm-"));
let url = "";
let apiToken = "";
const students = workshop(() => ({ url, apiToken }), PASSWORD);

takeHeavySuiteTurn("waits");
afterAll(() => students.removeAccounts());

/** Every process below `pid`, found through /proc's parent links. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      parents.set(Number(p), Number(readFileSync(`/proc/${p}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]));
    } catch {
      // gone while we looked
    }
  }
  const below = (p: number): number[] => [...parents].filter(([, parent]) => parent === p).flatMap(([child]) => [child, ...below(child)]);
  return below(pid);
}

/** True while `pid` runs: a zombie (dead, not yet reaped by whoever adopted it) has stopped. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0] !== "Z";
  } catch {
    return false;
  }
}

/** Processes working in `dir` (their folder or command line under it): the hub and proxy run in STATE, servers and kernels in the homes. */
function workingIn(dir: string): number[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return running(p) && (readlinkSync(`/proc/${p}/cwd`).startsWith(dir) || readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir));
    } catch {
      return false; // gone while we looked
    }
  });
}

/** `npm run hub` on a state folder of its own; resolves once it has exited. */
function npmRunHub(state: string) {
  const npm = spawn("npm", ["run", "hub", "--", "--port", "0", "--workshop-password", PASSWORD, "--state", state], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<number | null>((r) => npm.once("exit", (code) => r(code)));
  npm.stderr!.on("data", (d) => (out += d));
  npm.stdout!.on("data", (d) => (out += d));
  return { npm, exited, output: () => out };
}

describe("npm run hub", () => {
  it("stops what it has started when SIGTERM comes while the hub starts", { timeout: 120_000 }, async () => {
    const early = mkdtempSync(join(tmpdir(), "applayer-hub-early-"));
    const { npm, exited } = npmRunHub(early);
    // JupyterHub writes its pid file as it starts, before it answers.
    while (!existsSync(join(early, "jupyterhub.pid")) && npm.exitCode === null) await sleep(50);
    expect(existsSync(join(early, "jupyterhub.pid"))).toBe(true);
    npm.kill("SIGTERM");
    await exited;
    // applayer hub may still be finishing its stop as npm exits (a loaded machine): give it a moment, no more.
    for (let waited = 0; workingIn(early).length && waited < 10_000; waited += 100) await sleep(100);
    expect(workingIn(early)).toEqual([]);
  });

  it("stops the hub, its proxy, the students' servers and kernels on one SIGTERM to npm", { timeout: 180_000 }, async () => {
    const { npm, exited, output } = npmRunHub(state);
    const port = await new Promise<number>((resolve, reject) => {
      npm.stdout!.on("data", () => {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output());
        if (m) resolve(Number(m[1]));
      });
      void exited.then(() => reject(new Error(`npm run hub exited before listening:\n${output()}`)));
    });
    url = `http://127.0.0.1:${port}`;
    apiToken = readFileSync(join(state, "api-token"), "utf8").trim();
    const { token } = await students.arrive("sig");
    const kernel = await fetch(`${url}/user/sig/api/kernels`, { method: "POST", headers: { authorization: `token ${token}` }, body: JSON.stringify({ name: "tslab" }) });
    expect(kernel.status).toBe(201);
    const started = descendants(npm.pid!);
    const inCgroup = cgroupProcesses(hubCgroup(state));
    // npm's shell, applayer hub, jupyterhub, its proxy, the server (and the kernel, in the student's cgroup).
    expect(started.length).toBeGreaterThanOrEqual(4);
    expect(inCgroup.length).toBeGreaterThanOrEqual(2);
    npm.kill("SIGTERM");
    expect(await exited).not.toBeNull();
    expect([...started, ...inCgroup].filter(running)).toEqual([]);
    expect(cgroupProcesses(hubCgroup(state))).toEqual([]);
    expect(workingIn(state)).toEqual([]);
  });
});
