import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { annotatedHexdump, readBits } from "../../lib/src/lab/hexdump";
import { Trace, preview } from "../../lib/src/lab/trace";
import { CHECK_MIME, CheckReport, NOT_IMPLEMENTED, check, checkLog, checker, expectEqual, throws } from "../../lib/src/lab/check";
import { createRequire } from "node:module";
import { deserialize } from "node:v8";
import { progressBar } from "../../lib/src/lab/progress";
import { VirtualClock } from "../../lib/src/sim/clock";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

describe("annotatedHexdump", () => {
  // A DNS header: id 0x1234, flags QR=1 RD=1 RA=1 (0x8180), 1 question, 1 answer.
  const header = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const flags = [
    { name: "QR", bit: 0, width: 1 },
    { name: "OPCODE", bit: 1, width: 4 },
    { name: "RD", bit: 7, width: 1 },
    { name: "RA", bit: 8, width: 1 },
    { name: "RCODE", bit: 12, width: 4 },
  ];
  it("reads bit fields counted from the most significant bit", () => {
    expect(flags.map((f) => readBits(header.subarray(2, 4), f))).toEqual([1, 0, 1, 1, 0]);
  });
  it("prints each field with its bytes, and unclaimed bytes as unlabelled", () => {
    const lines = annotatedHexdump(header, [
      { name: "id", offset: 0, length: 2 },
      { name: "flags", offset: 2, length: 2, bits: flags },
      { name: "qdcount", offset: 4, length: 2, meaning: "1 question" },
    ]).split("\n");
    expect(lines[0]).toMatch(/^0000  12 34\s+id$/);
    expect(lines[1]).toMatch(/^0002  81 80\s+flags  QR=1 OPCODE=0 RD=1 RA=1 RCODE=0$/);
    expect(lines[2]).toMatch(/^0004  00 01\s+qdcount  1 question$/);
    expect(lines[3]).toMatch(/^0006  00 01 00 00 00 00\s+\(unlabelled\)$/);
  });
  it("wraps long fields over several lines", () => {
    const out = annotatedHexdump(Buffer.alloc(20), [{ name: "payload", offset: 0, length: 20 }], 8);
    expect(out.split("\n").map((l) => l.slice(0, 4))).toEqual(["0000", "0008", "0010"]);
  });
});

describe("Trace", () => {
  it("records messages and notes with times on its clock", () => {
    const clock = new VirtualClock();
    const t = new Trace(clock);
    t.record("client", "server", Buffer.from("hi\r\n"));
    clock.setTimer(() => t.note("client", "timeout"), 5);
    while (clock.runNext());
    expect(t.participants()).toEqual(["client", "server"]);
    expect(t.entries.map((e) => [e.time, e.label, e.bytes])).toEqual([[0, "hi\\r\\n", 4], [5, "timeout", undefined]]);
    expect(t.transcript().split("\n")[1]).toContain("[client] timeout");
  });
  it("previews binary payloads readably and cuts long ones", () => {
    expect(preview(Buffer.from([0x41, 0x00, 0xff]))).toBe("A\\x00\\xff");
    expect(preview("x".repeat(50), 10)).toBe("xxxxxxxxxx… (50 bytes)");
  });
});

describe("check", () => {
  afterEach(() => vi.unstubAllEnvs());
  it("prints ✓ for a passing check and ✗ with the reason for a failing one", async () => {
    vi.stubEnv("APPLAYER_STRICT_CHECKS", "0");
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await check("adds", () => expectEqual(1 + 1, 2));
    await check("fails", () => expectEqual(1 + 1, 3, "the sum"));
    await check("false", () => false);
    expect(log.mock.calls.map((c) => c[0])).toEqual(["✓ adds", "✗ fails — the sum: expected 3, got 2", "✗ false — the check returned false"]);
    expect(checkLog().slice(-3).map((r) => r.passed)).toEqual([true, false, false]);
    log.mockRestore();
  });
  it("throws in strict mode, so a reference solution that fails its check fails the suite", async () => {
    vi.stubEnv("APPLAYER_STRICT_CHECKS", "1");
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await expect(check("strict", () => false)).rejects.toThrow(/strict/);
  });
  it("fails a check that does not settle by its deadline, naming it, and goes on", async () => {
    vi.stubEnv("APPLAYER_STRICT_CHECKS", "0");
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    await check("a server that never answers", () => new Promise(() => undefined), { within: 50 });
    await check("the next one", () => expectEqual(2 * 2, 4));
    expect(checkLog().slice(-2)).toEqual([
      { name: "a server that never answers", passed: false, reason: "did not finish within 0.05 s (still running: an endless loop, or still waiting for a reply?)" },
      { name: "the next one", passed: true },
    ]);
  });
});

