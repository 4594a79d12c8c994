import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapClient } from "../../lib/src/imap/client";
import { ImapServer, serveImap } from "../../lib/src/imap/server";
import { MailAccess, Maildir } from "../../lib/src/mailstore/maildir";
import { composeMessage } from "../../lib/src/message/message";
import { MAX_IMAP_BAD_COMMANDS, MAX_IMAP_LITERAL } from "../../lib/src/imap/limits";
import { isAppLayerError } from "../../lib/src/errors";

let dir: string;
let server: ImapServer;
let mailboxes: Maildir;
const access = (boxes: Maildir): MailAccess => ({ hostname: "mail.umass.edu", mailboxes: boxes, checkPassword: async (u, p) => u === "bob" && p === "bobpass" });
const message = (subject: string, text = "hello") => Buffer.from(composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject, text }));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "applayer-imap-"));
  mailboxes = new Maildir(dir);
  for (const s of ["one", "two", "three"]) await mailboxes.deliver("bob", message(s));
  server = await serveImap({ port: 0, access: access(mailboxes) });
});
afterEach(() => server.close());

const login = async () => {
  const c = await ImapClient.connect({ server: server.address });
  await c.login("bob", "bobpass");
  return c;
};

/** Raw lines to the server, and what it said back (for malformed input). */
async function raw(lines: string[], waitFor: RegExp): Promise<string> {
  const socket = net.connect(server.address.port, "127.0.0.1");
  let got = "";
  socket.on("data", (d) => (got += d.toString("latin1")));
  await new Promise((r) => socket.once("connect", r));
  for (const l of lines) socket.write(l);
  for (let i = 0; i < 100 && !waitFor.test(got); i++) await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return got;
}

