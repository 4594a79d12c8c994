import { describe, expect, it } from "vitest";
import { SmtpSession, SmtpSessionConfig, SmtpStep } from "../../lib/src/smtp/session";
import { ReplyParser, formatReply } from "../../lib/src/smtp/reply";
import { dataOnWire } from "../../lib/src/smtp/client";
import { MAX_COMMAND_LINE, MAX_TEXT_LINE } from "../../lib/src/smtp/limits";

const config: SmtpSessionConfig = { hostname: "mail.umass.edu", localDomains: ["umass.edu"], isLocalUser: (a) => a.startsWith("bob@"), auth: true, maxMessageSize: 2000, maxRecipients: 3, maxBadCommands: 4 };

/** Feeds lines (CRLF added) and returns the codes of the replies, in order. */
function drive(lines: string[], s = new SmtpSession(config)) {
  const out = s.feed(Buffer.from(lines.map((l) => `${l}\r\n`).join(""), "latin1"));
  return { s, out, codes: out.replies.map((r) => r.code) };
}
const ready = ["EHLO cs.umass.edu"];
const tx = [...ready, "MAIL FROM:<alice@cs.umass.edu>", "RCPT TO:<bob@umass.edu>", "DATA"];

describe("SmtpSession: STARTTLS (RFC 3207)", () => {
  const tlsConfig: SmtpSessionConfig = { ...config, tls: true, authNeedsTls: true };
  it("offers STARTTLS but not AUTH before TLS, and refuses AUTH with 538", () => {
    const { out, codes } = drive([...ready, "AUTH PLAIN AGJvYgBwdw=="], new SmtpSession(tlsConfig));
    expect(out.replies[0].lines).toContain("STARTTLS");
    expect(out.replies[0].lines).not.toContain("AUTH PLAIN");
    expect(codes).toEqual([250, 538]);
  });
  it("answers 220, asks for the handshake, and drops commands pipelined after STARTTLS in the clear", () => {
    const s = new SmtpSession(tlsConfig);
    const { out, codes } = drive([...ready, "STARTTLS", "MAIL FROM:<injected@evil.example>"], s);
    expect(codes).toEqual([250, 220]);
    expect(out.startTls).toBe(true);
    expect(s.tlsStarted().replies).toEqual([]);
    expect(s.encrypted).toBe(true);
    // The injected MAIL is gone and the EHLO before TLS forgotten: MAIL now needs a new EHLO.
    expect(drive(["MAIL FROM:<a@b.c>"], s).codes).toEqual([503]);
    const again = drive(["EHLO cs.umass.edu", "STARTTLS"], s);
    expect(again.out.replies[0].lines).toContain("AUTH PLAIN");
    expect(again.out.replies[0].lines).not.toContain("STARTTLS");
    expect(again.codes).toEqual([250, 503]);
  });
});

describe("SmtpSession: the command sequence", () => {
  it("greets with 220 and answers EHLO with its extensions", () => {
    const s = new SmtpSession(config);
    expect(s.greeting().code).toBe(220);
    const { out } = drive(ready, s);
    expect(out.replies[0].lines.slice(1)).toEqual(["PIPELINING", "SIZE 2000", "8BITMIME", "ENHANCEDSTATUSCODES", "AUTH PLAIN"]);
  });
  it.each([
    ["MAIL before HELO", ["MAIL FROM:<a@b.c>"], [503]],
    ["RCPT before MAIL", [...ready, "RCPT TO:<bob@umass.edu>"], [250, 503]],
    ["DATA before RCPT", [...ready, "MAIL FROM:<a@b.c>", "DATA"], [250, 250, 503]],
    ["a second MAIL in one transaction", [...ready, "MAIL FROM:<a@b.c>", "MAIL FROM:<a@b.c>"], [250, 250, 503]],
    ["RSET ends the transaction", [...ready, "MAIL FROM:<a@b.c>", "RSET", "RCPT TO:<bob@umass.edu>"], [250, 250, 250, 503]],
    ["NOOP, VRFY and QUIT", [...ready, "NOOP", "VRFY bob", "QUIT"], [250, 250, 252, 221]],
    ["the null sender of bounces", [...ready, "MAIL FROM:<>"], [250, 250]],
    ["a malformed address", [...ready, "MAIL FROM:alice"], [250, 501]],
    ["SIZE over the limit", [...ready, "MAIL FROM:<a@b.c> SIZE=2001"], [250, 552]],
    ["SIZE at the limit", [...ready, "MAIL FROM:<a@b.c> SIZE=2000"], [250, 250]],
    ["an unknown local user", [...ready, "MAIL FROM:<a@b.c>", "RCPT TO:<eve@umass.edu>"], [250, 250, 550]],
    ["relaying without authentication (not an open relay)", [...ready, "MAIL FROM:<a@b.c>", "RCPT TO:<someone@gmail.com>"], [250, 250, 550]],
    ["recipients up to the limit, then 452", [...ready, "MAIL FROM:<a@b.c>", ...Array(4).fill("RCPT TO:<bob@umass.edu>")], [250, 250, 250, 250, 250, 452]],
    ["STARTTLS, not offered", [...ready, "STARTTLS"], [250, 502]],
  ])("%s", (_what, lines, codes) => {
    expect(drive(lines).codes).toEqual(codes);
  });
  it("says 421 and closes after too many bad commands", () => {
    const { codes, out } = drive(["FOO", "BAR", "BAZ", "QUX", "EHLO x"]);
    expect(codes).toEqual([500, 500, 500, 500, 421]);
    expect(out.close).toBe(true);
  });
  it("refuses a command line over 512 octets, and serves the next one", () => {
    const at = `NOOP ${"x".repeat(MAX_COMMAND_LINE - 7)}`; // 512 with CRLF
    expect(drive([at]).codes).toEqual([250]);
    expect(drive([`${at}x`, "NOOP"]).codes).toEqual([500, 250]);
  });
  it("refuses NUL and 8-bit bytes in a command", () => {
    expect(drive(["NO\u0000OP", "NOOP \u00e9"]).codes).toEqual([500, 500]);
  });
});