describe("checker, as the grader binds it in a check cell", () => {
  const reports = () => displayed.splice(0).map((d) => d[CHECK_MIME] as CheckReport);
  const displayed: Array<Record<string, unknown>> = [];
  // What tslab keeps for the running cell, as a kernel has it (see lab/kernel.ts).
  const jupyter = createRequire(import.meta.url)("tslab/dist/jupyter") as { lastWriteDisplayData?: unknown };
  beforeEach(() => void (jupyter.lastWriteDisplayData = (content: { data: Record<string, unknown> }) => void displayed.push(content.data)));
  afterEach(() => void (jupyter.lastWriteDisplayData = null));

  it("records a timed-out check's error, and refuses its late answers rather than giving them to the next check", async () => {
    const { check, expectEqual } = checker({ gradeId: "pinger-check", mode: "observe" });
    let answerLate!: () => void;
    const late = new Promise<void>((done) => (answerLate = done));
    await check("slow", async () => {
      await late;
      expectEqual("late answer", "x", "reply");
    }, { within: 30 });
    const next = check("next", async () => {
      answerLate();
      await new Promise((r) => setTimeout(r, 10));
      expectEqual("own answer", "x", "reply");
    });
    await next;
    const [slow, after] = reports();
    expect([slow.name, slow.error, slow.answers.length]).toEqual(["slow", "did not finish within 0.03 s (still running: an endless loop, or still waiting for a reply?)", 0]);
    expect([after.name, after.error, after.labels]).toEqual(["next", undefined, ["reply"]]);
    expect(deserialize(Buffer.from(after.answers[0], "base64"))).toBe("own answer");
  });

  it("stops a check at an error its code raised and nobody caught, with the error's code, and leaves the kernel's own handler alone", () => {
    // A process of its own, with a handler that logs and goes on as tslab's does: vitest's would fail this suite.
    const script = `
      const jupyter = require(${JSON.stringify(createRequire(import.meta.url).resolve("tslab/dist/jupyter"))});
      const shown = [];
      jupyter.lastWriteDisplayData = (content) => shown.push(content.data[${JSON.stringify(CHECK_MIME)}]);
      const logged = [];
      process.on("uncaughtException", (e) => logged.push(e.code)).on("unhandledRejection", (e) => logged.push(e.code));
      const { checker } = require(${JSON.stringify(require.resolve("../../lib/dist/lab/check.js"))});
      const dgram = require("node:dgram");
      const { check } = checker({ gradeId: "ask-check", mode: "observe" });
      const never = () => new Promise(() => undefined);
      (async () => {
        const taken = dgram.createSocket("udp4");
        await new Promise((bound) => taken.bind(0, "127.0.0.1", bound));
        const started = Date.now();
        await check("binds a port in use, no 'error' listener, then waits", () => {
          dgram.createSocket("udp4").bind(taken.address().port, "127.0.0.1");
          return never();
        }, { within: 5000 });
        await check("a rejection nobody awaits, then waits", () => {
          Promise.reject(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
          return never();
        }, { within: 5000 });
        await check("passes", () => undefined);
        const took = Date.now() - started;
        taken.close();
        console.log(JSON.stringify({ reports: shown.map((r) => [r.name, r.errorCode ?? null, r.late ?? false]), quick: took < 5000, logged, listeners: process.listenerCount("uncaughtException") + process.listenerCount("unhandledRejection") }));
      })();`;
    expect(JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 }))).toEqual({
      reports: [["binds a port in use, no 'error' listener, then waits", "EADDRINUSE", false], ["a rejection nobody awaits, then waits", "ECONNRESET", false], ["passes", null, false]],
      quick: true,
      logged: ["EADDRINUSE", "ECONNRESET"],
      listeners: 2,
    });
  });
});

describe("progressBar", () => {
  it("shows the fraction done, the counts and the elapsed time", () => {
    expect(progressBar("pings", 5, 10, 1234, 10)).toBe("[█████░░░░░]  50%  5/10 pings  1.2 s");
    expect(progressBar("x", 20, 10, 0, 4)).toBe("[████] 100%  20/10 x  0.0 s");
  });
});

describe("scratchDir", () => {
  it("makes a fresh folder under the temporary folder that lives as long as the process", () => {
    // A process of its own: the folders go when it exits, as a kernel's do.
    const parent = mkdtempSync(join(tmpdir(), "applayer-scratch-parent-"));
    const script = `
      const { scratchDir } = require(${JSON.stringify(require.resolve("../../lib/dist/lab/scratch.js"))});
      const fs = require("node:fs");
      const a = scratchDir("lesson42"), b = scratchDir("lesson42"), c = scratchDir("grading", ${JSON.stringify(parent)});
      fs.writeFileSync(a + "/notes.txt", "kept until exit");
      console.log(JSON.stringify([a, b, c, fs.readFileSync(a + "/notes.txt", "utf8")]));`;
    const [a, b, c, text] = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" })) as string[];
    expect([dirname(a) === tmpdir(), basename(a).startsWith("lesson42-"), a !== b, dirname(c) === parent, text]).toEqual([true, true, true, true, "kept until exit"]);
    expect([existsSync(a), existsSync(b), existsSync(c), existsSync(parent)]).toEqual([false, false, false, true]);
  });
});

describe("throws, as check cells ask whether bad input is refused", () => {
  it("is true for an error, false for a value, and false for a released stub's own error", () => {
    expect(throws(() => { throw new Error("bad pointer"); })).toBe(true);
    expect(throws(() => 42)).toBe(false);
    expect(throws(() => { throw new Error(`${NOT_IMPLEMENTED}: replace this line with your code`); })).toBe(false);
  });
});
