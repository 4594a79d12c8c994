/**
 * The socket assignments attacked as a hostile or careless student would (issue
 * 22, "Bad input"): lesson 01's UDP pinger and TCP welcoming server judged by
 * nc, 21's SMTP client on a bare socket, 23's IMAP client, 31's DNS client and
 * 32's iterative resolver on node:dgram, 34's authoritative DNS server judged by
 * dig, 42's BitTorrent peer judged by aria2c. Each submission is the
 * lesson's source with ONE solution cell replaced by code that hangs, floods,
 * answers garbage, binds a port it should not or never closes its sockets. They
 * are graded in the lessons' own autograde run (test/course/lessons.test.ts),
 * beside the reference, untouched and partial submissions, so that each lesson's
 * reference run serves them all. The attacked step loses points with a reason
 * that says what happened; every other step keeps its full points; each
 * submission is graded once; no process of a submission outlives its grade.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CheckRow, GradeRow } from "../../lib/src/course/gradebook";
import { Notebook, readNotebook, sourceOf } from "../../lib/src/course/notebook";
import { ROOT } from "../helpers";
import { applyPartial } from "./partials";

/** A marker in every process an attack leaves running, to look for afterwards. */
export const MARK = "applayer-socket-attack-marker";
/** A process a careless student leaves behind: a shell waiting on nc, listening. */
const LEFT_BEHIND = `require("node:child_process").spawn("/bin/sh", ["-c", "nc -lk 127.0.0.1 12001; : ${MARK}"], { detached: true, stdio: "ignore" }).unref();`;

const PING_STATS = "interface PingStats { rtts: Array<number | null>; min: number | null; avg: number | null; max: number | null; lossRate: number }";
const upperServer = (body: string, listen = "server.listen(0, \"127.0.0.1\", () => resolve(server))") => `function startUpperServer(): Promise<net.Server> {
${body}
  return new Promise((resolve, reject) => { server.once("error", reject); ${listen}; });
}`;
/** A solution cell of the lesson's source, with `from` (which must stand in it once) replaced by `to`. */
function edited(lesson: Attack["lesson"], gradeId: string, from: string, to: string): string {
  const code = sourceOfCell(lesson, gradeId);
  if (code.split(from).length !== 2) throw new Error(`${lesson}'s ${gradeId} no longer holds ${JSON.stringify(from)} once: update this attack`);
  return code.replace(from, () => to);
}
/** Lesson 34's last solution cell (overUdp, then serveTcp) with the given serveTcp. */
const withServeTcp = (onConnection: string) => `${sourceOfCell("34-dns-messages", "tcp-solution").split("function serveTcp")[0]}function serveTcp(port: number, answer: (query: Buffer) => Buffer): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
${onConnection}
  });
  return new Promise((listening, failed) => { server.once("error", failed); server.listen(port, "127.0.0.1", () => listening(server)); });
}`;
const FLOOD = `    const junk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => { while (!socket.destroyed && socket.write(junk)); if (!socket.destroyed) socket.once("drain", pump); };
    pump();`;

export interface Attack {
  lesson: "01-sockets" | "21-email-smtp" | "23-email-mail-access" | "31-dns-services" | "32-dns-resolution" | "34-dns-messages" | "42-p2p-bittorrent";
  /** The solution cell replaced, by grade_id, and its new source. */
  cell: string;
  code: string;
  /** The check cell that must lose points, and what the reason of its first failed visible check must say; none when the attack's answers are right. */
  loses?: { step: string; reason: RegExp };
}

