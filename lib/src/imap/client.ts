import { AppLayerError } from "../errors";
import { Address } from "../net/address";
import { Channel } from "../net/channel";
import { safeArgument } from "../net/framing";
import { CallOptions, Closable, withDeadline } from "../net/lifecycle";
import { Trace, preview } from "../lab/trace";
import { ImapFramer, ImapValue, tokenize } from "./syntax";

/**
 * A string argument as IMAP's astring (RFC 9051 §9): a quoted string when it is short
 * printable ASCII, otherwise a Buffer, which the client sends as a literal — so a CR,
 * LF or any other byte in a user name, password or folder name is carried as data,
 * never as the end of the command.
 */
function astring(value: string): string | Buffer {
  return /^[\x20-\x7e]*$/.test(value) && value.length < 1000 ? `"${value.replace(/(["\\])/g, "\\$1")}"` : Buffer.from(value, "utf8");
}

/** A tagged completion with the untagged responses that came before it. */
export interface ImapResult {
  status: "OK" | "NO" | "BAD";
  text: string;
  /** Untagged responses, tokenized: `* 3 EXISTS` → ["3", "EXISTS"]. */
  untagged: ImapValue[][];
}

/** One message's FETCH response: its sequence number and the data items by name. */
export interface FetchResult {
  seq: number;
  items: Record<string, ImapValue>;
}

/**
 * An IMAP client (RFC 9051 subset) on one TCP connection: one command at a time,
 * each with a fresh tag (a1, a2 …), its untagged responses gathered until the
 * tagged completion. Literals go out with LITERAL+ when the server offers it, or
 * after the server's "+" otherwise.
 *
 * @example
 * const imap = await ImapClient.connect({ server });
 * await imap.login("bob", "bobpass");
 * const box = await imap.select("INBOX");
 * const msgs = await imap.fetch("1:*", "(UID FLAGS ENVELOPE)");
 * await imap.logout();
 */
export class ImapClient implements Closable {
  readonly capabilities = new Set<string>();
  private channel!: Channel;
  private readonly framer = new ImapFramer(1 << 20, 1 << 30);
  private tagCount = 0;
  private current: { tag: string; untagged: ImapValue[][]; resolve: (r: ImapResult) => void; reject: (e: Error) => void; onContinue?: () => void } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private ended: Error | undefined;
  private greeted: ((line: string) => void) | undefined;
  /** Called with each untagged response that arrives while IDLE. */
  private idleListener: ((r: ImapValue[]) => void) | undefined;
  private me = "client";
  private readonly them: string;

  private constructor(private readonly options: CallOptions & { server: Address; trace?: Trace }) {
    this.them = `IMAP server ${options.server.host}:${options.server.port}`;
  }

