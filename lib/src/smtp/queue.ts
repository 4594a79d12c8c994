import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { isAppLayerError } from "../errors";
import { Address, formatAddress } from "../net/address";
import { Closable } from "../net/lifecycle";
import { writeSynced } from "../mailstore/durable";
import { sendMail } from "./client";
import { MAX_QUEUE_AGE_MS, QUEUE_SCAN_MS, RETRY_BASE_MS, RETRY_MAX_MS } from "./limits";

/** One queued message: who still has to get it, and how delivery has gone so far. */
export interface QueueEntry {
  id: string;
  from: string;
  to: string[];
  queuedAt: number;
  attempts: number;
  nextAttempt: number;
  lastError?: string;
}

/** What happened to one recipient in one delivery attempt, for logs and lessons. */
export interface DeliveryEvent {
  id: string;
  to: string;
  outcome: "delivered" | "deferred" | "bounced";
  detail: string;
  at: number;
}

/** Finds the mail servers of a domain, most preferred first. */
export type MxLookup = (domain: string) => Promise<Address[]>;

/** An MX table from the CLI's `--mx DOMAIN=HOST:PORT` options. */
export function staticMx(table: Record<string, Address>): MxLookup {
  return async (domain) => (table[domain.toLowerCase()] ? [table[domain.toLowerCase()]] : []);
}

/** Writes a file durably: tmp name, fsync, rename. */
async function writeDurably(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeSynced(tmp, data, "w");
  await fs.rename(tmp, path);
}

/**
 * A mail server's outgoing queue, kept on disk: a message waits here between the
 * 250 to its submitter and the 250 from the recipient's server. Each attempt
 * looks up the recipients' mail servers and hands the message over by SMTP.
 * Failures are handled by kind: a 4xx or a dead server means try again later
 * (waits double each time); a 5xx — or a message too old — means give up and
 * bounce a delivery-status notice to the sender. Entries survive a restart.
 *
 * @example
 * const queue = await OutgoingQueue.open({ dir: "/tmp/cs/queue", hostname: "mail.cs.umass.edu", mx: staticMx({ "umass.edu": bob }) });
 * await queue.enqueue("alice@cs.umass.edu", ["bob@umass.edu"], message);
 */
export class OutgoingQueue implements Closable {
  readonly events: DeliveryEvent[] = [];
  private readonly entries = new Map<string, QueueEntry>();
  private readonly watchers: Array<{ match: (e: DeliveryEvent) => boolean; resolve: (e: DeliveryEvent) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  private constructor(private readonly options: { dir: string; hostname: string; mx: MxLookup; now?: () => number; onEvent?: (e: DeliveryEvent) => void }) {}

  /** Opens (or creates) the queue directory and loads what a previous run left in it. */
  static async open(options: { dir: string; hostname: string; mx: MxLookup; now?: () => number; onEvent?: (e: DeliveryEvent) => void; autoRun?: boolean }): Promise<OutgoingQueue> {
    const q = new OutgoingQueue(options);
    await fs.mkdir(options.dir, { recursive: true });
    for (const f of await fs.readdir(options.dir)) {
      if (!f.endsWith(".json")) continue;
      const entry = JSON.parse(await fs.readFile(join(options.dir, f), "utf8")) as QueueEntry;
      q.entries.set(entry.id, entry);
    }
    if (options.autoRun ?? true) {
      q.timer = setInterval(() => void q.runDue(), QUEUE_SCAN_MS);
      q.timer.unref();
    }
    return q;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Messages waiting, in order of queueing. */
  get waiting(): QueueEntry[] {
    return [...this.entries.values()].sort((a, b) => a.queuedAt - b.queuedAt);
  }

  /** Adds a message; when this resolves it is on disk (safe to answer 250), and delivery has started. */
  async enqueue(from: string, to: string[], message: Uint8Array): Promise<string> {
    const id = `${this.now().toString(36)}${randomBytes(4).toString("hex")}`;
    const entry: QueueEntry = { id, from, to: [...to], queuedAt: this.now(), attempts: 0, nextAttempt: this.now() };
    await writeDurably(join(this.options.dir, `${id}.eml`), message);
    await writeDurably(join(this.options.dir, `${id}.json`), JSON.stringify(entry));
    this.entries.set(id, entry);
    void this.runDue();
    return id;
  }

  /** Tries every entry whose time has come (one run at a time). */
  runDue(): Promise<void> {
    return (this.running ??= this.attemptDue().finally(() => (this.running = undefined)));
  }

  private async attemptDue(): Promise<void> {
    for (const entry of this.waiting.filter((e) => e.nextAttempt <= this.now())) await this.attempt(entry);
  }

  private event(id: string, to: string, outcome: DeliveryEvent["outcome"], detail: string): void {
    const e = { id, to, outcome, detail, at: this.now() };
    this.events.push(e);
    this.options.onEvent?.(e);
    for (const w of this.watchers.filter((w) => w.match(e))) {
      this.watchers.splice(this.watchers.indexOf(w), 1);
      w.resolve(e);
    }
  }

  /**
   * The first event that `match` accepts: one already recorded, or the next one to come.
   * An event is recorded once the attempt knows its outcome — for "delivered", after the
   * recipient's server answered 250 to the message — so waiting for it is how a lesson or
   * a test knows a delivery is over (Bob's mailbox may hold the message a moment earlier).
   *
   * @example await queue.whenEvent((e) => e.to === "bob@umass.edu" && e.outcome === "delivered");
   */
  whenEvent(match: (e: DeliveryEvent) => boolean = () => true): Promise<DeliveryEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.watchers.push({ match, resolve }));
  }

