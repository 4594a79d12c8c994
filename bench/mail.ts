/**
 * `npm run bench:mail`: messages per second accepted *durably* (each on disk before
 * its 250), all driven by Postfix's smtp-source in the same run:
 *   - the lib's mail server (fsync + rename into a Maildir for every message);
 *   - smtp-server (npm) storing with the same Maildir code, so only the SMTP layer differs;
 *   - Postfix accepting and delivering into Maildir (the shared recipe), timed until delivered.
 * Then the time to FETCH the headers of a 10,000-message mailbox over IMAP, from the
 * lib's server and from Dovecot holding the same Maildir files, read by the same client.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startMailServer } from "../lib/src/mail/mail-server";
import { Maildir } from "../lib/src/mailstore/maildir";
import { composeMessage } from "../lib/src/message/message";
import { ImapClient } from "../lib/src/imap/client";
import { serveImap } from "../lib/src/imap/server";
import { startDovecot } from "../test/interop/dovecot";
import { scratchDir } from "../lib/src/lab/scratch";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SMTPServer } = require("smtp-server");

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const SESSIONS = 10;
const SHARED = join(__dirname, "..", "..", "shared", "peers", "mail");

const sh = (cmd: string, args: string[]) => new Promise<string>((resolve, reject) => execFile(cmd, args, { maxBuffer: 1 << 24 }, (e, out, err) => (e ? reject(new Error(`${cmd}: ${e.message}\n${err}`)) : resolve(out))));
const count = (dir: string) => { try { return readdirSync(dir).length; } catch { return 0; } };

/** smtp-source: MESSAGES 1 KiB messages over SESSIONS parallel sessions, connections reused (-d). */
async function blast(port: number): Promise<number> {
  const t = performance.now();
  await sh("smtp-source", ["-d", "-l", "1024", "-m", String(MESSAGES), "-s", String(SESSIONS), "-f", "alice@cs.umass.edu", "-t", "bob@umass.edu", "-M", "client.cs.umass.edu", `127.0.0.1:${port}`]);
  return performance.now() - t;
}
const row = (name: string, ms: number, base?: number) =>
  console.log(`   ${name.padEnd(52)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${Math.round(MESSAGES / (ms / 1000)).toLocaleString("en-US").padStart(7)} msg/s${base ? `   ${(base / ms).toFixed(2)}× Postfix` : ""}`);

async function main(): Promise<void> {
  console.log(`applayer mail benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  console.log(`\n1. SMTP: ${MESSAGES} messages of 1 KiB, ${SESSIONS} parallel sessions (smtp-source -d), each message on disk before 250`);

  const oursDir = scratchDir("applayer-bench-mail");
  const ours = await startMailServer({ domain: "umass.edu", dataDir: oursDir, users: ["bob:bobpass"] });
  const oursMs = await blast(ours.smtp.address.port);
  if (count(join(oursDir, "bob", "new")) !== MESSAGES) throw new Error("the lib's server lost messages");
  await ours.close();

  const npmDir = scratchDir("applayer-bench-smtp-server");
  const boxes = new Maildir(npmDir);
  const npm = new SMTPServer({
    authOptional: true, disabledCommands: ["STARTTLS"], logger: false,
    onData(stream: NodeJS.ReadableStream, _session: unknown, done: (e?: Error) => void) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => boxes.deliver("bob", Buffer.concat(chunks)).then(() => done(), done));
    },
  });
  await new Promise<void>((r) => npm.listen(0, "127.0.0.1", r));
  const npmMs = await blast(npm.server.address().port);
  await new Promise((r) => npm.close(r));

  await sh("bash", [join(SHARED, "stop.sh")]).catch(() => "");
  await sh("bash", [join(SHARED, "start.sh")]);
  const vmail = "/tmp/peers-mail/vmail/umass.edu/bob/Maildir/new";
  const before = count(vmail);
  const t = performance.now();
  await blast(2527);
  const postfixAccepted = performance.now() - t;
  while (count(vmail) - before < MESSAGES) await new Promise((r) => setTimeout(r, 10));
  const postfixMs = performance.now() - t;
  await sh("bash", [join(SHARED, "stop.sh")]);

  row("Postfix 3.7 → Maildir (accepted and delivered)", postfixMs);
  row("Postfix 3.7 (accepted only, smtp-source's view)", postfixAccepted);
  row("applayer mail-server (fsync + rename per message)", oursMs, postfixMs);
  row("smtp-server 3.21 (npm) + the same Maildir code", npmMs, postfixMs);

  await imapHeaders();
}

const MAILBOX = Number(process.env.BENCH_MAILBOX ?? 10_000);

/** Writes MAILBOX messages (about 1 KiB each) straight into a Maildir's new/. */
function fillMaildir(dir: string): void {
  for (const d of ["tmp", "new", "cur"]) mkdirSync(join(dir, d), { recursive: true });
  const body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n".repeat(12);
  for (let i = 0; i < MAILBOX; i++) {
    const m = composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject: `message ${i}`, text: body, date: new Date(Date.UTC(2026, 0, 1) + i * 60_000) });
    writeFileSync(join(dir, "new", `${1_700_000_000 + i}.M${i}P1.bench`), m);
  }
}

/** Connects, logs in, selects, and times FETCH 1:* (UID FLAGS BODY.PEEK[HEADER]); returns ms for [first session, second session]. */
async function fetchHeaders(server: { host: string; port: number }, user: string): Promise<number[]> {
  const times: number[] = [];
  for (const _ of [1, 2]) {
    const t = performance.now();
    const c = await ImapClient.connect({ server, timeoutMs: 120_000 });
    await c.login(user, "bobpass");
    await c.select("INBOX");
    const got = await c.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER])");
    await c.logout();
    times.push(performance.now() - t);
    if (got.length !== MAILBOX) throw new Error(`${user}: fetched ${got.length} of ${MAILBOX} headers`);
  }
  return times;
}

async function imapHeaders(): Promise<void> {
  console.log(`\n2. IMAP: log in, SELECT, FETCH 1:* (UID FLAGS BODY.PEEK[HEADER]) of a ${MAILBOX.toLocaleString("en-US")}-message mailbox, the lib's client against both`);
  const oursDir = scratchDir("applayer-bench-imap");
  fillMaildir(join(oursDir, "bob"));
  const mailboxes = new Maildir(oursDir);
  const ours = await serveImap({ port: 0, access: { hostname: "mail.umass.edu", mailboxes, checkPassword: async (u, p) => u === "bob" && p === "bobpass" } });
  const oursMs = await fetchHeaders(ours.address, "bob");
  await ours.close();

  const dovecot = await startDovecot(["bob@umass.edu:bobpass"]);
  const box = dovecot.maildir("bob", "umass.edu");
  fillMaildir(box);
  await sh("chown", ["-R", "5000:5000", join(box, "..", "..")]); // Dovecot's mail processes run as uid 5000
  const dovecotMs = await fetchHeaders(dovecot.imap, "bob@umass.edu");
  await dovecot.stop();

  const line = (name: string, ms: number[], base?: number[]) =>
    console.log(`   ${name.padEnd(40)} first session ${(ms[0] / 1000).toFixed(2).padStart(5)} s   second ${(ms[1] / 1000).toFixed(2).padStart(5)} s${base ? `   (${(base[0] / ms[0]).toFixed(2)}× / ${(base[1] / ms[1]).toFixed(2)}× Dovecot's speed)` : ""}`);
  line("Dovecot 2.3 (builds its index first)", dovecotMs);
  line("applayer IMAP server", oursMs, dovecotMs);
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