describe("SmtpSession: control bytes and command injection (RFC 5321 §2.3.8, §4.1.2)", () => {
  /** Feeds raw bytes (no CRLF added) to a session that has said EHLO and MAIL; returns [code, enhanced] pairs. */
  const raw = (text: string, s = new SmtpSession(config)) => {
    s.feed(Buffer.from("EHLO cs.umass.edu\r\nMAIL FROM:<alice@cs.umass.edu>\r\n"));
    return { s, replies: s.feed(Buffer.from(text, "latin1")).replies.map((r) => [r.code, r.enhanced]) };
  };
  it("takes only CRLF as a line end: a bare LF or CR does not split commands, so the injection is one bad RCPT", () => {
    for (const end of ["\n", "\r"]) {
      const injected = `RCPT TO:<bob@umass.edu>${end}DATA${end}From: ceo@umass.edu${end}${end}forged${end}.${end}\r\n`;
      const { s, replies } = raw(injected);
      expect(replies).toEqual([[501, "5.1.3"]]); // not 250, 354
      // The session goes on: the same transaction takes a good recipient.
      expect(s.feed(Buffer.from("RCPT TO:<bob@umass.edu>\r\nDATA\r\n")).replies.map((r) => r.code)).toEqual([250, 354]);
    }
  });
  it.each([
    ["CR", "\r"], ["LF", "\n"], ["NUL", "\u0000"], ["TAB", "\t"], ["ESC", "\u001b"], ["DEL", "\u007f"],
  ])("refuses %s in a recipient (501 5.1.3), in a sender (501 5.1.7) and in other arguments (501 5.5.4)", (_name, byte) => {
    expect(raw(`RCPT TO:<bob${byte}@umass.edu>\r\n`).replies).toEqual([[501, "5.1.3"]]);
    expect(drive(["EHLO x", `MAIL FROM:<alice@cs${byte}.umass.edu>`]).out.replies.map((r) => [r.code, r.enhanced])).toEqual([[250, undefined], [501, "5.1.7"]]);
    expect(drive([`EHLO cs.umass.edu${byte}`, "NOOP"]).codes).toEqual([501, 250]);
  });
  it("refuses a path that a '>' or a space would end early (parameter injection)", () => {
    expect(raw("RCPT TO:<bob@umass.edu NOTIFY=NEVER>\r\n").replies).toEqual([[501, "5.1.3"]]);
    expect(raw("RCPT TO:<bob@umass.edu> NOTIFY=NEVER\r\n").replies).toEqual([[501, "5.5.4"]]);
  });
  it("counts refused injections as bad commands: 421 and close after maxBadCommands", () => {
    const { codes, out } = drive(Array(4).fill("NOOP x\ny"));
    expect(codes).toEqual([501, 501, 501, 501, 421]);
    expect(out.close).toBe(true);
  });
});

