import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { startMailServer } from "../../lib/src/mail/mail-server";
import { dnsMx } from "../../lib/src/mail/mx";
import { sendMail } from "../../lib/src/smtp/client";
import { DeliveryEvent, OutgoingQueue, staticMx } from "../../lib/src/smtp/queue";
import { startWorld } from "../../lib/src/dns/world/textbook";
import { composeMessage } from "../../lib/src/message/message";
import { isAppLayerError } from "../../lib/src/errors";
import { ImapClient } from "../../lib/src/imap/client";
import { Pop3Client } from "../../lib/src/pop3/client";
import { LOGIN_LOCKOUT_MS, MAX_LOGIN_FAILURES_PER_CLIENT, MAX_LOGIN_FAILURES_PER_USER } from "../../lib/src/mailstore/limits";

const tmp = (what: string) => mkdtempSync(join(tmpdir(), `applayer-${what}-`));
const alice = { user: "alice", password: "alicepass" };
const delivered = (to: string) => (e: DeliveryEvent) => e.to === to && e.outcome === "delivered";
const freePort = async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
};

describe("Alice → Bob across two mail servers", () => {
  it("submits with AUTH to her server, whose queue finds Bob's server by DNS MX and delivers", async () => {
    const world = await startWorld({ port: 0 });
    const smtpPort = await freePort();
    // Bob's server listens where the world's MX record for umass.edu points: mail.umass.edu = 127.53.10.25.
    const umass = await startMailServer({ domain: "umass.edu", dataDir: tmp("umass"), users: ["bob:bobpass"], host: "127.53.10.25", smtpPort });
    const events: string[] = [];
    const cs = await startMailServer({
      domain: "cs.umass.edu", dataDir: tmp("cs"), users: ["alice:alicepass"], submissionPort: 0,
      mx: dnsMx(world.resolver.address, smtpPort), onDelivery: (e) => events.push(`${e.to} ${e.outcome}`),
    });
    const message = composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject: "via the queue", body: "Hi Bob" });
    const r = await sendMail({ server: cs.submission!.address, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message, auth: alice });
    expect(r.reply.code).toBe(250);
    // The event comes once Alice's queue has read Bob's server's 250; Bob's mailbox holds the message a little earlier.
    await cs.queue.whenEvent(delivered("bob@umass.edu"));
    expect((await umass.mailboxes.list("bob")).length).toBe(1);
    const got = String(await umass.mailboxes.read("bob", (await umass.mailboxes.list("bob"))[0]));
    expect(got.match(/^Received: from /gm)!.length).toBe(2); // one line per hop: submission, then relay
    expect(events).toEqual(["bob@umass.edu delivered"]);
    expect(cs.queue.waiting).toEqual([]);
    await Promise.all([cs.close(), umass.close(), world.close()]);
  });

  it("refuses MAIL on the submission port before AUTH", async () => {
    const cs = await startMailServer({ domain: "cs.umass.edu", dataDir: tmp("cs"), users: ["alice:alicepass"], submissionPort: 0 });
    const e = await sendMail({ server: cs.submission!.address, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: "x" }).catch((x) => x);
    expect([isAppLayerError(e, "SMTP_REPLY"), e.detail.reply]).toEqual([true, 530]);
    const wrong = await sendMail({ server: cs.submission!.address, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: "x", auth: { user: "alice", password: "nope" } }).catch((x) => x);
    expect(wrong.detail.reply).toBe(535);
    await cs.close();
  });

  it("bounces a 5xx back to the sender's mailbox", async () => {
    const umass = await startMailServer({ domain: "umass.edu", dataDir: tmp("umass"), users: ["bob:bobpass"] });
    const cs = await startMailServer({ domain: "cs.umass.edu", dataDir: tmp("cs"), users: ["alice:alicepass"], submissionPort: 0, mx: staticMx({ "umass.edu": umass.smtp.address }) });
    await sendMail({ server: cs.submission!.address, from: "alice@cs.umass.edu", to: ["nobody@umass.edu"], message: "Subject: lost\r\n\r\nx\r\n", auth: alice });
    // The bounce goes through the queue too (to Alice's own server): its delivery event comes after the 250.
    await cs.queue.whenEvent(delivered("alice@cs.umass.edu"));
    expect((await cs.mailboxes.list("alice")).length).toBe(1);
    const bounce = String(await cs.mailboxes.read("alice", (await cs.mailboxes.list("alice"))[0]));
    expect(bounce).toMatch(/Subject: Undelivered Mail Returned to Sender/);
    expect(bounce).toMatch(/<nobody@umass\.edu>: 550 /);
    expect(bounce).toMatch(/Subject: lost/); // the original header, for the sender to recognise
    await Promise.all([cs.close(), umass.close()]);
  });
});

