/**
 * The webmail sends: a browser posts the compose form over HTTP, the webmail submits
 * the message over SMTP (STARTTLS, AUTH, then the envelope), and the message reaches
 * the recipient's mailbox on another domain's server. The webmail's trace records
 * both of its sides, HTTP and SMTP, under one lifeline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MailServer, startMailServer } from "../../lib/src/mail/mail-server";
import { Webmail, serveWebmail } from "../../lib/src/mail/webmail";
import { WebmailBrowser } from "../../lib/src/mail/webmail-browser";
import { staticMx } from "../../lib/src/smtp/queue";
import { Trace } from "../../lib/src/lab/trace";
import { isAppLayerError } from "../../lib/src/errors";

const tmp = (what: string) => mkdtempSync(join(tmpdir(), `applayer-${what}-`));
let bob: MailServer;
let alice: MailServer;
let web: Webmail;
const trace = new Trace();
const url = () => `http://127.0.0.1:${web.address.port}`;

beforeAll(async () => {
  bob = await startMailServer({ domain: "umass.edu", dataDir: tmp("umass"), users: ["bob:bobpass"] });
  alice = await startMailServer({ domain: "cs.umass.edu", dataDir: tmp("cs"), users: ["alice:alicepass"], submissionPort: 0, imapPort: 0, mx: staticMx({ "umass.edu": bob.smtp.address }) });
  web = await serveWebmail({ port: 0, domain: "cs.umass.edu", imap: alice.imap!.address, submission: alice.submission!.address, trace });
});
afterAll(async () => {
  await web?.close();
  await alice?.close();
  await bob?.close();
});

describe("the webmail's compose form", () => {
  it("is submitted over SMTP, and the message lands in the recipient's mailbox on the other domain", async () => {
    const browser = await WebmailBrowser.login(url(), "alice", "alicepass");
    expect(await browser.compose({ to: "bob@umass.edu", subject: "Sent from the web", body: "Hi Bob" })).toEqual({ status: 303, location: "/inbox?sent=1" });
    await alice.queue.whenEvent((e) => e.to === "bob@umass.edu" && e.outcome === "delivered");
    const [name] = await bob.mailboxes.list("bob");
    const message = (await bob.mailboxes.read("bob", name)).toString("latin1");
    expect(message).toMatch(/^Subject: Sent from the web\r$/m);
    expect(message).toMatch(/^From: alice@cs\.umass\.edu\r$/m);
  });

  it("is traced on both sides of the webmail: the browser's requests, then the SMTP dialogue it held to submit", () => {
    const lines = trace.entries.map((e) => `${e.from.replace(/ [\d.:]+$/, "")} > ${e.to.replace(/ [\d.:]+$/, "")}: ${e.label}`);
    const at = (line: string) => lines.findIndex((l) => l.startsWith(line));
    const order = ["browser > webmail: POST /send", "webmail > server: STARTTLS", "webmail > server: AUTH PLAIN", "webmail > server: MAIL FROM:<alice@cs.umass.edu>", "webmail > server: RCPT TO:<bob@umass.edu>", "webmail > server: QUIT", "webmail > browser: 303 See Other → /inbox?sent=1"].map(at);
    expect(order.every((i) => i >= 0), lines.join("\n")).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The login and the compose page are HTTP too; the webmail's IMAP reads are not recorded.
    expect(lines).toContain("browser > webmail: GET /compose");
    expect(lines.some((l) => /LOGIN|SELECT/.test(l))).toBe(false);
  });

  it("a wrong password is refused at login, as WEBMAIL with the status", async () => {
    const e = await WebmailBrowser.login(url(), "alice", "nope").catch((x) => x);
    expect([isAppLayerError(e, "WEBMAIL"), e.detail?.status]).toEqual([true, 401]);
  });
});