describe("SmtpSession: the message", () => {
  const send = (body: string, extra: string[] = [], cfg = config) => {
    const s = new SmtpSession(cfg);
    s.feed(Buffer.from([...tx.slice(0, 2), ...extra].map((l) => `${l}\r\n`).join("")));
    s.feed(Buffer.from(`${tx[2]}\r\n${tx[3]}\r\n`));
    return s.feed(Buffer.from(body, "latin1"));
  };
  it("ends the message only at CRLF.CRLF, removes dot-stuffing, and asks for delivery", () => {
    const out = send("Subject: hi\r\n\r\n..leading dot\r\nlast\r\n.\r\n");
    expect(out.deliver!.message.toString()).toBe("Subject: hi\r\n\r\n.leading dot\r\nlast\r\n");
    expect(out.deliver!.envelope).toEqual({ helo: "cs.umass.edu", mailFrom: "alice@cs.umass.edu", rcptTo: ["bob@umass.edu"], eightBit: false, authenticatedAs: undefined });
  });
  it("survives the message arriving one byte at a time", () => {
    const s = new SmtpSession(config);
    const all = Buffer.from([...tx].map((l) => `${l}\r\n`).join("") + "line\r\n.\r\n");
    let deliver;
    for (const b of all) deliver ??= s.feed(Buffer.from([b])).deliver;
    expect(deliver!.message.toString()).toBe("line\r\n");
  });
  it("never takes \\n.\\n for the end (SMTP smuggling), and refuses a message with a bare LF", () => {
    const out = send("first\n.\nMAIL FROM:<evil@x.y>\r\n.\r\n");
    expect(out.deliver).toBeUndefined();
    expect(out.replies.map((r) => [r.code, r.enhanced])).toEqual([[554, "5.6.0"]]);
  });
  it("refuses 8-bit data unless BODY=8BITMIME was declared", () => {
    expect(send("caf\u00e9\r\n.\r\n").replies.map((r) => r.code)).toEqual([554]);
    const s = new SmtpSession(config);
    s.feed(Buffer.from("EHLO x\r\nMAIL FROM:<a@b.c> BODY=8BITMIME\r\nRCPT TO:<bob@umass.edu>\r\nDATA\r\n"));
    expect(s.feed(Buffer.from("caf\u00e9\r\n.\r\n", "latin1")).deliver?.envelope.eightBit).toBe(true);
  });
  it("accepts a message of exactly maxMessageSize bytes and refuses one more", () => {
    const line = "x".repeat(98); // 100 bytes with CRLF
    expect(send(`${Array(20).fill(line).join("\r\n")}\r\n.\r\n`).deliver?.message.length).toBe(2000);
    expect(send(`${Array(20).fill(line).join("\r\n")}\r\nx\r\n.\r\n`).replies.map((r) => r.code)).toEqual([552]);
  });
  it("accepts a text line of 1000 octets and refuses 1001", () => {
    const big = { ...config, maxMessageSize: 10_000 };
    expect(send(`${"x".repeat(MAX_TEXT_LINE - 2)}\r\n.\r\n`, [], big).deliver).toBeDefined();
    expect(send(`${"x".repeat(MAX_TEXT_LINE - 1)}\r\n.\r\n`, [], big).replies.map((r) => r.code)).toEqual([554]);
  });
  it("answers 250 once the adapter says the message is stored, and goes on with pipelined commands", () => {
    const s = new SmtpSession(config);
    const out = s.feed(Buffer.from([...tx].map((l) => `${l}\r\n`).join("") + "body\r\n.\r\nQUIT\r\n"));
    expect(out.replies.map((r) => r.code)).toEqual([250, 250, 250, 354]);
    const after = s.delivered(true);
    expect(after.replies.map((r) => r.code)).toEqual([250, 221]);
    expect(after.close).toBe(true);
  });
  it("answers 451 when storing failed, so the client keeps the message and retries", () => {
    const s = new SmtpSession(config);
    s.feed(Buffer.from([...tx].map((l) => `${l}\r\n`).join("") + "body\r\n.\r\n"));
    expect(s.delivered(false).replies.map((r) => [r.code, r.enhanced])).toEqual([[451, "4.3.0"]]);
  });
});

