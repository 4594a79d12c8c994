/**
 * `npm run bench:mail`: messages per second accepted *durably* (each on disk before
 * its 250), all driven by Postfix's smtp-source in the same run:
 *   - the lib's mail server (fsync + rename into a Maildir for every message);
 *   - smtp-server (npm) storing with the same Maildir code, so only the SMTP layer differs;
 *   - Postfix accepting and delivering into Maildir (the shared recipe), timed until delivered.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMailServer } from "../lib/src/mail/mail-server";
import { Maildir } from "../lib/src/mail/maildir";

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

  const oursDir = mkdtempSync(join(tmpdir(), "applayer-bench-mail-"));
  const ours = await startMailServer({ domain: "umass.edu", dataDir: oursDir, users: ["bob:bobpass"] });
  const oursMs = await blast(ours.smtp.address.port);
  if (count(join(oursDir, "bob", "new")) !== MESSAGES) throw new Error("the lib's server lost messages");
  await ours.close();

  const npmDir = mkdtempSync(join(tmpdir(), "applayer-bench-smtp-server-"));
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
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
