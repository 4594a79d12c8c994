/**
 * Interop for the mail access servers' TLS, with the mail clients people run
 * (Debian's isync and fetchmail), on loopback:
 *  - mbsync keeps a Maildir and the lib's IMAP server in sync both ways over
 *    STARTTLS (RFC 9051 §6.2.1), trusting only the test's certificate;
 *  - fetchmail fetches over POP3 STLS (RFC 2595 §4), checking the certificate,
 *    and by UIDL takes each message once, leaving them on the server.
 * Both servers require TLS: neither client may send its password in the clear.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../helpers";
import { Certificate, selfSignedCertificate } from "../../lib/src/net/certificate";
import { MailAccess, Maildir } from "../../lib/src/mailstore/maildir";
import { ImapServer, serveImap } from "../../lib/src/imap/server";
import { Pop3Server, servePop3 } from "../../lib/src/pop3/server";

const message = (subject: string, id: string) => Buffer.from(`From: alice@cs.umass.edu\r\nTo: bob@umass.edu\r\nSubject: ${subject}\r\nMessage-ID: <${id}@cs.umass.edu>\r\n\r\nabout ${subject}\r\n`);

let dir: string;
let certificate: Certificate;
let certFile: string;
let mailboxes: Maildir;
let access: MailAccess;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "applayer-mail-clients-"));
  certificate = await selfSignedCertificate("mail.umass.edu");
  certFile = join(dir, "cert.pem");
  writeFileSync(certFile, certificate.cert);
  mailboxes = new Maildir(join(dir, "server"));
  access = { hostname: "mail.umass.edu", mailboxes, checkPassword: async (u, p) => u === "bob" && p === "bobpass" };
});

/** Subjects in a Maildir folder (the near side of mbsync), by the flags in each file's name. */
function localMail(folder: string): Array<{ subject: string; flags: string }> {
  return ["new", "cur"].flatMap((sub) => readdirSync(join(folder, sub)).map((name) => ({
    subject: /^Subject: (.*)$/m.exec(readFileSync(join(folder, sub, name), "latin1"))![1].trim(),
    flags: /:2,([A-Z]*)$/.exec(name)?.[1] ?? "",
  }))).sort((a, b) => (a.subject < b.subject ? -1 : 1));
}

describe("mbsync (isync) syncs a mailbox both ways over IMAP STARTTLS", () => {
  let server: ImapServer;
  let config: string;
  let local: string;
  beforeAll(async () => {
    for (const [s, id] of [["one", "1"], ["two", "2"], ["three", "3"]]) await mailboxes.deliver("bob", message(s, id));
    server = await serveImap({ port: 0, access, certificate, requireTls: true });
    local = join(dir, "local");
    mkdirSync(local);
    config = join(dir, "mbsyncrc");
    writeFileSync(config, [
      "IMAPAccount test", "Host 127.0.0.1", `Port ${server.address.port}`, "User bob", "Pass bobpass",
      // STARTTLS, and only the test's certificate is trusted.
      "SSLType STARTTLS", `CertificateFile ${certFile}`, "AuthMechs LOGIN", "",
      "IMAPStore remote", "Account test", "",
      "MaildirStore local", `Path ${local}/`, `Inbox ${local}/INBOX`, "SubFolders Verbatim", "",
      "Channel sync", "Far :remote:", "Near :local:", "Patterns INBOX", "Create Both", "Expunge Both", "SyncState *", "",
    ].join("\n"));
  });
  afterAll(() => server.close());
  const sync = () => run("mbsync", ["-V", "-c", config, "sync"], "", { timeoutMs: 30_000 });

  it("the first sync brings the server's messages down, over TLS", async () => {
    const log = await sync();
    expect(log).toMatch(/Connection is now encrypted/);
    expect(localMail(join(local, "INBOX")).map((m) => m.subject)).toEqual(["one", "three", "two"]);
  }, 60_000);

  it("local changes go up (a flag, a deletion, a new message) and the server's new mail comes down", async () => {
    const inbox = join(local, "INBOX");
    const file = (subject: string) => ["new", "cur"].flatMap((sub) => readdirSync(join(inbox, sub)).map((n) => join(inbox, sub, n))).find((p) => new RegExp(`^Subject: ${subject}\r?$`, "m").test(readFileSync(p, "latin1")))!; // mbsync stores LF line ends
    const one = file("one");
    renameSync(one, join(inbox, "cur", `${one.split("/").pop()!.replace(/:2,.*$/, "")}:2,FS`)); // flagged and seen here
    rmSync(file("two")); // deleted here
    writeFileSync(join(inbox, "new", "1.local"), message("written offline", "local"));
    await mailboxes.deliver("bob", message("four", "4"));
    await sync();
    const folder = await mailboxes.folder("bob", "INBOX");
    await folder.refresh();
    const onServer = new Map(await Promise.all(folder.messages.map(async (m) => [/^Subject: (.*)$/m.exec((await folder.read(m)).toString("latin1"))![1].trim(), [...m.flags].sort().join(" ")] as const)));
    expect([...onServer.keys()].sort()).toEqual(["four", "one", "three", "written offline"]);
    expect(onServer.get("one")).toBe("\\Flagged \\Seen");
    expect(localMail(inbox).map((m) => m.subject)).toEqual(["four", "one", "three", "written offline"]);
  }, 60_000);
});