describe("IMAP server with the lib's client", () => {
  it("refuses a wrong password with NO [AUTHENTICATIONFAILED]", async () => {
    const c = await ImapClient.connect({ server: server.address });
    const e = await c.login("bob", "wrong").catch((x) => x);
    expect(isAppLayerError(e, "IMAP_REPLY") && e.detail.text).toMatch(/^\[AUTHENTICATIONFAILED\]/);
    await c.logout();
  });

  it("selects INBOX and fetches UID, FLAGS, size, envelope and header fields", async () => {
    const c = await login();
    const box = await c.select("INBOX");
    expect([box.exists, box.recent, box.uidNext]).toEqual([3, 3, 4]);
    const [first] = await c.fetch("1", "(UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    expect(first.items.UID).toBe("1");
    expect(first.items.FLAGS).toEqual([]);
    expect(Number(first.items["RFC822.SIZE"])).toBe(message("one").length);
    expect((first.items.ENVELOPE as unknown[])[1]).toBe("one");
    expect(String(first.items["BODY[HEADER.FIELDS (SUBJECT)]"])).toBe("Subject: one\r\n\r\n");
    await c.logout();
  });

  it("marks a message \\Seen when its body is fetched (not with PEEK), and keeps flags across a restart", async () => {
    const c = await login();
    await c.select("INBOX");
    const [r] = await c.fetch("2", "BODY[]");
    expect(r.items.FLAGS).toEqual(["\\Seen"]);
    await c.store("3", "+FLAGS", ["\\Flagged", "\\Answered"]);
    await c.logout();
    // A new server process: a new Maildir object reading the same files.
    await server.close();
    server = await serveImap({ port: 0, access: access(new Maildir(dir)) });
    const again = await login();
    await again.select("INBOX");
    const flags = (await again.fetch("1:*", "(UID FLAGS)")).map((m) => [m.items.UID, [...(m.items.FLAGS as string[])].sort()]);
    expect(flags).toEqual([["1", []], ["2", ["\\Seen"]], ["3", ["\\Answered", "\\Flagged"]]]);
    await again.logout();
  });

  it("creates, renames and deletes folders; copies, moves and expunges with stable UIDs", async () => {
    const c = await login();
    await c.create("Archive");
    await c.create("Old");
    await c.rename("Old", "Older");
    await c.delete("Older");
    expect((await c.list()).map((f) => f.name)).toEqual(["INBOX", "Archive"]);
    await c.select("INBOX");
    const copied = await c.copy("1", "Archive");
    expect(copied.text).toMatch(/^\[COPYUID \d+ 1 1\]/);
    expect(await c.move("2", "Archive")).toEqual([2]);
    await c.store("1", "+FLAGS", ["\\Deleted"]);
    expect(await c.expunge()).toEqual([1]);
    expect((await c.fetch("1:*", "UID")).map((m) => m.items.UID)).toEqual(["3"]); // UID 3 is still UID 3
    await c.select("Archive");
    const subjects = await c.fetch("1:*", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]");
    expect(subjects.map((m) => String(m.items["BODY[HEADER.FIELDS (SUBJECT)]"]).trim())).toEqual(["Subject: one", "Subject: two"]);
    await c.logout();
  });

  it("searches by flag, header text and size, by sequence number and by UID", async () => {
    const c = await login();
    await c.select("INBOX");
    await c.store("1", "+FLAGS", ["\\Seen"]);
    expect(await c.search("UNSEEN")).toEqual([2, 3]);
    expect(await c.search('SUBJECT "tw"')).toEqual([2]);
    expect(await c.search("OR SUBJECT one SUBJECT three")).toEqual([1, 3]);
    expect(await c.search("NOT SEEN SMALLER 100000")).toEqual([2, 3]);
    expect(await c.search("UID 2:3", { uid: true })).toEqual([2, 3]);
    await c.logout();
  });

  it("pushes new mail during IDLE as it is delivered", async () => {
    const c = await login();
    await c.select("INBOX");
    const seen: string[] = [];
    const idle = await c.idle((u) => seen.push(u.map(String).join(" ")));
    await mailboxes.deliver("bob", message("four"));
    for (let i = 0; i < 50 && !seen.includes("4 EXISTS"); i++) await new Promise((r) => setTimeout(r, 20));
    await idle.done();
    expect(seen).toContain("4 EXISTS");
    await c.logout();
  });

  it("logs in with AUTHENTICATE PLAIN, with the initial response (SASL-IR) and after a '+'", async () => {
    const plain = Buffer.from("\u0000bob\u0000bobpass").toString("base64");
    const got = await raw([`a1 AUTHENTICATE PLAIN ${plain}\r\n`, "a2 LOGOUT\r\n"], /a2 OK/);
    expect(got).toMatch(/^a1 OK \[CAPABILITY [^\]]*\] AUTHENTICATE completed/m);
    const stepwise = await raw(["b1 AUTHENTICATE PLAIN\r\n", `${plain}\r\n`, "b2 SELECT INBOX\r\n"], /b2 OK/);
    expect(stepwise).toMatch(/^\+ \r\nb1 OK/m);
    expect(stepwise).toMatch(/^b2 OK \[READ-WRITE\]/m);
  });

  it("EXAMINE opens read-only: no flag changes, no expunge, and \\Recent stays for the next session", async () => {
    const c = await login();
    const box = await c.select("INBOX", true);
    expect([box.readOnly, box.recent]).toEqual([true, 3]);
    expect(String(await c.store("1", "+FLAGS", ["\\Seen"]).catch((e) => e))).toMatch(/read-only/);
    await c.fetch("1", "BODY[]"); // does not set \Seen when read-only
    expect((await c.fetch("1", "FLAGS"))[0].items.FLAGS).toEqual([]);
    await c.logout();
  });

  it("appends with a literal, and gives the new UID", async () => {
    const c = await login();
    const r = await c.append("INBOX", message("appended"), ["\\Seen"]);
    expect(r.text).toMatch(/^\[APPENDUID \d+ 4\]/);
    await c.logout();
  });
});

