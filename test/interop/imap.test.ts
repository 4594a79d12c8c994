/**
 * Interop for mail access: Python's imaplib and poplib (on Debian's /usr/bin/python3)
 * against the lib's IMAP and POP3 servers, and the lib's IMAP and POP3 clients
 * against a real Dovecot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliServer, run, startCli } from "../helpers";
import { sendMail } from "../../lib/src/smtp/client";
import { composeMessage } from "../../lib/src/message/message";
import { ImapClient } from "../../lib/src/imap/client";
import { Pop3Client } from "../../lib/src/pop3/client";
import { Dovecot, startDovecot } from "./dovecot";

const python = (code: string) => run("/usr/bin/python3", ["-c", code]);

describe("standard clients on applayer mail-server's IMAP and POP3", () => {
  let server: CliServer;
  let data: string;
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "applayer-access-interop-"));
    server = await startCli(["mail-server", "--domain", "umass.edu", "--data", data, "--user", "bob:bobpass", "--imap-port", "0", "--pop3-port", "0"], 3);
    for (const subject of ["first", "second", "third"]) {
      await sendMail({ server: server.address, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject, text: `about ${subject}` }) });
    }
  });
  afterAll(() => server.stop());

  it("imaplib reads, flags, moves and deletes", async () => {
    const out = await python(`
import imaplib, email
M = imaplib.IMAP4("127.0.0.1", ${server.addresses.get("imap")!.port})
M.login("bob", "bobpass")
typ, data = M.select("INBOX")
print("exists", data[0].decode())
typ, data = M.fetch("1", "(RFC822)")
print("subject", email.message_from_bytes(data[0][1])["Subject"])
M.store("1", "+FLAGS", "\\\\Flagged")
typ, data = M.fetch("1", "(FLAGS)")
print("flags", data[0].decode())
M.create("Archive")
print("move", M._simple_command("MOVE", "2", "Archive")[0])
M.store("1", "+FLAGS", "\\\\Deleted")
typ, data = M.expunge()
print("expunged", data)
typ, data = M.search(None, "ALL")
print("left", data[0].decode())
print("archive", M.status("Archive", "(MESSAGES)")[1][0].decode())
M.logout()
`);
    expect(out).toMatch(/^exists 3$/m);
    expect(out).toMatch(/^subject first$/m);
    expect(out).toMatch(/^flags 1 \(FLAGS \(.*\\Flagged.*\)\)$/m);
    expect(out).toMatch(/^move OK$/m);
    expect(out).toMatch(/^left 1$/m);
    expect(out).toMatch(/^archive "Archive" \(MESSAGES 1\)$/m);
    // The deletion and the move are on disk: one message left in the INBOX's Maildir, one in .Archive.
    expect(readdirSync(join(data, "bob", "cur")).length + readdirSync(join(data, "bob", "new")).length).toBe(1);
    expect(readdirSync(join(data, "bob", ".Archive", "cur")).length).toBe(1);
  });

  it("poplib reads and deletes", async () => {
    const out = await python(`
import poplib
P = poplib.POP3("127.0.0.1", ${server.addresses.get("pop3")!.port})
P.user("bob"); P.pass_("bobpass")
count, size = P.stat()
print("count", count)
resp, lines, octets = P.retr(1)
print("body", lines[-1].decode())
P.dele(1)
P.quit()
P = poplib.POP3("127.0.0.1", ${server.addresses.get("pop3")!.port})
P.user("bob"); P.pass_("bobpass")
print("after", P.stat()[0])
P.quit()
`);
    expect(out).toMatch(/^count 1$/m);
    expect(out).toMatch(/^body about third$/m);
    expect(out).toMatch(/^after 0$/m);
  });
});

describe("the lib's IMAP and POP3 clients against Dovecot", () => {
  let dovecot: Dovecot;
  beforeAll(async () => {
    dovecot = await startDovecot(["bob@umass.edu:bobpass"]);
  });
  afterAll(() => dovecot.stop());

  it("IMAP: append, fetch, flag, search, move, expunge", async () => {
    const c = await ImapClient.connect({ server: dovecot.imap });
    await c.login("bob@umass.edu", "bobpass");
    await c.select("INBOX");
    for (const subject of ["alpha", "beta"]) await c.append("INBOX", composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject, text: "hi" }));
    const fetched = await c.fetch("1:*", "(UID ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    expect(fetched.map((m) => (m.items.ENVELOPE as unknown[])[1])).toEqual(["alpha", "beta"]);
    await c.store("1", "+FLAGS", ["\\Flagged"]);
    expect(await c.search("FLAGGED")).toEqual([1]);
    await c.create("Archive");
    await c.move("2", "Archive");
    await c.store("1", "+FLAGS", ["\\Deleted"]);
    expect(await c.expunge()).toEqual([1]);
    expect((await c.select("Archive")).exists).toBe(1);
    await c.logout();
  });

  it("POP3: the same client code reads Dovecot's maildrop", async () => {
    const c = await ImapClient.connect({ server: dovecot.imap });
    await c.login("bob@umass.edu", "bobpass");
    await c.append("INBOX", "Subject: for pop\r\n\r\nbody\r\n");
    await c.logout();
    const p = await Pop3Client.connect({ server: dovecot.pop3 });
    await p.login("bob@umass.edu", "bobpass");
    const { count } = await p.stat();
    expect(await p.retr(count)).toMatch(/Subject: for pop/);
    await p.quit();
  });
});