  static async connect(options: CallOptions & { server: Address; trace?: Trace }): Promise<ImapClient> {
    const client = new ImapClient(options);
    const greeting = new Promise<string>((resolve) => (client.greeted = resolve));
    client.channel = await Channel.connect("IMAP", options, (b) => client.receive(b), (e) => client.fail(e));
    client.me = `client ${client.channel.local}`;
    const line = await withDeadline("IMAP greeting", { timeoutMs: 5000, ...options }, () => greeting);
    if (!/^\* (OK|PREAUTH)/i.test(line)) throw new AppLayerError("IMAP_PROTOCOL", `the server did not greet with * OK: ${line.slice(0, 80)}`);
    const caps = /\[CAPABILITY ([^\]]*)\]/i.exec(line);
    if (caps) client.setCapabilities(caps[1]);
    else await client.command("CAPABILITY");
    return client;
  }

  /** Bytes moved so far, each way. */
  get bytes(): { sent: number; received: number } {
    return { sent: this.channel.bytesOut, received: this.channel.bytesIn };
  }

  private setCapabilities(text: string): void {
    this.capabilities.clear();
    for (const c of text.trim().split(/\s+/)) this.capabilities.add(c.toUpperCase());
  }

  private receive(chunk: Buffer): void {
    for (const event of this.framer.push(chunk)) {
      if (event.kind !== "line") continue; // literals in responses need no "+"
      this.options.trace?.record(this.them, this.me, preview(event.text.replace(/\u0000\d+/g, (m) => `{${event.literals[Number(m.slice(1))].length} bytes}`), 70));
      if (this.greeted) {
        const g = this.greeted;
        this.greeted = undefined;
        g(event.text);
        continue;
      }
      if (event.text.startsWith("+")) {
        this.current?.onContinue?.();
        continue;
      }
      let tokens: ImapValue[];
      try {
        tokens = tokenize(event.text, event.literals);
      } catch (e) {
        this.fail(new AppLayerError("IMAP_PROTOCOL", `the server sent a malformed response: ${(e as Error).message}`));
        return;
      }
      if (tokens[0] === "*") {
        const rest = tokens.slice(1);
        if (typeof rest[0] === "string" && rest[0].toUpperCase() === "CAPABILITY") this.setCapabilities(rest.slice(1).join(" "));
        this.current?.untagged.push(rest);
        this.idleListener?.(rest);
        continue;
      }
      const c = this.current;
      if (!c || tokens[0] !== c.tag) {
        this.fail(new AppLayerError("IMAP_PROTOCOL", `a response for no command arrived: ${event.text.slice(0, 60)}`));
        return;
      }
      this.current = undefined;
      const status = String(tokens[1]).toUpperCase() as ImapResult["status"];
      c.resolve({ status, text: event.text.slice(c.tag.length + status.length + 2), untagged: c.untagged });
    }
  }

  private fail(e: Error): void {
    this.ended ??= e;
    this.current?.reject(e);
    this.current = undefined;
  }

  /**
   * Sends one command and resolves with its completion. `parts` are joined with
   * spaces; Buffers go as literals. Rejects with IMAP_REPLY on NO or BAD, and with
   * COMMAND_INJECTION, sending nothing, if a string part holds CR, LF or another
   * control byte (which would end the command and start another): send such data as a Buffer.
   */
  command(...parts: Array<string | Buffer>): Promise<ImapResult> {
    try {
      for (const p of parts) if (typeof p === "string") safeArgument(p, `the IMAP command part ${JSON.stringify(p.slice(0, 20))}`);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = () => this.send(parts);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private send(parts: Array<string | Buffer>): Promise<ImapResult> {
    if (this.ended) return Promise.reject(this.ended);
    const tag = `a${++this.tagCount}`;
    const name = typeof parts[0] === "string" ? parts[0].split(" ")[0] : "command";
    return withDeadline(`IMAP ${name}`, { timeoutMs: 30_000, ...this.options }, () =>
      new Promise<ImapResult>((resolve, reject) => {
        this.current = { tag, untagged: [], resolve, reject };
        const plus = this.capabilities.has("LITERAL+");
        // Split the command where synchronizing literals must wait for "+".
        const pieces: Array<string | Buffer> = [];
        let line = `${tag}`;
        for (const p of parts) {
          if (typeof p === "string") {
            line += ` ${p}`;
            continue;
          }
          line += ` {${p.length}${plus ? "+" : ""}}\r\n`;
          pieces.push(line, p);
          line = "";
        }
        pieces.push(`${line}\r\n`);
        const shown = `${tag} ${typeof parts[0] === "string" && /^LOGIN\b/i.test(parts[0]) ? "LOGIN ••••" : parts.map((p) => (typeof p === "string" ? p : `{${p.length} bytes}`)).join(" ")}`;
        this.options.trace?.record(this.me, this.them, preview(shown, 70));
        const write = () => {
          // Write up to and including the next literal's announcement, then wait for "+" unless LITERAL+.
          while (pieces.length) {
            const piece = pieces.shift()!;
            this.channel.write(piece);
            if (typeof piece === "string" && /\{\d+\}\r\n$/.test(piece)) {
              this.current!.onContinue = write;
              return;
            }
          }
        };
        write();
      }).then((r) => {
        if (r.status !== "OK") throw new AppLayerError("IMAP_REPLY", `${name} was refused: ${r.status} ${r.text}`, { status: r.status, text: r.text, command: name });
        return r;
      }),
    );
  }

  async login(user: string, password: string): Promise<void> {
    const r = await this.command("LOGIN", astring(user), astring(password));
    const caps = /\[CAPABILITY ([^\]]*)\]/i.exec(r.text);
    if (caps) this.setCapabilities(caps[1]);
  }

  /** LIST "" "*": every folder with its attributes. */
  async list(pattern = "*"): Promise<Array<{ name: string; flags: string[]; delimiter: string | null }>> {
    const r = await this.command('LIST ""', astring(pattern));
    return r.untagged
      .filter((u) => String(u[0]).toUpperCase() === "LIST")
      .map((u) => ({ flags: (u[1] as string[]).map(String), delimiter: u[2] as string | null, name: Buffer.isBuffer(u[3]) ? u[3].toString() : String(u[3]) }));
  }

  /** SELECT (or EXAMINE, read-only): opens a folder and says what is in it. */
  async select(folder: string, readOnly = false): Promise<{ exists: number; recent: number; uidValidity: number; uidNext: number; readOnly: boolean }> {
    const r = await this.command(readOnly ? "EXAMINE" : "SELECT", astring(folder));
    const count = (word: string) => Number(r.untagged.find((u) => String(u[1]).toUpperCase() === word)?.[0] ?? 0);
    const code = (name: string) => Number(new RegExp(`\\[${name} (\\d+)\\]`, "i").exec(r.untagged.map((u) => u.map(String).join(" ")).join("\n"))?.[1] ?? 0);
    return { exists: count("EXISTS"), recent: count("RECENT"), uidValidity: code("UIDVALIDITY"), uidNext: code("UIDNEXT"), readOnly: /READ-ONLY/i.test(r.text) };
  }

  async create(folder: string): Promise<void> {
    await this.command("CREATE", astring(folder));
  }

  async delete(folder: string): Promise<void> {
    await this.command("DELETE", astring(folder));
  }

  async rename(from: string, to: string): Promise<void> {
    await this.command("RENAME", astring(from), astring(to));
  }

  /** FETCH (or UID FETCH): each message's data items by name (`FLAGS`, `UID`, `BODY[HEADER]` …). */
  async fetch(set: string, items: string, options: { uid?: boolean } = {}): Promise<FetchResult[]> {
    const r = await this.command(`${options.uid ? "UID " : ""}FETCH ${set} ${items}`);
    return fetchResults(r.untagged);
  }

  /** STORE: `+FLAGS`, `-FLAGS` or `FLAGS` with a list of flags; returns the new flags by message. */
  async store(set: string, action: string, flags: string[], options: { uid?: boolean } = {}): Promise<FetchResult[]> {
    const r = await this.command(`${options.uid ? "UID " : ""}STORE ${set} ${action} (${flags.join(" ")})`);
    return fetchResults(r.untagged);
  }

  /** SEARCH (or UID SEARCH) with criteria as IMAP writes them: `UNSEEN FROM "alice"`. */
  async search(criteria: string, options: { uid?: boolean } = {}): Promise<number[]> {
    const r = await this.command(`${options.uid ? "UID " : ""}SEARCH ${criteria}`);
    return r.untagged.filter((u) => String(u[0]).toUpperCase() === "SEARCH").flatMap((u) => u.slice(1).map(Number));
  }

  async copy(set: string, folder: string, options: { uid?: boolean } = {}): Promise<ImapResult> {
    return this.command(`${options.uid ? "UID " : ""}COPY ${set}`, astring(folder));
  }

  /** MOVE (RFC 6851); returns the sequence numbers expunged from this folder. */
  async move(set: string, folder: string, options: { uid?: boolean } = {}): Promise<number[]> {
    return expunged(await this.command(`${options.uid ? "UID " : ""}MOVE ${set}`, astring(folder)));
  }

  /** EXPUNGE: removes the messages flagged \Deleted; returns the sequence numbers as the server reported them. */
  async expunge(): Promise<number[]> {
    return expunged(await this.command("EXPUNGE"));
  }

  /** APPEND a message to a folder (sent as a literal). */
  async append(folder: string, message: Uint8Array | string, flags: string[] = []): Promise<ImapResult> {
    return this.command("APPEND", astring(folder), `(${flags.join(" ")})`, Buffer.from(message));
  }

  async noop(): Promise<ImapResult> {
    return this.command("NOOP");
  }

  /**
   * IDLE (RFC 2177): the server pushes untagged responses (`* 4 EXISTS`) as things
   * happen. Resolves once the server has accepted; call the returned `done()` to stop.
   */
  async idle(onUpdate: (response: ImapValue[]) => void): Promise<{ done: () => Promise<ImapResult> }> {
    let accepted!: () => void;
    const started = new Promise<void>((r) => (accepted = r));
    const finished = this.chain.then(() => {
      if (this.ended) return Promise.reject(this.ended);
      const tag = `a${++this.tagCount}`;
      this.options.trace?.record(this.me, this.them, `${tag} IDLE`);
      return new Promise<ImapResult>((resolve, reject) => {
        this.current = { tag, untagged: [], resolve, reject, onContinue: accepted };
        this.idleListener = onUpdate;
        this.channel.write(`${tag} IDLE\r\n`);
      });
    });
    this.chain = finished.catch(() => undefined);
    await withDeadline("IMAP IDLE", { timeoutMs: 10_000, ...this.options }, () => Promise.race([started, finished.then(() => undefined)]));
    return {
      done: () => {
        this.idleListener = undefined;
        this.options.trace?.record(this.me, this.them, "DONE");
        this.channel.write("DONE\r\n");
        return finished;
      },
    };
  }

  /** LOGOUT, then close. */
  logout(): Promise<void> {
    return this.channel.closeAfter(() => this.command("LOGOUT"));
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

function fetchResults(untagged: ImapValue[][]): FetchResult[] {
  return untagged
    .filter((u) => String(u[1]).toUpperCase() === "FETCH" && Array.isArray(u[2]))
    .map((u) => {
      const list = u[2] as ImapValue[];
      const items: Record<string, ImapValue> = {};
      for (let i = 0; i + 1 < list.length; i += 2) items[String(list[i]).toUpperCase()] = list[i + 1];
      return { seq: Number(u[0]), items };
    });
}

const expunged = (r: ImapResult) => r.untagged.filter((u) => String(u[1]).toUpperCase() === "EXPUNGE").map((u) => Number(u[0]));
