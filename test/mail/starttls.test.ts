/**
 * STARTTLS on the mail access servers: IMAP's STARTTLS (RFC 9051 §6.2.1, RFC 3501
 * §6.2.1) and POP3's STLS (RFC 2595 §4). Each is offered only before TLS, upgrades
 * the same connection in place with the certificate the server was given, refuses
 * a second upgrade with the protocol's error, drops commands a client (or a man in
 * the middle) sent in plaintext after the upgrade command, and, when TLS is
 * required, refuses passwords in the clear.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import * as tls from "node:tls";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Certificate, selfSignedCertificate } from "../../lib/src/net/certificate";
import { MailAccess, Maildir } from "../../lib/src/mailstore/maildir";
import { serveImap } from "../../lib/src/imap/server";
import { servePop3 } from "../../lib/src/pop3/server";
import { Closable } from "../../lib/src/net/lifecycle";
import { Address } from "../../lib/src/net/address";
import { isAppLayerError } from "../../lib/src/errors";
import { startMailServer } from "../../lib/src/mail/mail-server";

/** A conversation over TCP that can turn into TLS: say lines, wait for what the server says. */
class Dialog {
  private text = "";
  private waiting?: () => void;
  private constructor(private socket: net.Socket) {
    this.listen(socket);
  }

  static async open(server: Address): Promise<Dialog> {
    const socket = net.connect(server.port, server.host);
    await new Promise((r) => socket.once("connect", r));
    return new Dialog(socket);
  }

  private listen(socket: net.Socket): void {
    socket.on("data", (d: Buffer) => {
      this.text += d.toString("latin1");
      this.waiting?.();
    });
  }

  say(text: string): void {
    this.socket.write(text);
  }