  private async attempt(entry: QueueEntry): Promise<void> {
    const message = await fs.readFile(join(this.options.dir, `${entry.id}.eml`));
    entry.attempts++;
    const byDomain = new Map<string, string[]>();
    for (const r of entry.to) byDomain.set(r.split("@")[1].toLowerCase(), [...(byDomain.get(r.split("@")[1].toLowerCase()) ?? []), r]);
    const remaining: string[] = [];
    const bounced: Array<{ to: string; why: string }> = [];
    for (const [domain, rcpts] of byDomain) {
      const servers = await this.options.mx(domain).catch(() => []);
      if (!servers.length) {
        rcpts.forEach((to) => (bounced.push({ to, why: `no mail server found for ${domain}` }), this.event(entry.id, to, "bounced", "no MX")));
        continue;
      }
      let outcome: { refused: Array<{ to: string; code: number; text: string }> } | undefined;
      let transient = "";
      for (const server of servers) {
        try {
          const r = await sendMail({ server, from: entry.from, to: rcpts, message, helo: this.options.hostname, timeoutMs: 10_000 });
          outcome = { refused: r.refused.map((x) => ({ to: x.to, code: x.reply.code, text: x.reply.lines.join(" ") })) };
          break;
        } catch (e) {
          const code = isAppLayerError(e, "SMTP_REPLY") ? Number(e.detail.reply) : 0;
          if (code >= 500) {
            // Permanent: the server said no (to MAIL, to every RCPT, or to the message itself).
            outcome = { refused: rcpts.map((to) => ({ to, code, text: (e as Error).message })) };
            break;
          }
          transient = `${formatAddress(server)}: ${(e as Error).message}`; // 4xx or no connection: try the next MX, then later
        }
      }
      if (!outcome) {
        remaining.push(...rcpts);
        entry.lastError = transient;
        rcpts.forEach((to) => this.event(entry.id, to, "deferred", transient));
        continue;
      }
      for (const to of rcpts) {
        const refused = outcome.refused.find((x) => x.to === to);
        if (!refused) this.event(entry.id, to, "delivered", `to ${domain}'s mail server`);
        else if (refused.code >= 500) (bounced.push({ to, why: `${refused.code} ${refused.text}` }), this.event(entry.id, to, "bounced", `${refused.code}`));
        else (remaining.push(to), this.event(entry.id, to, "deferred", `${refused.code} ${refused.text}`));
      }
    }
    if (remaining.length && this.now() - entry.queuedAt > MAX_QUEUE_AGE_MS) {
      for (const to of remaining.splice(0)) bounced.push({ to, why: `could not deliver for ${Math.round(MAX_QUEUE_AGE_MS / 86_400_000)} days: ${entry.lastError ?? ""}` });
    }
    if (bounced.length && entry.from) await this.bounce(entry, bounced, message);
    if (remaining.length) {
      entry.to = remaining;
      entry.nextAttempt = this.now() + Math.min(RETRY_BASE_MS * 2 ** (entry.attempts - 1), RETRY_MAX_MS);
      await writeDurably(join(this.options.dir, `${entry.id}.json`), JSON.stringify(entry));
    } else {
      this.entries.delete(entry.id);
      await fs.rm(join(this.options.dir, `${entry.id}.json`), { force: true });
      await fs.rm(join(this.options.dir, `${entry.id}.eml`), { force: true });
    }
  }

  /** A delivery-status notice to the sender, from the null sender (so it can never bounce in turn). */
  private async bounce(entry: QueueEntry, failed: Array<{ to: string; why: string }>, original: Buffer): Promise<void> {
    const headers = original.subarray(0, Math.max(0, original.indexOf("\r\n\r\n"))).toString("latin1");
    const text = [
      `From: Mail Delivery System <MAILER-DAEMON@${this.options.hostname}>`,
      `To: ${entry.from}`,
      "Subject: Undelivered Mail Returned to Sender",
      `Date: ${new Date(this.now()).toUTCString().replace("GMT", "+0000")}`,
      "",
      `This is ${this.options.hostname}. Your message could not be delivered to:`,
      "",
      ...failed.map((f) => `  <${f.to}>: ${f.why}`),
      "",
      "The header of your message was:",
      "",
      headers,
      "",
    ].join("\r\n");
    await this.enqueue("", [entry.from], Buffer.from(text, "latin1"));
  }

  close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return this.running ?? Promise.resolve();
  }
}
