import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pop3Client } from "../../lib/src/pop3/client";
import { Pop3Server, servePop3 } from "../../lib/src/pop3/server";
import { multiline } from "../../lib/src/pop3/session";
import { Maildir } from "../../lib/src/mailstore/maildir";
import { MAX_POP3_LINE } from "../../lib/src/pop3/limits";
import { MAX_BAD_COMMANDS } from "../../lib/src/smtp/limits";
import { isAppLayerError } from "../../lib/src/errors";

let server: Pop3Server;
let mailboxes: Maildir;
const messages = ["Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\n\r\n.leading dot\r\nline 2\r\nline 3\r\n"];

beforeEach(async () => {
  mailboxes = new Maildir(mkdtempSync(join(tmpdir(), "applayer-pop3-")));
  for (const m of messages) await mailboxes.deliver("bob", Buffer.from(m));
  server = await servePop3({ port: 0, access: { hostname: "mail.umass.edu", mailboxes, checkPassword: async (u, p) => u === "bob" && p === "bobpass" } });
});
afterEach(() => server.close());

const connect = async () => {
  const c = await Pop3Client.connect({ server: server.address });
  await c.login("bob", "bobpass");
  return c;
};

describe("POP3 server with the lib's client", () => {
  it("lists, retrieves (dot-stuffing undone) and gives each message a UIDL that survives sessions", async () => {
    const c = await connect();
    expect(await c.stat()).toEqual({ count: 2, octets: messages.join("").length });
    expect((await c.list()).map((m) => m.size)).toEqual(messages.map((m) => m.length));
    expect(await c.retr(2)).toBe(messages[1]);
    expect(await c.top(2, 1)).toBe("Subject: two\r\n\r\n.leading dot\r\n");
    const uids = await c.uidl();
    await c.quit();
    const again = await connect();
    expect(await again.uidl()).toEqual(uids);
    await again.quit();
  });

  it("deletes at QUIT, not before, and not at all without QUIT or after RSET", async () => {
    const c = await connect();
    await c.dele(1);
    expect(await c.stat()).toEqual({ count: 1, octets: messages[1].length });
    await c.rset();
    await c.dele(1);
    await c.close(); // dropped without QUIT: nothing is deleted
    await new Promise((r) => setTimeout(r, 50));
    const d = await connect();
    await d.dele(1);
    await d.quit();
    const e = await connect();
    expect((await e.stat()).count).toBe(1);
    expect(await e.retr(1)).toBe(messages[1]);
    await e.quit();
  });

  it("refuses a wrong password, a second session on the same maildrop, and a deleted message", async () => {
    const bad = await Pop3Client.connect({ server: server.address });
    const e = await bad.login("bob", "nope").catch((x) => x);
    expect(isAppLayerError(e, "POP3_REPLY") && e.detail.text).toMatch(/\[AUTH\]/);
    await bad.close();
    const c = await connect();
    const second = await Pop3Client.connect({ server: server.address });
    expect(String(await second.login("bob", "bobpass").catch((x) => x))).toMatch(/\[IN-USE\]/);
    await second.close();
    await c.dele(1);
    expect(String(await c.retr(1).catch((x) => x))).toMatch(/message 1 is deleted/);
    await c.quit();
  });

  it("answers an over-long line, commands before login, and then too many bad commands, and closes", async () => {
    const socket = net.connect(server.address.port, "127.0.0.1");
    let got = "";
    socket.on("data", (d) => (got += d));
    await new Promise((r) => socket.once("connect", r));
    socket.write(`STAT\r\nUSER ${"x".repeat(MAX_POP3_LINE)}\r\n`);
    socket.write("BOGUS\r\n".repeat(MAX_BAD_COMMANDS));
    await new Promise((r) => socket.once("close", r));
    expect(got).toMatch(/-ERR STAT is not allowed before login/);
    expect(got).toMatch(new RegExp(`-ERR command line longer than ${MAX_POP3_LINE} octets`));
    expect(got).toMatch(/-ERR too many bad commands/);
  });

  it("refuses a command with a bare LF or CR or another control byte (RFC 1939 §3), and serves the next", async () => {
    for (const end of ["\n", "\r", "\u0000", "\t"]) {
      const socket = net.connect(server.address.port, "127.0.0.1");
      let got = "";
      socket.on("data", (d) => (got += d));
      const closed = new Promise((r) => socket.once("close", r));
      socket.write(`USER bob${end}PASS bobpass\r\nUSER bob\r\nPASS bobpass\r\nQUIT\r\n`);
      await closed;
      expect(got.split("\r\n").map((l) => l.split(" ")[0])).toEqual(["+OK", "-ERR", "+OK", "+OK", "+OK", ""]);
      expect(got).toMatch(/-ERR control byte 0x/);
    }
  });
  it("the client refuses control bytes in a command before sending anything", async () => {
    const c = await Pop3Client.connect({ server: server.address });
    const sent = c.bytes.sent;
    for (const attempt of [() => c.login("bob\r\nDELE 1", "x"), () => c.login("bob", "bobpass\r\nDELE 1"), () => c.command("STAT\nDELE 1")]) {
      expect(isAppLayerError(await attempt().catch((x) => x), "COMMAND_INJECTION")).toBe(true);
    }
    expect(c.bytes.sent).toBe(sent);
    await c.login("bob", "bobpass");
    expect((await c.stat()).count).toBe(2);
    await c.quit();
  });
  it("dot-stuffs multi-line replies", () => {
    expect(multiline("2 octets", ".x\r\n.\r\n")).toBe("+OK 2 octets\r\n..x\r\n..\r\n.\r\n");
  });
});