  /** Everything the server said up to and including the first match of `pattern`; that much is consumed. */
  async expect(pattern: RegExp): Promise<string> {
    for (;;) {
      const m = pattern.exec(this.text);
      if (m) {
        const upTo = this.text.slice(0, m.index + m[0].length);
        this.text = this.text.slice(m.index + m[0].length);
        return upTo;
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${JSON.stringify(this.text)}`)), 5000);
        this.waiting = () => (clearTimeout(timer), resolve());
      });
    }
  }

  /** The TLS handshake over the same connection, checking the server's certificate against `ca`. */
  async startTls(ca: string): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = tls.connect({ socket: plain, ca, servername: "mail.umass.edu" });
    await new Promise<void>((resolve, reject) => (secure.once("secureConnect", resolve), secure.once("error", reject)));
    this.socket = secure;
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

let certificate: Certificate;
let mailboxes: Maildir;
let access: MailAccess;
const servers: Closable[] = [];
const dialogs: Dialog[] = [];
const open = async (server: { address: Address }) => {
  const d = await Dialog.open(server.address);
  dialogs.push(d);
  return d;
};

beforeEach(async () => {
  certificate = await selfSignedCertificate("mail.umass.edu");
  mailboxes = new Maildir(mkdtempSync(join(tmpdir(), "applayer-starttls-")));
  for (const s of ["one", "two"]) await mailboxes.deliver("bob", Buffer.from(`Subject: ${s}\r\n\r\n${s}\r\n`));
  access = { hostname: "mail.umass.edu", mailboxes, checkPassword: async (u, p) => u === "bob" && p === "bobpass" };
});
afterEach(async () => {
  for (const d of dialogs.splice(0)) d.close();
  for (const s of servers.splice(0)) await s.close();
});
const imap = async (options: { certificate?: Certificate; requireTls?: boolean }) => {
  const s = await serveImap({ port: 0, access, ...options });
  servers.push(s);
  return s;
};
const pop3 = async (options: { certificate?: Certificate; requireTls?: boolean }) => {
  const s = await servePop3({ port: 0, access, ...options });
  servers.push(s);
  return s;
};

describe("IMAP STARTTLS (RFC 9051 §6.2.1)", () => {
  it("is offered before TLS, upgrades in place with the server's certificate, and after it is listed no more and refused with BAD", async () => {
    const d = await open(await imap({ certificate }));
    expect(await d.expect(/\r\n/)).toMatch(/^\* OK \[CAPABILITY [^\]]*\bSTARTTLS\b[^\]]*\]/);
    d.say("a STARTTLS\r\n");
    await d.expect(/^a OK .*\r\n/m);
    await d.startTls(certificate.cert);
    d.say("b CAPABILITY\r\n");
    const caps = await d.expect(/^b OK .*\r\n/m);
    expect(caps).toMatch(/^\* CAPABILITY IMAP4rev1 /m);
    expect(caps).not.toMatch(/STARTTLS/);
    d.say("c STARTTLS\r\n");
    expect(await d.expect(/^c .*\r\n/m)).toMatch(/^c BAD TLS is already active/m);
    d.say("d LOGIN bob bobpass\r\ne SELECT INBOX\r\n");
    expect(await d.expect(/^e OK .*\r\n/m)).toMatch(/^\* 2 EXISTS/m);
  });

  it("drops commands sent in plaintext after STARTTLS: they do not run over TLS", async () => {
    const d = await open(await imap({ certificate }));
    await d.expect(/\r\n/);
    d.say("a STARTTLS\r\nb LOGIN bob bobpass\r\n");
    expect(await d.expect(/^a OK .*\r\n/m)).not.toMatch(/^b /m);
    await d.startTls(certificate.cert);
    d.say("c SELECT INBOX\r\n");
    expect(await d.expect(/^c .*\r\n/m)).toMatch(/^c BAD SELECT needs LOGIN first/m);
  });

  it("with requireTls, says LOGINDISABLED and refuses LOGIN and AUTHENTICATE in the clear with NO [PRIVACYREQUIRED]; over TLS they work", async () => {
    const d = await open(await imap({ certificate, requireTls: true }));
    const greeting = await d.expect(/\r\n/);
    expect(greeting).toMatch(/\bLOGINDISABLED\b/);
    expect(greeting).not.toMatch(/AUTH=PLAIN/);
    d.say("a LOGIN bob bobpass\r\n");
    expect(await d.expect(/^a .*\r\n/m)).toMatch(/^a NO \[PRIVACYREQUIRED\]/m);
    d.say(`b AUTHENTICATE PLAIN ${Buffer.from("\0bob\0bobpass").toString("base64")}\r\n`);
    expect(await d.expect(/^b .*\r\n/m)).toMatch(/^b NO \[PRIVACYREQUIRED\]/m);
    d.say("c STARTTLS\r\n");
    await d.expect(/^c OK .*\r\n/m);
    await d.startTls(certificate.cert);
    d.say("d CAPABILITY\r\n");
    const caps = await d.expect(/^d OK .*\r\n/m);
    expect(caps).toMatch(/AUTH=PLAIN/);
    expect(caps).not.toMatch(/LOGINDISABLED/);
    d.say("e LOGIN bob bobpass\r\n");
    expect(await d.expect(/^e .*\r\n/m)).toMatch(/^e OK/m);
  });

  it("a server without a certificate does not offer it, and answers STARTTLS with BAD", async () => {
    const d = await open(await imap({}));
    expect(await d.expect(/\r\n/)).not.toMatch(/STARTTLS/);
    d.say("a STARTTLS\r\nb LOGIN bob bobpass\r\n");
    expect(await d.expect(/^b .*\r\n/m)).toMatch(/^a BAD [^\r]*\r\nb OK/m);
  });

  it("refuses requireTls without a certificate", async () => {
    const e = await serveImap({ port: 0, access, requireTls: true }).catch((x) => x);
    expect(isAppLayerError(e, "BAD_ARGUMENT")).toBe(true);
  });
});

describe("POP3 STLS (RFC 2595 §4)", () => {
  it("is in CAPA before TLS, upgrades in place with the server's certificate, and after it is listed no more and refused with -ERR", async () => {
    const d = await open(await pop3({ certificate }));
    await d.expect(/^\+OK .*\r\n/);
    d.say("CAPA\r\n");
    expect(await d.expect(/^\.\r\n/m)).toMatch(/^STLS\r\n/m);
    d.say("STLS\r\n");
    await d.expect(/^\+OK .*\r\n/m);
    await d.startTls(certificate.cert);
    d.say("CAPA\r\n");
    const caps = await d.expect(/^\.\r\n/m);
    expect(caps).toMatch(/^USER\r\n/m);
    expect(caps).not.toMatch(/STLS/);
    d.say("STLS\r\n");
    expect(await d.expect(/\r\n/)).toMatch(/^-ERR TLS is already active/);
    d.say("USER bob\r\nPASS bobpass\r\nSTAT\r\n");
    expect(await d.expect(/^\+OK 2 \d+\r\n/m)).toBeTruthy();
    d.say("STLS\r\n");
    expect(await d.expect(/\r\n/)).toMatch(/^-ERR/);
  });

  it("drops commands sent in plaintext after STLS: they do not run over TLS", async () => {
    const d = await open(await pop3({ certificate }));
    await d.expect(/^\+OK .*\r\n/);
    d.say("STLS\r\nUSER bob\r\n");
    await d.expect(/^\+OK .*\r\n/);
    await d.startTls(certificate.cert);
    d.say("PASS bobpass\r\n");
    expect(await d.expect(/\r\n/)).toMatch(/^-ERR send USER first/);
  });

  it("with requireTls, leaves USER out of CAPA and refuses USER and PASS in the clear; over TLS they work", async () => {
    const d = await open(await pop3({ certificate, requireTls: true }));
    await d.expect(/^\+OK .*\r\n/);
    d.say("CAPA\r\n");
    expect(await d.expect(/^\.\r\n/m)).not.toMatch(/^USER/m);
    d.say("USER bob\r\n");
    expect(await d.expect(/\r\n/)).toMatch(/^-ERR USER needs TLS first/);
    d.say("PASS bobpass\r\n");
    expect(await d.expect(/\r\n/)).toMatch(/^-ERR PASS needs TLS first/);
    d.say("STLS\r\n");
    await d.expect(/^\+OK .*\r\n/);
    await d.startTls(certificate.cert);
    d.say("USER bob\r\nPASS bobpass\r\n");
    expect(await d.expect(/^\+OK .*maildrop.*\r\n/m)).toBeTruthy();
  });

  it("a server without a certificate does not offer it, and answers STLS with -ERR", async () => {
    const d = await open(await pop3({}));
    await d.expect(/^\+OK .*\r\n/);
    d.say("CAPA\r\n");
    expect(await d.expect(/^\.\r\n/m)).not.toMatch(/STLS/);
    d.say("STLS\r\n");
    expect(await d.expect(/\r\n/)).toMatch(/^-ERR STLS is not offered/);
  });
});

describe("applayer mail-server", () => {
  it("offers STARTTLS on IMAP and STLS on POP3, with the certificate its SMTP uses; passwords still work in the clear", async () => {
    const mail = await startMailServer({ domain: "umass.edu", dataDir: mkdtempSync(join(tmpdir(), "applayer-starttls-ms-")), users: ["bob:bobpass"], imapPort: 0, pop3Port: 0 });
    servers.push(mail);
    const own = await selfSignedCertificate("mail.umass.edu");
    const i = await open(mail.imap!);
    expect(await i.expect(/\r\n/)).toMatch(/\bSTARTTLS\b/);
    i.say("a STARTTLS\r\n");
    await i.expect(/^a OK .*\r\n/m);
    await i.startTls(own.cert);
    i.say("b LOGIN bob bobpass\r\n");
    expect(await i.expect(/^b .*\r\n/m)).toMatch(/^b OK/m);
    const p = await open(mail.pop3!);
    await p.expect(/^\+OK .*\r\n/);
    p.say("CAPA\r\n");
    expect(await p.expect(/^\.\r\n/m)).toMatch(/^STLS\r\n/m);
    p.say("USER bob\r\nPASS bobpass\r\n");
    expect(await p.expect(/^\+OK .*maildrop.*\r\n/m)).toBeTruthy();
  });
});