describe("IMAP server: malformed input gets BAD or NO, and the server goes on", () => {
  it("answers a missing tag, an unknown command, unbalanced lists and commands before LOGIN", async () => {
    const got = await raw(["\r\n", "a1 FROBNICATE\r\n", "a2 LOGIN (bob\r\n", "a3 SELECT INBOX\r\n", "a4 FETCH 1 FLAGS\r\n", "a5 NOOP\r\n"], /a5 OK/);
    expect(got).toMatch(/^\* BAD /m);
    expect(got).toMatch(/^a1 BAD unknown command/m);
    expect(got).toMatch(/^a2 BAD .*parenthesis/m);
    expect(got).toMatch(/^a3 BAD SELECT needs LOGIN first/m);
    expect(got).toMatch(/^a5 OK/m);
  });
  it("refuses a command with a bare LF or CR in it (no second command smuggled in), and serves the next", async () => {
    for (const end of ["\n", "\r"]) {
      const got = await raw([`a1 LOGIN bob bobpass${end}a2 DELETE INBOX\r\na3 LOGIN bob bobpass\r\n`], /^a3 /m);
      expect(got).toMatch(/^a1 BAD .*control bytes/m);
      expect(got).not.toMatch(/^a2 /m);
      expect(got).toMatch(/^a3 OK /m);
    }
  });
  it("the client refuses control bytes in a command's text before sending it, and sends a password with CR LF as a literal", async () => {
    const c = await login();
    for (const attempt of [() => c.command("NOOP\r\na2 DELETE INBOX"), () => c.fetch("1", "FLAGS\r\na2 EXPUNGE"), () => c.search("ALL\n")]) {
      expect(isAppLayerError(await attempt().catch((x) => x), "COMMAND_INJECTION")).toBe(true);
    }
    expect((await c.select("INBOX")).exists).toBe(3); // the connection goes on
    await c.logout();
    const d = await ImapClient.connect({ server: server.address });
    const e = await d.login("bob", "bobpass\r\na2 LOGIN bob bobpass").catch((x) => x); // one wrong password, not two commands
    expect(isAppLayerError(e, "IMAP_REPLY") && e.detail.text).toMatch(/^\[AUTHENTICATIONFAILED\]/);
    await d.login("bob", "bobpass");
    await d.logout();
  });
  it("the client sends a password that is not printable ASCII as a UTF-8 literal, which the server reads back whole", async () => {
    const password = "pässwörd €\t";
    const own = await serveImap({ port: 0, access: { ...access(mailboxes), checkPassword: async (u, p) => u === "bob" && p === password } });
    try {
      const c = await ImapClient.connect({ server: own.address });
      await c.login("bob", password);
      expect((await c.select("INBOX")).exists).toBe(3);
      await c.logout();
    } finally {
      await own.close();
    }
  });
  it("refuses a literal over the limit before it is sent", async () => {
    const got = await raw([`a1 LOGIN bob {${MAX_IMAP_LITERAL + 1}}\r\n`, "a2 NOOP\r\n"], /a2 OK/);
    expect(got).toMatch(/^a1 BAD \[TOOBIG\]/m);
    expect(got).not.toMatch(/^\+ /m);
  });
  it("says BYE after too many bad commands", async () => {
    const got = await raw(Array.from({ length: MAX_IMAP_BAD_COMMANDS }, (_, i) => `x${i} BOGUS\r\n`), /BYE/);
    expect(got.match(/ BAD /g)!.length).toBe(MAX_IMAP_BAD_COMMANDS);
    expect(got).toMatch(/^\* BYE too many bad commands/m);
  });
  it("keeps serving other clients while one sends garbage", async () => {
    const garbage = raw(["\u0000\u0001\u00ff garbage (((\r\n"], /BAD/);
    const c = await login();
    expect((await c.select("INBOX")).exists).toBe(3);
    await c.logout();
    expect(await garbage).toMatch(/BAD/);
  });
});
