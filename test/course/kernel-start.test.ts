/**
 * A grading kernel that dies before it answers is started afresh, once: on a
 * loaded machine tslab can lose its first exchange, and a submission must not
 * lose its grade to that. One that never comes up still fails, with its reason.
 * A stand-in for tslab's trouble: a script the kernel's node loads first, which
 * ends the kernel with code 7 on its first start (or on every start).
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { START_ATTEMPTS } from "../../lib/src/course/kernel";
import { ROOT } from "../helpers";

/** Starts a plain (unsandboxed) kernel in a process of its own whose kernels load `failing` first; resolves with what it printed. */
function startWith(failing: string): Promise<string> {
  const script = `
    const { Kernel } = require(${JSON.stringify(`${ROOT}/lib/dist/course/kernel`)});
    Kernel.start({ sandbox: false }).then(async (k) => {
      const run = await k.execute("console.log(6 * 7)", 30000);
      console.log("answered " + JSON.stringify(run.outputs.map((o) => [].concat(o.text).join(""))));
      await k.shutdown();
    }, (e) => console.log("failed: " + e.message.split("\\n")[0]));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { env: { ...process.env, NODE_OPTIONS: `--require ${failing}` }, timeout: 90_000 }, (e, stdout) => (e ? reject(e) : resolve(stdout)));
  });
}

/** A script that ends a tslab kernel (not the process starting it) with code 7 on each start, counting starts in `log`, for the first `times` starts. */
function failingStarts(times: number): { script: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "applayer-kernel-start-"));
  const log = join(dir, "starts");
  const script = join(dir, "fail.js");
  writeFileSync(log, "");
  writeFileSync(script, `
    const fs = require("node:fs");
    if (process.argv.some((a) => a.includes("tslab"))) {
      fs.appendFileSync(${JSON.stringify(log)}, "start\\n");
      if (fs.readFileSync(${JSON.stringify(log)}, "utf8").split("\\n").length - 1 <= ${times}) process.exit(7);
    }`);
  return { script, log };
}
const starts = (log: string) => readFileSync(log, "utf8").split("\n").filter(Boolean).length;

describe("a grading kernel that does not come up", () => {
  it("is started afresh, and the second one answers", { timeout: 120_000 }, async () => {
    const { script, log } = failingStarts(1);
    expect(await startWith(script)).toMatch(/^answered \["42\\n"\]/);
    expect(starts(log)).toBe(2);
  });

  it(`fails with its reason after ${START_ATTEMPTS} starts, and tries no more`, { timeout: 120_000 }, async () => {
    const { script, log } = failingStarts(99);
    expect(await startWith(script)).toMatch(/^failed: the kernel did not start: the kernel exited with code 7/);
    expect(starts(log)).toBe(START_ATTEMPTS);
  });
});