describe("the outgoing queue", () => {
  it("defers while Bob's server is down, survives a restart, and delivers once it is up", async () => {
    const dir = tmp("queue");
    const port = await freePort();
    let now = 1_000_000;
    const opts = { dir, hostname: "mail.cs.umass.edu", mx: staticMx({ "umass.edu": { host: "127.0.0.1", port } }), now: () => now, autoRun: false };
    const first = await OutgoingQueue.open(opts);
    await first.enqueue("alice@cs.umass.edu", ["bob@umass.edu"], Buffer.from("Subject: patient\r\n\r\nx\r\n"));
    await first.runDue();
    expect(first.events.map((e) => e.outcome)).toEqual(["deferred"]);
    const [entry] = first.waiting;
    expect([entry.attempts, entry.nextAttempt - now]).toEqual([1, 5000]); // the first retry waits RETRY_BASE_MS
    await first.close();

    const second = await OutgoingQueue.open(opts); // a restart: the entry is read back from disk
    expect(second.waiting.map((e) => e.id)).toEqual([entry.id]);
    const umass = await startMailServer({ domain: "umass.edu", dataDir: tmp("umass"), users: ["bob:bobpass"], smtpPort: port });
    await second.runDue();
    expect(second.events).toEqual([]); // not due yet
    now += 5000;
    await second.runDue();
    expect(second.events.map((e) => e.outcome)).toEqual(["delivered"]);
    expect(second.waiting).toEqual([]);
    expect((await umass.mailboxes.list("bob")).length).toBe(1);
    await Promise.all([second.close(), umass.close()]);
  });
});

describe("one login throttle for IMAP, POP3 and SMTP AUTH", () => {
  type Outcome = "in" | "wrong" | "locked";
  /** Logs in with `client`, then closes it; `reasons` tells a wrong password from a lockout by the reply's text. */
  async function attempt(client: { login(u: string, p: string): Promise<unknown>; close(): Promise<void> }, user: string, password: string, reasons: { wrong: RegExp; locked: RegExp }): Promise<Outcome> {
    try {
      return await client.login(user, password).then(
        () => "in" as const,
        (e) => (reasons.wrong.test(String(e.detail?.text)) ? "wrong" : reasons.locked.test(String(e.detail?.text)) ? "locked" : Promise.reject(e)),
      );
    } finally {
      await client.close();
    }
  }
  /** A login over each protocol, and how it went. */
  function logins(server: Awaited<ReturnType<typeof startMailServer>>) {
    return {
      imap: async (user: string, password: string) => attempt(await ImapClient.connect({ server: server.imap!.address }), user, password, { wrong: /^\[AUTHENTICATIONFAILED\]/, locked: /^\[LIMIT\] too many failed logins/ }),
      pop3: async (user: string, password: string) => attempt(await Pop3Client.connect({ server: server.pop3!.address }), user, password, { wrong: /^\[AUTH\]/, locked: /^\[SYS\/TEMP\] too many failed logins/ }),
      smtp: (user: string, password: string): Promise<Outcome> =>
        sendMail({ server: server.submission!.address, from: `${user}@umass.edu`, to: ["bob@umass.edu"], message: "Subject: t\r\n\r\nx\r\n", auth: { user, password } })
          .then(() => "in" as const, (e) => (e.detail?.reply === 535 ? "wrong" : e.detail?.reply === 454 && e.detail.enhanced === "4.7.0" ? "locked" : Promise.reject(e))),
    };
  }

  it(`locks a user out after ${MAX_LOGIN_FAILURES_PER_USER} failures counted across the protocols, right password or not, until LOGIN_LOCKOUT_MS has passed`, async () => {
    let now = 5_000_000;
    const umass = await startMailServer({ domain: "umass.edu", dataDir: tmp("umass"), users: ["bob:bobpass"], imapPort: 0, pop3Port: 0, submissionPort: 0, now: () => now });
    const via = logins(umass);
    const tries = [via.imap, via.pop3, via.smtp];
    // Wrong passwords are also slowed down (FAILED_LOGIN_DELAY_MS, doubling): these take a few seconds.
    // (The cap itself, one failure less still getting in, is tested with the webmail's form, which uses the same LoginThrottle.)
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_USER; i++) expect(await tries[i % 3]("bob", "guess")).toBe("wrong");
    // Each protocol says "try later" in its own words: IMAP NO [LIMIT], POP3 -ERR [SYS/TEMP], SMTP 454 4.7.0.
    expect([await via.imap("bob", "bobpass"), await via.pop3("bob", "bobpass"), await via.smtp("bob", "bobpass")]).toEqual(["locked", "locked", "locked"]);
    now += LOGIN_LOCKOUT_MS;
    expect(await via.imap("bob", "bobpass")).toBe("in");
    await umass.close();
  }, 30_000);

  it(`locks a client address out after ${MAX_LOGIN_FAILURES_PER_CLIENT} failures for any users, and only that address`, async () => {
    const umass = await startMailServer({ domain: "umass.edu", dataDir: tmp("umass"), users: ["bob:bobpass"], imapPort: 0, pop3Port: 0, submissionPort: 0 });
    const via = logins(umass);
    const tries = [via.imap, via.pop3, via.smtp];
    // A different user each time: no user's own count (or delay) grows, only 127.0.0.1's.
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_CLIENT - 1; i++) expect(await tries[i % 3](`guess${i}`, "x")).toBe("wrong");
    expect(await via.smtp("bob", "bobpass")).toBe("in"); // at the cap; a success does not clear the address's count
    expect(await via.imap("guess-last", "x")).toBe("wrong");
    expect(await via.pop3("bob", "bobpass")).toBe("locked");
    const elsewhere = await umass.users.check("bob", "bobpass", "127.0.0.2"); // another client is not locked
    const here = await umass.users.check("bob", "bobpass", "127.0.0.1").catch((e) => e);
    expect([elsewhere, isAppLayerError(here, "LOGIN_THROTTLED")]).toEqual([true, true]);
    await umass.close();
  }, 30_000);
});