describe("fetchmail fetches over POP3 STLS, by UIDL", () => {
  let server: Pop3Server;
  let rc: string;
  let out: string;
  const home = () => join(dir, "fetchmail");
  beforeAll(async () => {
    server = await servePop3({ port: 0, access: { ...access, mailboxes: new Maildir(join(dir, "pop")) }, certificate, requireTls: true });
    mkdirSync(home());
    out = join(home(), "out.bsmtp");
    rc = join(home(), "fetchmailrc");
    writeFileSync(rc, [
      "set no syslog",
      `poll 127.0.0.1 protocol pop3 port ${server.address.port} uidl`,
      '  user "bob" there with password "bobpass" is "root" here',
      // tls1.2+: STLS or fail; sslcertck with the test's certificate as the only trusted one; its name is mail.umass.edu.
      `  keep sslproto "tls1.2+" sslcertck sslcertfile "${certFile}" sslcommonname "mail.umass.edu"`,
      `  bsmtp "${out}"`, "",
    ].join("\n"));
    chmodSync(rc, 0o600); // fetchmail refuses a readable rc file that holds a password
  });
  afterAll(() => server.close());
  /** One fetchmail run: its exit status (0 mail fetched, 1 no new mail) and its log. */
  const fetch = () => new Promise<{ status: number; log: string }>((resolve) => {
    run("/usr/bin/env", [`FETCHMAILHOME=${home()}`, "fetchmail", "-v", "-f", rc, "-i", join(home(), "ids")], "", { timeoutMs: 30_000 }).then(
      (log) => resolve({ status: 0, log }),
      (e: Error) => resolve({ status: /normal termination, status 1\b/.test(e.message) ? 1 : -1, log: e.message }),
    );
  });
  const fetched = () => readFileSync(out, "latin1").split(/^MAIL FROM/m).length - 1;

  it("takes each message once, by UIDL, over TLS, and leaves them on the server", async () => {
    const pop = new Maildir(join(dir, "pop"));
    for (const [s, id] of [["one", "1"], ["two", "2"]]) await pop.deliver("bob", message(s, id));
    const first = await fetch();
    expect(first.status).toBe(0);
    expect(first.log).toMatch(/POP3> STLS/);
    expect(first.log).toMatch(/upgrade to TLS succeeded/);
    expect(first.log.indexOf("POP3> STLS")).toBeLessThan(first.log.indexOf("POP3> USER")); // no password before TLS
    expect(fetched()).toBe(2);
    const again = await fetch();
    expect(again.status).toBe(1); // nothing new
    expect(fetched()).toBe(2);
    await pop.deliver("bob", message("three", "3"));
    const third = await fetch();
    expect(third.status).toBe(0);
    expect(fetched()).toBe(3);
    expect(readFileSync(out, "latin1")).toMatch(/Subject: three/);
    const folder = await pop.folder("bob", "INBOX");
    await folder.refresh();
    expect(folder.messages).toHaveLength(3); // keep: nothing deleted
  }, 90_000);
});
