import { AppLayerError } from "../errors";
import { Address } from "../net/address";
import { Channel } from "../net/channel";
import { LineSplitter, safeArgument } from "../net/framing";
import { CallOptions, Closable, withDeadline } from "../net/lifecycle";
import { Trace } from "../lab/trace";
import { MAX_TEXT_LINE } from "../smtp/limits";

/** One POP3 reply: +OK or -ERR, its text, and for multi-line replies the lines (dot-stuffing undone). */
export interface Pop3Reply {
  ok: boolean;
  text: string;
  lines?: string[];
}

/**
 * A POP3 client (RFC 1939) on one TCP connection: commands one at a time, each
 * reply read whole (multi-line replies up to the "." line).
 *
 * @example
 * const pop = await Pop3Client.connect({ server });
 * await pop.login("bob", "bobpass");
 * const [first] = await pop.list();
 * const message = await pop.retr(first.n);
 * await pop.quit();
 */
export class Pop3Client implements Closable {
  greeting = "";
  private channel!: Channel;
  private readonly splitter = new LineSplitter(MAX_TEXT_LINE * 4);
  private readonly waiting: Array<{ multi: boolean; lines?: string[]; first?: string; resolve: (r: Pop3Reply) => void; reject: (e: Error) => void }> = [];
  private ended: Error | undefined;
  private me = "client";
  private readonly them: string;

  private constructor(private readonly options: CallOptions & { server: Address; trace?: Trace }) {
    this.them = `POP3 server ${options.server.host}:${options.server.port}`;
  }

  static async connect(options: CallOptions & { server: Address; trace?: Trace }): Promise<Pop3Client> {
    const client = new Pop3Client(options);
    const greeting = client.expect(false);
    greeting.catch(() => undefined);
    client.channel = await Channel.connect("POP3", options, (b) => client.receive(b), (e) => client.fail(e));
    client.me = `client ${client.channel.local}`;
    client.greeting = (await withDeadline("POP3 greeting", { timeoutMs: 5000, ...options }, () => greeting)).text;
    return client;
  }

  /** Bytes moved so far, each way (for comparing POP3 with IMAP). */
  get bytes(): { sent: number; received: number } {
    return { sent: this.channel.bytesOut, received: this.channel.bytesIn };
  }

  private receive(chunk: Buffer): void {
    for (const raw of this.splitter.push(chunk)) {
      const line = raw.toString("latin1");
      const w = this.waiting[0];
      if (!w) {
        this.fail(new AppLayerError("POP3_REPLY", `an unexpected line arrived: ${line.slice(0, 60)}`));
        return;
      }
      if (w.lines) {
        if (line === ".") {
          this.waiting.shift();
          w.resolve({ ok: true, text: w.first!, lines: w.lines });
        } else {
          w.lines.push(line.startsWith(".") ? line.slice(1) : line);
        }
        continue;
      }
      this.options.trace?.record(this.them, this.me, line);
      const ok = line.startsWith("+OK");
      const text = line.replace(/^(\+OK|-ERR) ?/, "");
      if (ok && w.multi) {
        w.lines = [];
        w.first = text;
        continue;
      }
      this.waiting.shift();
      w.resolve({ ok, text });
    }
  }

  private fail(e: Error): void {
    this.ended ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  private expect(multi: boolean): Promise<Pop3Reply> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiting.push({ multi, resolve, reject }));
  }

  /**
   * Sends one command; resolves with the reply, rejecting with POP3_REPLY on -ERR, and
   * with COMMAND_INJECTION, sending nothing, if the line holds CR, LF or another control
   * byte (RFC 1939 §3: arguments are printable; `USER bob\r\nDELE 1` would be two commands).
   */
  async command(line: string, multi = false): Promise<Pop3Reply> {
    const verb = line.split(" ")[0];
    safeArgument(line, `the POP3 ${verb === "PASS" ? "PASS command" : `command ${JSON.stringify(line.slice(0, 20))}`}`);
    const r = await withDeadline(`POP3 ${verb}`, { timeoutMs: 10_000, ...this.options }, () => {
      const reply = this.expect(multi);
      this.options.trace?.record(this.me, this.them, verb === "PASS" ? "PASS ••••" : line);
      this.channel.write(`${line}\r\n`);
      return reply;
    });
    if (!r.ok) throw new AppLayerError("POP3_REPLY", `${verb} was refused: -ERR ${r.text}`, { command: verb, text: r.text });
    return r;
  }

  async login(user: string, password: string): Promise<string> {
    safeArgument(user, "the POP3 user name"); // both checked before USER goes out
    safeArgument(password, "the POP3 password");
    await this.command(`USER ${user}`);
    return (await this.command(`PASS ${password}`)).text;
  }

  /** STAT: how many messages, how many octets. */
  async stat(): Promise<{ count: number; octets: number }> {
    const [count, octets] = (await this.command("STAT")).text.split(" ").map(Number);
    return { count, octets };
  }

  /** LIST: every message's number and size. */
  async list(): Promise<Array<{ n: number; size: number }>> {
    return (await this.command("LIST", true)).lines!.map((l) => l.split(" ").map(Number)).map(([n, size]) => ({ n, size }));
  }

  /** UIDL: every message's number and its unique id, which stays the same across sessions. */
  async uidl(): Promise<Array<{ n: number; uid: string }>> {
    return (await this.command("UIDL", true)).lines!.map((l) => l.split(" ")).map(([n, uid]) => ({ n: Number(n), uid }));
  }

  /** RETR: the whole message, CRLF line ends. */
  async retr(n: number): Promise<string> {
    return (await this.command(`RETR ${n}`, true)).lines!.join("\r\n") + "\r\n";
  }

  /** TOP: the header and the first `lines` lines of the body. */
  async top(n: number, lines: number): Promise<string> {
    return (await this.command(`TOP ${n} ${lines}`, true)).lines!.join("\r\n") + "\r\n";
  }

  /** DELE: mark for deletion (it happens at QUIT). */
  async dele(n: number): Promise<void> {
    await this.command(`DELE ${n}`);
  }

  async rset(): Promise<void> {
    await this.command("RSET");
  }

  /** QUIT: the server deletes what was marked, then closes. */
  quit(): Promise<void> {
    return this.channel.closeAfter(() => this.command("QUIT"));
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}
