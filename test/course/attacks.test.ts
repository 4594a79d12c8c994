/**
 * The grader attacked as a hostile student would, on lesson 22 with both
 * exercises left unsolved: each way of cheating from inside the kernel that the
 * last review found earns 0 in one autograde run (and those aimed at the grader
 * itself again through the Redis queue), while the full solution in the same run earns full marks. The lib is
 * byte-identical afterwards, no process of a submission outlives its grade, a
 * submission that kills whatever it can see stops nobody else, and neither the
 * feedback nor the Gradescope export carries hidden tests or solutions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autograde } from "../../lib/src/course/autograde";
import { writeFeedback } from "../../lib/src/course/feedback";
import { Gradebook } from "../../lib/src/course/gradebook";
import { exportGradescope } from "../../lib/src/course/gradescope";
import { Cell, Notebook, formatNotebook, readNotebook, sourceLines } from "../../lib/src/course/notebook";
import { releaseNotebook } from "../../lib/src/course/release";
import { CLI, ROOT, freePort } from "../helpers";
import { takeHeavySuiteTurn } from "../heavy";

const LESSON = "22-email-message-format";
/**
 * Lesson 22 as it stood before its assignment (two 2-point exercises): the
 * attacks need a lesson, not the newest one, and a short one keeps the suite
 * quick. The sandbox, the verdict and the queue are what is under attack.
 */
const SOURCE = join(ROOT, "test", "fixtures", "course", "attacks", `${LESSON}.ipynb`);
const source = readNotebook(SOURCE);
const MIME = "application/vnd.applayer.check+json";
/** A marker in every process an attack leaves running, to look for afterwards. */
const MARK = "applayer-attack-marker";

/** A forged report claiming a pass, as the old grader would have counted it, for every check of the lesson. */
const FORGE = `const names: Record<string, string[]> = { "unfold-check": ["the example block", "the real message's header agrees with the library's parser", "a header folded over three lines, and a value holding a colon"], "qp-check": ["the café sentence", "agrees with the library on every sample", "soft line breaks join, =3D is an equals sign, lower-case hex works too"] };
const forge = (show: (b: Record<string, unknown>) => unknown) => { for (const [gradeId, list] of Object.entries(names)) for (const name of list) show({ ["${MIME}"]: { gradeId, name, answers: [], labels: [], passed: true, hidden: false } }); };`;

/** Each attack: code in a cell of its own, right after the lesson's imports; the exercises stay the released stubs. */
const attacks: Record<string, string> = {
  "replaces the checker in the module cache": `${FORGE}
const lib: any = require("applayer");
const show = lib.displayBundle;
lib.checker = () => ({ check: async () => forge(show), expect() {}, expectEqual() {}, expectClose() {}, throws: () => true, hidden() {} });`,
  "replaces the globals the checks and the kernel's messages use": `const util: any = require("node:util");
util.isDeepStrictEqual = () => true;
(Buffer.prototype as any).equals = () => true;
const v8: any = require("node:v8");
v8.serialize = () => Buffer.from("forged");
const stringify = JSON.stringify;
JSON.stringify = ((v: any, ...rest: any[]) => stringify(v && typeof v === "object" && "passed" in v ? { ...v, passed: true, error: undefined } : v, ...rest)) as any;`,
  "intercepts the kernel's display writer": `const k: any = require("/applayer/lib/dist/lab/kernel.js");
const write = k.displayBundle;
k.displayBundle = (bundle: any, ...rest: any[]) => write(bundle["${MIME}"] ? { "${MIME}": { ...bundle["${MIME}"], passed: true, error: undefined, answers: [] } } : bundle, ...rest);`,
  "sends forged reports first, for every check": `${FORGE}
forge((require("applayer") as any).displayBundle);`,
  "looks for the grader's command line and the instructor's notebook": `const fs = require("node:fs");
const found: string[] = [];
for (const p of fs.readdirSync("/proc").filter((x: string) => /^\\d+$/.test(x))) {
  try { const c = fs.readFileSync("/proc/" + p + "/cmdline", "utf8"); const m = /--source\\0([^\\0]+)/.exec(c); if (m) found.push(m[1]); } catch {}
}
for (const dir of [...found, "${ROOT}/notebooks", "/applayer/notebooks", "/work/main/notebooks", "/applayer/test/fixtures/course/source", "/applayer/test/fixtures/course/attacks", "${ROOT}/test/fixtures/course/attacks"]) {
  try { for (const f of fs.readdirSync(dir)) if (f.startsWith("22")) eval(require("node:fs").readFileSync(dir + "/" + f, "utf8")); } catch {}
}
console.log("found", found.length);`,
  "writes the gradebook's overrides and grades.csv": `const fs = require("node:fs");
const hits: string[] = [];
const walk = (d: string, depth: number) => { if (depth > 6) return; let es: any[] = []; try { es = fs.readdirSync(d, { withFileTypes: true }); } catch { return; } for (const e of es) { const p = (d === "/" ? "" : d) + "/" + e.name; if (e.isDirectory() && !["proc", "sys", "dev", "usr"].includes(e.name)) walk(p, depth + 1); else if (/gradebook\\.sqlite$|grades\\.csv$/.test(e.name)) hits.push(p); } };
walk("/", 0);
for (const p of hits) {
  try { if (p.endsWith(".csv")) fs.writeFileSync(p, "hacked"); else { const db = new (require("better-sqlite3"))(p); db.prepare("INSERT INTO overrides VALUES ('attacker', '${LESSON}', 'unfold-check', 2, 'mine')").run(); } } catch {}
}
console.log("found", hits.length);`,
  "leaves a process to rewrite the grades after the grader exits": `const cp = require("node:child_process");
cp.spawn("/bin/sh", ["-c", "m=${MARK}; sleep 1; while true; do for f in $(find / -name grades.csv 2>/dev/null); do echo hacked > $f; done; sleep 1; done"], { detached: true, stdio: "ignore" }).unref();
cp.spawn("/bin/sh", ["-c", "exec -a ${MARK} sleep 600"], { detached: true, stdio: "ignore" }).unref();`,
  "edits the lib on disk, for everyone graded after": `const fs = require("node:fs");
for (const p of ["/applayer/lib/dist/lab/check.js", "/applayer/lib/dist/course/verdict.js", "${ROOT}/lib/dist/lab/check.js"]) {
  try { fs.writeFileSync(p, "module.exports = {};"); console.log("wrote", p); } catch (e) { console.log("refused", p, (e as any).code); }
}`,
  "stalls and fills its folder only when its cells are replayed": `const lib: any = require("applayer");
const real = lib.checker;
lib.checker = (ctx: any) => { (globalThis as any).checked = true; return real(ctx); };`,
  "kills the grader, and then whatever it can see": `try { process.kill(Number(process.env.APPLAYER_KERNEL_PARENT), "SIGKILL"); } catch {}
try { process.kill(1, "SIGKILL"); } catch {}
require("node:child_process").execSync("kill -9 -1", { shell: "/bin/sh" });`,
};

