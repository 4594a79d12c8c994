/**
 * A grading kernel dies with the process that started it: a worker killed with
 * kill -9 in the middle of a student's endless loop leaves nothing running. And
 * the guard that does it is one thread, not a thread per thread.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { ROOT, isAlive } from "../helpers";

const threads = (pid: number) => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

describe("the orphan guard", () => {
  it("kills a kernel stuck in an endless loop within seconds of its parent's kill -9", { timeout: 60_000 }, async () => {
    // A stand-in for a grading worker: starts a kernel, sets it looping, prints its pid.
    const parent = spawn(process.execPath, ["-e", `
      const { Kernel } = require(${JSON.stringify(`${ROOT}/lib/dist/course/kernel`)});
      Kernel.start({}).then((k) => { console.log(k.pid); k.execute("for (;;) {}", 600000).catch(() => undefined); });
      setInterval(() => undefined, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve) => parent.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
    await new Promise((r) => setTimeout(r, 1500)); // the loop is running
    expect(isAlive(pid)).toBe(true);
    expect(threads(pid)).toBeLessThan(30); // node's own threads and one watcher
    parent.kill("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(pid)).toBe(false);
  });

  it("kills a kernel whose grader died before the kernel even started (it was born adopted)", { timeout: 30_000 }, async () => {
    // A pid that is surely gone: a process that has already exited.
    const gone = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => gone.once("exit", r));
    const kernel = spawn(process.execPath, ["--require", `${ROOT}/lib/dist/course/orphan-guard.js`, "-e", "for (;;) {}"], { env: { ...process.env, APPLAYER_KERNEL_PARENT: String(gone.pid) } });
    const ended = await new Promise<NodeJS.Signals | null>((r) => kernel.once("exit", (_code, signal) => r(signal)));
    expect(ended).toBe("SIGKILL");
  });

  it("does nothing in a process that merely imports it (the grader)", { timeout: 30_000 }, async () => {
    const grader = spawn(process.execPath, ["-e", `require(${JSON.stringify(`${ROOT}/lib/dist/course/orphan-guard.js`)}); setTimeout(() => process.exit(0), 2500);`], { env: { ...process.env, APPLAYER_KERNEL_PARENT: "1" } });
    expect(await new Promise((r) => grader.once("exit", (code) => r(code)))).toBe(0);
  });
});