describe("SmtpSession: failAt, a server that refuses at a chosen step (for exercises)", () => {
  const refusing = (step: SmtpStep, code: number) => {
    const verbs: string[] = [];
    const s = new SmtpSession({ ...config, maxBadCommands: 10, failAt: { step, reply: { code, enhanced: `${Math.floor(code / 100)}.0.0`, lines: ["refused for the exercise"] } }, onCommand: (v) => verbs.push(v) });
    return { s, verbs };
  };
  const whole = [...tx, "body", ".", "QUIT"];
  it.each([
    // step, code, the codes a client that goes on regardless gets (greeting aside)
    ["EHLO", 421, [421, 503, 503, 503, 500, 500, 221]],
    ["MAIL", 451, [250, 451, 503, 503, 500, 500, 221]],
    ["RCPT", 550, [250, 250, 550, 503, 500, 500, 221]],
    ["DATA", 554, [250, 250, 250, 554, 500, 500, 221]],
    ["message", 452, [250, 250, 250, 354, 452, 221]],
  ] as const)("refuses at %s with %i, and nothing else changes", (step, code, codes) => {
    const { s, verbs } = refusing(step, code);
    expect(s.greeting().code).toBe(220);
    const out = s.feed(Buffer.from(whole.map((l) => `${l}\r\n`).join("")));
    expect(out.replies.map((r) => r.code)).toEqual(codes);
    expect(out.deliver).toBeUndefined();
    expect(verbs).toEqual(step === "message" ? ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"] : ["EHLO", "MAIL", "RCPT", "DATA", "BODY", ".", "QUIT"].filter((v) => v !== "."));
  });
  it("after a refused greeting answers 503 to everything but QUIT (RFC 5321 §3.1)", () => {
    const { s, verbs } = refusing("greeting", 554);
    expect([s.greeting().code, ...drive(["EHLO x", "NOOP", "QUIT"], s).codes]).toEqual([554, 503, 503, 221]);
    expect(verbs).toEqual(["EHLO", "NOOP", "QUIT"]);
  });
  it("HELO is refused like EHLO; QUIT is never refused", () => {
    expect(drive(["HELO x", "QUIT"], refusing("EHLO", 550).s).codes).toEqual([550, 221]);
  });
  it("refuses a failAt that is not a 4xx or 5xx, or names no step", () => {
    expect(() => refusing("RCPT", 250)).toThrow(expect.objectContaining({ code: "BAD_ARGUMENT" }));
    expect(() => refusing("RCPT", 600)).toThrow(expect.objectContaining({ code: "BAD_ARGUMENT" }));
    expect(() => refusing("QUIT" as SmtpStep, 550)).toThrow(expect.objectContaining({ code: "BAD_ARGUMENT" }));
    expect(refusing("RCPT", 400).s.greeting().code).toBe(220);
    expect(refusing("RCPT", 599).s.greeting().code).toBe(220);
  });
});

describe("SmtpSession: AUTH PLAIN", () => {
  const plain = (u: string, p: string) => Buffer.from(`\u0000${u}\u0000${p}`).toString("base64");
  it("asks the adapter to check the password, and lets an authenticated submitter relay", () => {
    const s = new SmtpSession(config);
    const out = s.feed(Buffer.from(`EHLO x\r\nAUTH PLAIN ${plain("alice", "secret")}\r\n`));
    expect(out.authenticate).toEqual({ user: "alice", password: "secret" });
    expect(s.authenticated(true).replies.map((r) => r.code)).toEqual([235]);
    expect(drive(["MAIL FROM:<alice@cs.umass.edu>", "RCPT TO:<friend@gmail.com>"], s).codes).toEqual([250, 250]);
  });
  it("answers 454 4.7.0 (try later, RFC 4954 §6) when the login throttle has locked the user or client out", () => {
    const s = new SmtpSession(config);
    s.feed(Buffer.from(`EHLO x\r\nAUTH PLAIN ${plain("alice", "secret")}\r\n`));
    expect(s.authenticated("too many failed logins").replies.map((r) => [r.code, r.enhanced])).toEqual([[454, "4.7.0"]]);
    expect(drive(["MAIL FROM:<alice@cs.umass.edu>", "RCPT TO:<friend@gmail.com>"], s).codes).toEqual([250, 550]); // not authenticated
  });
  it("answers 535 to a wrong password, 501 to garbage", () => {
    const s = new SmtpSession(config);
    s.feed(Buffer.from(`EHLO x\r\nAUTH PLAIN ${plain("alice", "wrong")}\r\n`));
    expect(s.authenticated(false).replies.map((r) => r.code)).toEqual([535]);
    expect(drive(["AUTH PLAIN !!!"], s).codes).toEqual([501]);
  });
});

describe("replies on the wire", () => {
  it("formats multi-line replies with dashes, and parses them back", () => {
    const wire = formatReply({ code: 250, enhanced: "2.0.0", lines: ["mail.umass.edu", "PIPELINING"] });
    expect(wire).toBe("250-2.0.0 mail.umass.edu\r\n250 PIPELINING\r\n");
    const p = new ReplyParser();
    expect(p.push("250-2.0.0 mail.umass.edu")).toBeUndefined();
    expect(p.push("250 PIPELINING")).toEqual({ code: 250, enhanced: "2.0.0", lines: ["mail.umass.edu", "PIPELINING"] });
  });
  it("dot-stuffs and CRLF-terminates a message for DATA", () => {
    expect(dataOnWire(".hidden\nline\n").toString()).toBe("..hidden\r\nline\r\n.\r\n");
  });
});