/** Leak attempts: unsolved exercises whose failures try to carry hidden inputs, expected values and solutions out. */
const leaks: Record<string, { setup: string; unfold: string; decodeQP: string }> = {
  "spies on the comparison and the inputs, and throws them in a visible failure": {
    setup: `const seen: unknown[] = [];
const lib: any = require("applayer");
const realChecker = lib.checker;
lib.checker = (ctx: any) => { const c = realChecker(ctx); const eq = c.expectEqual; c.expectEqual = (a: any, e: any, w: any) => { seen.push(e, w); return eq(a, e, w); }; return c; };
(globalThis as any).seen = seen;`,
    unfold: `function unfold(block: string): Array<[string, string]> {
  (globalThis as any).seen.push(block);
  throw new Error("not implemented yet: " + JSON.stringify((globalThis as any).seen));
}`,
    decodeQP: `function decodeQP(text: string): Buffer {
  (globalThis as any).seen.push(text);
  throw new Error("everything I saw: " + JSON.stringify((globalThis as any).seen) + " " + (globalThis as any).seen.join(" "));
}`,
  },
  "hex-encodes the hidden input it saw into a visible failure": {
    setup: `(globalThis as any).seen = [] as string[];`,
    unfold: `function unfold(block: string): Array<[string, string]> {
  (globalThis as any).seen.push(block);
  throw new Error("not implemented");
}`,
    decodeQP: `function decodeQP(text: string): Buffer {
  const seen: string[] = (globalThis as any).seen;
  throw new Error(Buffer.from(JSON.stringify(seen[seen.length - 1])).toString("hex") + " " + Buffer.from(seen.join("|")).toString("base64"));
}`,
  },
  "answers a visible check with what it saw of the hidden ones": {
    setup: `(globalThis as any).seen = [] as string[];`,
    unfold: `function unfold(block: string): Array<[string, string]> {
  (globalThis as any).seen.push(block);
  return [["leak", (globalThis as any).seen.join(" | ")]];
}`,
    decodeQP: `function decodeQP(text: string): Buffer {
  return Buffer.from((globalThis as any).seen.join(" | "));
}`,
  },
};

/** Text of the hidden tests and the solutions that must never reach a student. */
const SECRETS = ["Subject: one", "X-Time: 12:30", "one two\\tthree", "a=3Db=", "=e9t=C3=A9", "a=bc", "fields.push", "joined.charCodeAt", "parseInt(joined"];
/** The hidden input of unfold-check, encoded as a leak would: hex and base64 of a part of it. */
const ENCODED_SECRETS = [Buffer.from("X-Time").toString("hex"), Buffer.from("X-Time: 12:30").toString("base64").slice(0, 12)];

