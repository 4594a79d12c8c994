import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as net from "node:net";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMailServer, MailServer } from "../../lib/src/mail/mail-server";
import { SmtpClient, sendMail } from "../../lib/src/smtp/client";
import { serveSmtp } from "../../lib/src/smtp/server";
import { composeMessage } from "../../lib/src/message/message";
import { Users } from "../../lib/src/mailstore/users";
import { isAppLayerError } from "../../lib/src/errors";
import { selfSignedCertificate } from "../../lib/src/net/certificate";
import { CLI, run, startCli } from "../helpers";

let server: MailServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "applayer-mail-"));
  server = await startMailServer({ domain: "umass.edu", dataDir: dir, users: ["bob:bobpass", "carol:carolpass"] });
});
afterAll(() => server.close());

const alice = { from: "alice@cs.umass.edu" };
const inbox = async (user: string) => Promise.all((await server.mailboxes.list(user)).map((n) => server.mailboxes.read(user, n).then(String)));

describe("the lib's SMTP client and server", () => {
  it("delivers to Bob's Maildir, with a Received: line on top", async () => {
    const r = await sendMail({ server: server.smtp.address, ...alice, to: ["bob@umass.edu"], message: composeMessage({ ...alice, to: ["bob@umass.edu"], subject: "first", body: "Hi Bob" }) });
    expect([r.reply.code, r.refused]).toEqual([250, []]);
    const [msg] = (await inbox("bob")).filter((m) => m.includes("Subject: first"));
    expect(msg).toMatch(/^Received: from cs\.umass\.edu \(\[127\.0\.0\.1\]\)\r\n\tby mail\.umass\.edu/);
    expect(msg).toMatch(/\r\n\r\nHi Bob\r\n$/);
  });
  it("upgrades to TLS with STARTTLS; the certificate made on the fly checks out for the server's name", async () => {
    const c = await SmtpClient.connect({ server: server.smtp.address });
    await c.hello("cs.umass.edu");
    expect(c.extensions.has("STARTTLS")).toBe(true);
    const { cert } = await selfSignedCertificate("mail.umass.edu");
    const r = await c.startTls({ ca: cert }); // rejects if the certificate does not verify for mail.umass.edu
    expect(r.code).toBe(250);
    expect(c.encrypted).toBe(true);
    expect(c.extensions.has("STARTTLS")).toBe(false);
    await c.send({ ...alice, to: ["bob@umass.edu"] }, "Subject: sealed\r\n\r\nbody\r\n");
    await c.quit();
    expect((await inbox("bob")).some((m) => m.includes("Subject: sealed"))).toBe(true);
  });
  it("carries several messages over one persistent connection, pipelined", async () => {
    const c = await SmtpClient.connect({ server: server.smtp.address });
    await c.hello("cs.umass.edu");
    expect(c.extensions.has("PIPELINING")).toBe(true);
    for (const i of [1, 2, 3]) await c.send({ ...alice, to: ["carol@umass.edu"] }, `Subject: persistent ${i}\r\n\r\nbody\r\n`);
    await c.quit();
    expect((await inbox("carol")).filter((m) => m.includes("Subject: persistent")).length).toBe(3);
  });
  it("refuses an unknown user and relaying, with the server's reply in a stable error", async () => {
    const unknown = await sendMail({ server: server.smtp.address, ...alice, to: ["eve@umass.edu"], message: "x" }).catch((e) => e);
    expect([isAppLayerError(unknown, "SMTP_REPLY"), unknown.detail.reply, unknown.detail.enhanced]).toEqual([true, 550, "5.1.1"]);
    const relay = await sendMail({ server: server.smtp.address, ...alice, to: ["x@gmail.com"], message: "x" }).catch((e) => e);
    expect([relay.detail.reply, relay.detail.enhanced]).toEqual([550, "5.7.1"]);
  });
  it("delivers to the good recipients and reports the refused one", async () => {
    const r = await sendMail({ server: server.smtp.address, ...alice, to: ["bob@umass.edu", "nobody@umass.edu"], message: "Subject: partial\r\n\r\nx\r\n" });
    expect(r.refused.map((x) => [x.to, x.reply.code])).toEqual([["nobody@umass.edu", 550]]);
  });
  it("keeps serving others while one client floods garbage, sends NULs or a huge line", async () => {
    const abuse = net.connect(server.smtp.address.port, "127.0.0.1");
    let got = "";
    abuse.on("data", (d) => (got += d));
    const closed = new Promise((r) => abuse.on("close", r));
    abuse.write("x".repeat(5000) + "\r\n" + "GARBAGE\u0000\r\n".repeat(12));
    const ok = await sendMail({ server: server.smtp.address, ...alice, to: ["bob@umass.edu"], message: "Subject: meanwhile\r\n\r\nx\r\n" });
    await closed;
    expect(ok.reply.code).toBe(250);
    expect(got).toMatch(/^421 4\.7\.0 /m); // too many errors: closed
  });
  it("loses nothing with 50 clients sending at once", async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => sendMail({ server: server.smtp.address, ...alice, to: ["carol@umass.edu"], message: `Subject: concurrent ${i}\r\n\r\nx\r\n` })));
    const subjects = (await inbox("carol")).map((m) => /Subject: concurrent (\d+)/.exec(m)?.[1]).filter(Boolean).map(Number).sort((a, b) => a - b);
    expect(subjects).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe("command injection through an address (RFC 5321 §2.3.8, §4.1.2)", () => {
  // The report: a To like this delivered a second message, with a forged From, after the first.
  const injected = "alice@umass.edu>\r\nDATA\r\nFrom: ceo@umass.edu\r\n\r\nforged\r\n.\r\nMAIL FROM:<ceo@umass.edu>\r\nRCPT TO:<bob@umass.edu";
  /** A TCP listener that only counts who connects: what would reach a server. */
  async function listener() {
    let connections = 0;
    const s = net.createServer((c) => (connections++, c.destroy()));
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    return { port: (s.address() as net.AddressInfo).port, get connections() { return connections; }, close: () => new Promise((r) => s.close(r)) };
  }
  it("sendMail and applayer send refuse it before connecting (MAIL_ADDRESS): nothing reaches the server", async () => {
    const l = await listener();
    try {
      const server = { host: "127.0.0.1", port: l.port };
      for (const envelope of [{ ...alice, to: [injected] }, { from: injected, to: ["bob@umass.edu"] }, { ...alice, to: ["bob@umass.edu\u0000"] }]) {
        const e = await sendMail({ server, ...envelope, message: "Subject: x\r\n\r\nx\r\n" }).catch((x) => x);
        expect([isAppLayerError(e, "MAIL_ADDRESS"), e.detail.address]).toEqual([true, envelope.to[0] === "bob@umass.edu" ? envelope.from : envelope.to[0]]);
      }
      const helo = await sendMail({ server, ...alice, to: ["bob@umass.edu"], message: "x", helo: "cs.umass.edu\r\nRSET" }).catch((x) => x);
      expect(isAppLayerError(helo, "COMMAND_INJECTION")).toBe(true);
      const auth = await sendMail({ server, ...alice, to: ["bob@umass.edu"], message: "x", auth: { user: "alice\r\nRSET", password: "pw" } }).catch((x) => x);
      expect(isAppLayerError(auth, "COMMAND_INJECTION")).toBe(true);
      const cli = await run(process.execPath, [CLI, "send", "--server", `127.0.0.1:${l.port}`, "--from", "a@b.c", "--to", injected, "--subject", "s", "--body", "b"]).catch((e) => String(e));
      expect(cli).toMatch(/\[MAIL_ADDRESS\]/);
      expect(l.connections).toBe(0);
    } finally {
      await l.close();
    }
  });
  it("SmtpClient refuses it on an open connection without writing a byte, and the connection stays usable", async () => {
    const before = (await inbox("bob")).length;
    const c = await SmtpClient.connect({ server: server.smtp.address });
    await c.hello("cs.umass.edu");
    const sent = c.bytes.sent;
    const e = await c.send({ ...alice, to: [injected] }, "Subject: x\r\n\r\nx\r\n").catch((x) => x);
    expect([isAppLayerError(e, "MAIL_ADDRESS"), e.detail.role]).toEqual([true, "to"]);
    for (const attempt of [() => c.command("NOOP\r\nRSET"), () => c.command("NOOP\nRSET"), () => c.hello("x\rRSET"), () => c.login("bob\r\n", "pw")]) {
      expect(isAppLayerError(await attempt().catch((x) => x), "COMMAND_INJECTION")).toBe(true);
    }
    expect(c.bytes.sent).toBe(sent);
    expect((await c.send({ ...alice, to: ["bob@umass.edu"] }, "Subject: after the refusal\r\n\r\nx\r\n")).reply.code).toBe(250);
    await c.quit();
    const now = await inbox("bob");
    expect(now.length).toBe(before + 1);
    expect(now.some((m) => m.includes("forged"))).toBe(false);
  });
  it.each([
    ["bare LF", "\n"],
    ["bare CR", "\r"],
  ])("the server, sent the injection raw with %s, answers 501 5.1.3, delivers nothing extra, and serves the session on", async (_name, end) => {
    const before = (await inbox("bob")).length;
    const sock = net.connect(server.smtp.address.port, "127.0.0.1");
    let got = "";
    sock.on("data", (d) => (got += d));
    const closed = new Promise((r) => sock.on("close", r));
    sock.write("EHLO cs.umass.edu\r\nMAIL FROM:<alice@cs.umass.edu>\r\n");
    sock.write(`RCPT TO:<${injected.replaceAll("\r\n", end)}>\r\n`);
    sock.write("RCPT TO:<bob@umass.edu>\r\nDATA\r\nSubject: the real one\r\n\r\nx\r\n.\r\nQUIT\r\n");
    await closed; // after QUIT's 221
    const codes = got.split("\r\n").filter((l) => /^\d{3} /.test(l)).map((l) => l.slice(0, 9));
    expect(codes).toEqual(["220 mail.", "250 START", "250 2.1.0", "501 5.1.3", "250 2.1.5", "354 End d", "250 2.0.0", "221 2.0.0"]);
    const now = await inbox("bob");
    expect(now.length).toBe(before + 1);
    expect(now.at(-1)).toMatch(/Subject: the real one/);
    expect(now.some((m) => m.includes("forged"))).toBe(false);
  });
});

describe("durability", () => {
  it("a message answered 250 is in the mailbox exactly once after SIGKILL and restart", async () => {
    const data = mkdtempSync(join(tmpdir(), "applayer-crash-"));
    const args = ["mail-server", "--domain", "umass.edu", "--data", data, "--user", "bob:pw"];
    const first = await startCli(args);
    const c = await SmtpClient.connect({ server: first.address });
    await c.hello("cs.umass.edu");
    const r = await c.send({ ...alice, to: ["bob@umass.edu"] }, "Subject: survive\r\n\r\nx\r\n");
    expect(r.reply.code).toBe(250);
    first.proc.kill("SIGKILL"); // right after the 250, no goodbye
    await new Promise((res) => first.proc.once("exit", res));
    await c.close();
    const second = await startCli(args);
    const files = readdirSync(join(data, "bob", "new"));
    expect(files.length).toBe(1);
    expect(readFileSync(join(data, "bob", "new", files[0]), "utf8")).toMatch(/Subject: survive/);
    expect(readdirSync(join(data, "bob", "tmp"))).toEqual([]);
    await second.stop();
  });
});

describe("users", () => {
  it("checks scrypt-hashed passwords, and slows down after wrong ones", async () => {
    const users = await Users.from(["bob:bobpass"]);
    expect(await users.check("bob", "bobpass")).toBe(true);
    expect(await users.check("bob", "nope")).toBe(false);
    const t = Date.now();
    expect(await users.check("bob", "nope")).toBe(false); // waits before answering
    expect(Date.now() - t).toBeGreaterThanOrEqual(200);
    expect(await users.check("nobody", "x")).toBe(false);
  });
});

describe("applayer send", () => {
  it("exits non-zero and prints the server's reply when refused", async () => {
    const out = await run(process.execPath, [CLI, "send", "--server", `127.0.0.1:${server.smtp.address.port}`, "--from", "a@b.c", "--to", "x@gmail.com", "--subject", "s", "--body", "b"]).catch((e) => String(e));
    expect(out).toMatch(/550 5\.7\.1/);
  });
  it("--starttls: logging in on a submission port needs it, and with it the message goes through", async () => {
    const sub = await startMailServer({ domain: "cs.umass.edu", dataDir: mkdtempSync(join(tmpdir(), "applayer-sub-")), users: ["alice:alicepass"], submissionPort: 0 });
    try {
      const args = [CLI, "send", "--server", `127.0.0.1:${sub.submission!.address.port}`, "--from", "alice@cs.umass.edu", "--to", "alice@cs.umass.edu", "--subject", "s", "--body", "b", "--user", "alice:alicepass"];
      const clear = await run(process.execPath, args).catch((e) => String(e));
      expect(clear).toMatch(/538 5\.7\.11[\s\S]*add --starttls/);
      expect(await run(process.execPath, [...args, "--starttls"])).toMatch(/^250 2\.0\.0/);
    } finally {
      await sub.close();
    }
  });
});

describe("a server that refuses at a chosen step (failAt), over a real connection", () => {
  it("answers 550 at RCPT, stores nothing, and logs the verbs the client sent", async () => {
    const verbs: string[] = [];
    const stored: string[] = [];
    const refusing = await serveSmtp({
      port: 0,
      session: { hostname: "mail.umass.edu", localDomains: ["umass.edu"], failAt: { step: "RCPT", reply: { code: 550, enhanced: "5.1.1", lines: ["no such user"] } }, onCommand: (v) => verbs.push(v) },
      store: async (_, m) => void stored.push(String(m)),
    });
    try {
      const error = await sendMail({ server: refusing.address, ...alice, to: ["bob@umass.edu"], message: "Subject: x\r\n\r\ny\r\n" }).catch((e) => e);
      expect([isAppLayerError(error), String(error.message)]).toEqual([true, expect.stringContaining("550")]);
      expect(stored).toEqual([]);
      // The lib's client pipelines MAIL, RCPT and DATA (RFC 2920), so DATA reaches the server too, and gets 503.
      expect(verbs.slice(0, 4)).toEqual(["EHLO", "MAIL", "RCPT", "DATA"]);
      expect(refusing.stats.refused).toBe(2);
    } finally {
      await refusing.close();
    }
  });
});