export const attacks: Record<string, Attack> = {
  "a pinger that never returns, its socket open": {
    lesson: "01-sockets",
    cell: "pinger",
    code: `${PING_STATS}
async function pinger(server: Address, count: number, timeoutMs: number): Promise<PingStats> {
  const socket = dgram.createSocket("udp4");
  socket.send(\`Ping 1 \${Date.now()}\`, server.port, server.host);
  return new Promise<PingStats>(() => undefined); // waits for every reply, forever
}`,
    loses: { step: "pinger-check", reason: /did not finish within \d+ s/ },
  },
  "a pinger whose sockets never close, on the textbook's fixed port, leaving a process": {
    lesson: "01-sockets",
    cell: "pinger",
    // Its socket never closed, the textbook's port held to the end, and nc left listening.
    code: edited("01-sockets", "pinger", "  socket.close();\n", `  net.createServer().on("error", () => undefined).listen(12000, "127.0.0.1");\n  ${LEFT_BEHIND}\n`),
  },
  "a welcoming server that accepts and never answers": {
    lesson: "01-sockets",
    cell: "upper-server",
    code: upperServer("  const server = net.createServer(() => undefined); // accepts, then says nothing"),
    loses: { step: "upper-server-check", reason: /did not finish within \d+ s/ },
  },
  "a welcoming server that floods its clients": {
    lesson: "01-sockets",
    cell: "upper-server",
    code: upperServer(`  const server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
${FLOOD}
  });`),
    loses: { step: "upper-server-check", reason: /ERR_CHILD_PROCESS_STDIO_MAXBUFFER: .*a flood\?/ },
  },
  "a welcoming server that answers garbage": {
    lesson: "01-sockets",
    cell: "upper-server",
    code: upperServer(`  const server = net.createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.on("data", () => socket.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a])));
  });`),
    loses: { step: "upper-server-check", reason: /^what nc printed: expected 'HELLO\\nSOCKET WORLD\\n'/ },
  },
  "a welcoming server on a fixed port that never closes a socket": {
    lesson: "01-sockets",
    cell: "upper-server",
    code: upperServer(`  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => socket.write(chunk.toUpperCase())); // never ends a connection
  });
  (server as any).close = () => server; // nor its welcoming socket`, `server.listen(12000, "127.0.0.1", () => resolve(server))`),
    loses: { step: "upper-server-check", reason: /did not finish within \d+ s/ },
  },
  "a DNS server over TCP that accepts and never answers": {
    lesson: "34-dns-messages",
    cell: "tcp-solution",
    code: withServeTcp("    // accepts, reads, says nothing"),
    loses: { step: "tcp-check", reason: /TIMEOUT: no answer arrived within the time allowed/ },
  },
  "a DNS server over TCP that floods dig": {
    lesson: "34-dns-messages",
    cell: "tcp-solution",
    code: withServeTcp(FLOOD),
    loses: { step: "tcp-check", reason: /TIMEOUT: no answer arrived within the time allowed/ },
  },
  "a DNS server that answers garbage over UDP": {
    lesson: "34-dns-messages",
    cell: "tcp-solution",
    code: edited("34-dns-messages", "tcp-solution", "return cut;", "return Buffer.from(\"garbage, not a DNS message\"); // in place of the truncated reply"),
    loses: { step: "tcp-check", reason: /TIMEOUT: no answer arrived within the time allowed/ },
  },
  "a DNS server over TCP bound to port 53, whatever it is asked": {
    lesson: "34-dns-messages",
    cell: "tcp-solution",
    code: edited("34-dns-messages", "tcp-solution", "server.listen(port,", "server.listen(53,"),
    loses: { step: "tcp-check", reason: /EACCES: permission denied \(a port below 1024\?\)/ },
  },
  "a DNS server over UDP whose sockets never close, leaving a process": {
    lesson: "34-dns-messages",
    cell: "answer-solution",
    // close() does nothing: every server of every check stays bound, and answers.
    code: edited("34-dns-messages", "answer-solution", "  return new Promise((bound) =>", `  (socket as any).close = () => socket;\n  ${LEFT_BEHIND}\n  return new Promise((bound) =>`),
  },
  "a mail client that never says QUIT nor closes its socket": {
    lesson: "21-email-smtp",
    cell: "send-raw",
    code: `type Outcome = { delivered: true } | { delivered: false; code: number; step: SmtpStep };
async function sendRaw(server: Address, from: string, to: string[], message: string): Promise<Outcome> {
  const socket = net.connect(server.port, server.host);
  const next = replyReader(socket);
  const steps: Array<[SmtpStep, string]> = [["greeting", ""], ["EHLO", "EHLO alice.example\\r\\n"], ["MAIL", \`MAIL FROM:<\${from}>\\r\\n\`],
    ...to.map((rcpt): [SmtpStep, string] => ["RCPT", \`RCPT TO:<\${rcpt}>\\r\\n\`]), ["DATA", "DATA\\r\\n"], ["message", stuff(message)]];
  for (const [step, text] of steps) {
    if (text) socket.write(text);
    const { code } = await next();
    if (Math.floor(code / 100) !== (step === "DATA" ? 3 : 2)) return { delivered: false, code, step }; // no QUIT, and the socket stays open
  }
  return { delivered: true };
}`,
    // Bob's Maildir still gets every letter; a server that refuses does not get its QUIT, and the reason says so
    // (what it got is withheld: hidden tests ran before).
    loses: { step: "refusals-check", reason: /^what the client sent after the refusal: QUIT alone: expected \[ 'QUIT' \], \(your code's answer/ },
  },
  "an IMAP client that sends a garbage FETCH": {
    lesson: "23-email-mail-access",
    cell: "unread-solution",
    code: edited("23-email-mail-access", "unread-solution", "`FETCH ${unseen.join(\",\")} (BODY.PEEK[HEADER.FIELDS (SUBJECT)])`", "\"\\u00de\\u00ad\\u00be\\u00ef FETCH, all of it!\""),
    // Both servers answer BAD, and it returns empty subjects: the judge in front of the lesson's server says the server refused
    // a command of the client's (IMAP_REFUSED); the server's reply and the client's answer are withheld (hidden tests ran before).
    loses: { step: "unread-check", reason: /^the check stopped with IMAP_REFUSED: the IMAP server judging a student's client answered one of its commands with BAD or NO: the client sent a command the server would not take \(your code's answer/ },
  },
  "a DNS client that binds port 53": {
    lesson: "31-dns-services",
    cell: "ask-solution",
    code: edited("31-dns-services", "ask-solution", "  const socket = dgram.createSocket(\"udp4\");\n", "  const socket = dgram.createSocket(\"udp4\");\n  socket.bind(53, \"127.0.0.1\"); // the DNS port, for the replies too\n"),
    // The bind's EACCES is an 'error' event with no listener: it stops the check, whose reason names its code
    // (the error's own words are withheld: hidden tests ran before).
    loses: { step: "ask-check", reason: /^the check stopped with EACCES: permission denied \(a port below 1024\?\) \(your code's answer/ },
  },
  "an iterative resolver that asks the root again and again": {
    lesson: "32-dns-resolution",
    cell: "resolve-solution",
    code: `async function resolve(name: string, roots: string[], port: number): Promise<string[]> {
  for (;;) { // no limit on the questions, and a referral sends it back to the same server
    const reply = await ask(roots[0], port, name, "A");
    if ((reply.answers ?? []).length > 0) return addressesOf(name, reply.answers!);
  }
}`,
    // It goes on asking in the background after each deadline, and the next step (resolveFully) must not mind.
    loses: { step: "resolve-check", reason: /^did not finish within 10 s \(still running: an endless loop, or still waiting for a reply\?\)$/ },
  },
  "a BitTorrent peer that floods the seed with junk": {
    lesson: "42-p2p-bittorrent",
    cell: "piece-solution",
    code: edited("42-p2p-bittorrent", "piece-solution", "        if (m[0] === 5) send(2);\n", `        if (m[0] === 5) { // in place of interested, junk as fast as the socket takes it
${FLOOD}
        }\n`),
    // aria2c hangs up on the junk, and the judge says so; the student's own "the peer hung up" is withheld (hidden tests ran before).
    loses: { step: "piece-check", reason: /^the check stopped with JUDGE_HUNG_UP: aria2c, judging a student's peer, hung up on it: the peer sent something aria2c would not accept \(your code's answer/ },
  },
};

function sourceOfCell(lesson: string, gradeId: string): string {
  return sourceOf(readNotebook(join(ROOT, "notebooks", `${lesson}.ipynb`)).cells.find((c) => c.metadata.nbgrader?.grade_id === gradeId)!);
}
/** The grade_ids of the lesson's graded cells, as its notebook's nbgrader metadata names them. */
const gradedSteps = (lesson: string) => readNotebook(join(ROOT, "notebooks", `${lesson}.ipynb`)).cells.flatMap((c) => (c.metadata.nbgrader?.grade ? [c.metadata.nbgrader.grade_id] : []));

/** The processes alive now that carry the attacks' marker. */
export const markedProcesses = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(MARK);
  } catch {
    return false;
  }
});

/** The attack's submission: its lesson's source with the one cell replaced. */
export const attackSubmission = (attack: Attack): Notebook => applyPartial(readNotebook(join(ROOT, "notebooks", `${attack.lesson}.ipynb`)), { answers: { [attack.cell]: attack.code }, points: {} });

/** What the grading run left for the attacks' tests to read. */
export interface AttackResults {
  grades: GradeRow[];
  submissions: Array<{ student: string; notebook: string; status: string; reason: string }>;
  /** Each student's checks, by "student/notebook". */
  checks: Map<string, CheckRow[]>;
  /** The marked processes seen while the run graded. */
  leftBehind: Set<string>;
  /** The grading process's pid: the suffix of its sandboxes' cgroups. */
  pid: number;
}

/** The tests of the attacks named (students of the run, by the attack's name), once `results()` holds the run's gradebook. */
export function describeSocketAttacks(names: string[], results: () => AttackResults): void {
  describe.each(names)("%s", (student) => {
    const attack = attacks[student];
    /** The check cell of the step attacked. */
    const ownStep = attack.loses?.step ?? `${attack.cell.replace(/-solution$/, "")}-check`;

    it("is graded once, to its end, in one kernel", () => {
      // A reason here would tell of a cell that hung or a kernel that died (out of memory, say) and a replay.
      expect(results().submissions.filter((s) => s.student === student).map((s) => [s.notebook, s.status, s.reason])).toEqual([[attack.lesson, "graded", ""]]);
    });

    if (!attack.loses) {
      it("keeps its own step's points too: its answers are right, and what it leaves open is its own", () => {
        const mine = results().grades.find((g) => g.student === student && g.grade_id === ownStep)!;
        expect([mine.points, mine.reason]).toEqual([mine.max_points, ""]);
      });
    } else {
      it("loses points on its own step, with a reason that says what happened", () => {
        const row = results().grades.find((g) => g.student === student && g.grade_id === ownStep)!;
        expect(row.points).toBeLessThan(row.max_points);
        expect(row.reason).toMatch(/^\d+ of \d+ checks failed: /); // its checks failed: the cell was not stopped, nor its kernel killed
        const failed = results().checks.get(`${student}/${attack.lesson}`)!.filter((c) => c.grade_id === ownStep && !c.passed && !c.hidden);
        expect(failed.length).toBeGreaterThan(0);
        expect(failed[0].reason).toMatch(attack.loses!.reason);
      });
    }

    it("leaves every other step its full points", () => {
      const others = results().grades.filter((g) => g.student === student && g.grade_id !== ownStep);
      expect(others.map((g) => g.grade_id).sort()).toEqual(gradedSteps(attack.lesson).filter((id) => id !== ownStep).sort());
      expect(others.filter((g) => g.points !== g.max_points).map((g) => [g.grade_id, g.points, g.reason])).toEqual([]);
    });
  });

  describe("after the attacks' grading", () => {
    it("no process an attack started is alive, and no sandbox of this run is left", () => {
      // They ran, during the grading (where the attacks that leave a process are among those graded).
      if (names.some((n) => attacks[n].code.includes(MARK))) expect(results().leftBehind.size).toBeGreaterThan(0);
      expect(markedProcesses()).toEqual([]);
      for (const controller of ["memory", "pids", "cpu"]) {
        const dir = `/sys/fs/cgroup/${controller}/applayer-grading`;
        if (existsSync(dir)) expect(readdirSync(dir).filter((d) => d.endsWith(`-${results().pid}`))).toEqual([]);
      }
    });
  });
}