const root = mkdtempSync(join(tmpdir(), "applayer-attacks-"));
const sourceDir = join(root, "source");
const subs = join(root, "submitted");
const out = join(root, "out");
const limits = { cellTimeoutMs: 30_000, notebookTimeoutMs: 300_000, memoryMb: 768 };

function withCell(nb: Notebook, afterIndex: number, code: string, id: string): Notebook {
  const cell: Cell = { cell_type: "code", id, metadata: {}, outputs: [], execution_count: null, source: sourceLines(code) };
  nb.cells.splice(afterIndex + 1, 0, cell);
  return nb;
}
const released = () => releaseNotebook(source);
const importCell = released().cells.findIndex((c) => c.cell_type === "code");
const withSolution = (nb: Notebook, gradeId: string, code: string) => {
  const cell = nb.cells.find((c) => c.metadata.nbgrader?.grade_id === gradeId)!;
  cell.source = sourceLines(code);
  return nb;
};

/** Every file of lib/dist, hashed: the lib must be byte-identical after grading. */
function libDigest(): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, "lib", "dist"));
  return h.digest("hex");
}
const markedProcesses = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(MARK);
  } catch {
    return false;
  }
});

/**
 * The attacks the queue grades again: those aimed at the grader's own process,
 * files and processes, which a worker holds differently from a local run. The
 * others attack the kernel, which is the same sandbox either way.
 */
const QUEUED = ["sends forged reports first, for every check", "writes the gradebook's overrides and grades.csv", "leaves a process to rewrite the grades after the grader exits", "edits the lib on disk, for everyone graded after", "kills the grader, and then whatever it can see"];

function writeClass(dir: string, only?: string[]): void {
  const put = (student: string, nb: Notebook) => {
    if (only && student !== "full solution" && !only.includes(student)) return;
    mkdirSync(join(dir, student), { recursive: true });
    writeFileSync(join(dir, student, `${LESSON}.ipynb`), formatNotebook(nb));
  };
  put("full solution", source);
  for (const [name, code] of Object.entries(attacks)) {
    const nb = withCell(released(), importCell, code, "attack");
    if (name.startsWith("stalls")) {
      // After unfold's check: a cell that only a replay runs without the flag the check cell set, then an exit that forces the replay.
      const after = nb.cells.findIndex((c) => c.metadata.nbgrader?.grade_id === "unfold-check");
      withCell(nb, after, `if (!(globalThis as any).checked) { require("fs").writeFileSync("/applayer/work/${MARK}", Buffer.alloc(8 << 20, 7)); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600000); }`, "stall");
      withCell(nb, after + 1, "process.exit(5);", "exit");
    }
    put(name, nb);
  }
  for (const [name, leak] of Object.entries(leaks)) {
    put(name, withSolution(withSolution(withCell(released(), importCell, leak.setup, "attack"), "unfold-solution", leak.unfold), "qp-solution", leak.decodeQP));
  }
}

const libBefore = libDigest();
const rows = (dir: string) => {
  const book = Gradebook.open(join(dir, "gradebook.sqlite"));
  try {
    return { grades: book.grades(), subs: book.submissions(), overrides: book.grades().filter((g) => /set by hand/.test(g.reason)) };
  } finally {
    book.close();
  }
};
const pointsOf = (dir: string, student: string) => rows(dir).grades.filter((g) => g.student === student).reduce((s, g) => s + g.points, 0);

// Many kernels at once: this suite takes its turn among the heavy ones (see test/heavy.ts).
takeHeavySuiteTurn("waits");

beforeAll(async () => {
  mkdirSync(sourceDir, { recursive: true });
  cpSync(SOURCE, join(sourceDir, `${LESSON}.ipynb`));
  writeClass(subs);
  await autograde({ source: sourceDir, submissions: subs, out, jobs: 2, limits });
}, 600_000);

describe("a hostile submission, graded in one run", () => {
  it("the full solution earns full marks beside them", () => {
    expect(pointsOf(out, "full solution")).toBe(4);
  });

  it.each([...Object.keys(attacks), ...Object.keys(leaks)])("%s: earns 0, with a grade and a reason", (student) => {
    const mine = rows(out).grades.filter((g) => g.student === student);
    expect(mine.map((g) => g.grade_id).sort()).toEqual(["qp-check", "unfold-check"]);
    expect(mine.map((g) => g.points)).toEqual([0, 0]);
    for (const g of mine) expect(g.reason).not.toBe("");
  });

  it("counts every submission once, and the gradebook has no override nobody set", () => {
    const { subs: all, overrides } = rows(out);
    expect(all.length).toBe(1 + Object.keys(attacks).length + Object.keys(leaks).length);
    expect(new Set(all.map((s) => s.student)).size).toBe(all.length);
    expect(overrides).toEqual([]);
  });

  it("leaves the lib byte-identical, and no process of a submission alive", async () => {
    expect(libDigest()).toBe(libBefore);
    await new Promise((r) => setTimeout(r, 2500)); // a waiter would have acted on grades.csv by now
    expect(markedProcesses()).toEqual([]);
    expect(readFileSync(join(out, "grades.csv"), "utf8")).toMatch(/^student,notebook,grade_id,points,max_points,reason\r\n/);
  });

  it("leaves no sandbox behind, even one whose replay hung: no work folder, no cgroup", () => {
    const folders = readdirSync(join(ROOT, ".grading")).filter((d) => d.startsWith("kernel-"));
    for (const d of folders) expect(existsSync(join(ROOT, ".grading", d, MARK)), d).toBe(false);
    for (const controller of ["memory", "pids", "cpu"]) {
      const dir = `/sys/fs/cgroup/${controller}/applayer-grading`;
      if (existsSync(dir)) expect(readdirSync(dir).filter((d) => d.endsWith(`-${process.pid}`))).toEqual([]);
    }
  });

  it("keeps the grades to the instructor: the gradebook and grades.csv are 0600", () => {
    for (const f of ["gradebook.sqlite", "grades.csv"]) expect(statSync(join(out, f)).mode & 0o077).toBe(0);
  });

  it("the feedback and the Gradescope export carry no text of the hidden tests or the solutions", () => {
    writeFeedback(out);
    exportGradescope(out);
    const texts: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(html|json)$/.test(f)) texts.push(readFileSync(p, "utf8"));
      }
    };
    walk(join(out, "feedback"));
    walk(join(out, "gradescope"));
    expect(texts.length).toBeGreaterThan(10);
    for (const text of texts) for (const secret of [...SECRETS, ...ENCODED_SECRETS]) expect(text).not.toContain(secret);
  });
});

describe("a submission that stalls cell after cell", () => {
  it("is stopped within its notebook's time, replays included", { timeout: 300_000 }, async () => {
    const dir = join(root, "overrun");
    const wait = "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 9000);";
    let nb = withCell(released(), importCell, wait, "wait1");
    nb = withCell(nb, importCell + 1, wait, "wait2");
    nb = withCell(nb, importCell + 2, "process.exit(1);", "exit");
    mkdirSync(join(dir, "subs", "stalls"), { recursive: true });
    writeFileSync(join(dir, "subs", "stalls", `${LESSON}.ipynb`), formatNotebook(nb));
    // Two 9 s cells, then an exit: every replay would run the two again. The notebook has 25 s.
    await autograde({ source: sourceDir, submissions: join(dir, "subs"), out: join(dir, "out"), limits: { cellTimeoutMs: 10_000, notebookTimeoutMs: 25_000, memoryMb: 768 } });
    const [sub] = rows(join(dir, "out")).subs;
    expect(sub.status).toBe("graded");
    // Its 25 s, and the starts of its kernels (a few seconds each on a busy machine); each replay of the two cells would add 18 s.
    expect(sub.seconds).toBeLessThan(25 + 15);
    expect(pointsOf(join(dir, "out"), "stalls")).toBe(0);
  });
});

describe("the same class through the Redis queue", () => {
  let redis: ChildProcess;
  let worker: ChildProcess;
  const queued = join(root, "queued");
  afterAll(() => {
    worker?.kill("SIGKILL");
    redis?.kill("SIGKILL");
  });

  it("grades the attacks on the grader 0 and the full solution 4, with one result each", { timeout: 600_000 }, async () => {
    const port = await freePort();
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", root, "--save", ""], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => redis.stdout!.on("data", (d) => /Ready to accept connections/.test(String(d)) && resolve()));
    const url = `redis://127.0.0.1:${port}/`;
    worker = spawn(process.execPath, [CLI, "course", "worker", "--queue", url, "--jobs", "2", "--notebook-timeout", "300"], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    worker.stderr!.on("data", (d) => (log += d));
    await new Promise<void>((resolve) => worker.stdout!.on("data", (d) => ((log += d), /grading from/.test(log) && resolve())));
    const subsQueued = join(root, "submitted-queued");
    writeClass(subsQueued, QUEUED);
    await autograde({ source: sourceDir, submissions: subsQueued, out: queued, queue: url, limits });
    expect(pointsOf(queued, "full solution")).toBe(4);
    for (const student of QUEUED) expect(pointsOf(queued, student), student).toBe(0);
    expect(rows(queued).subs.map((s) => s.student).sort()).toEqual(["full solution", ...QUEUED].sort());
    expect(libDigest()).toBe(libBefore);
    expect(markedProcesses()).toEqual([]);
  });
});
