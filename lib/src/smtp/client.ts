import { AppLayerError } from "../errors";
import { Address, formatAddress } from "../net/address";
import { Channel } from "../net/channel";
import { LineSplitter, safeArgument } from "../net/framing";
import { CallOptions, Closable, withDeadline } from "../net/lifecycle";
import { Trace } from "../lab/trace";
import { MAX_TEXT_LINE } from "./limits";
import { checkMailbox } from "./address";
import { ReplyParser, SmtpReply } from "./reply";

/**
 * A message as it goes on the wire after DATA: every line ends in CRLF, a line
 * that starts with "." gets a second one (dot-stuffing, RFC 5321 §4.5.2), and
 * the end is marked by a line holding a single ".".
 */
export function dataOnWire(message: Uint8Array | string): Buffer {
  const text = typeof message === "string" ? Buffer.from(message, "utf8").toString("latin1") : Buffer.from(message).toString("latin1");
  const lines = text.replace(/\r?\n$/, "").split(/\r?\n/);
  return Buffer.from(lines.map((l) => (l.startsWith(".") ? `.${l}` : l)).join("\r\n") + "\r\n.\r\n", "latin1");
}

/** Throws `SMTP_REPLY` unless the reply's first digit is in `ok`. */
function expectReply(r: SmtpReply, command: string, ok: number[] = [2]): SmtpReply {
  if (!ok.includes(Math.floor(r.code / 100))) {
    throw new AppLayerError("SMTP_REPLY", `${command} was refused: ${r.code}${r.enhanced ? ` ${r.enhanced}` : ""} ${r.lines.join(" ")}`, { reply: r.code, enhanced: r.enhanced, command, lines: r.lines });
  }
  return r;
}

/**
 * An SMTP client on one persistent TCP connection: replies are matched to
 * commands in order (a queue of expected replies), which is what makes
 * PIPELINING (RFC 2920) work — several commands written at once, their replies
 * read in turn.
 *
 * @example
 * const c = await SmtpClient.connect({ server: { host: "127.0.0.1", port: 2525 } });
 * await c.hello("cs.umass.edu");
 * await c.send({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"] }, "Subject: hi\r\n\r\nHello Bob\r\n");
 * await c.quit();
 */
export class SmtpClient implements Closable {
  /** Extensions the server offered in its EHLO reply (upper case, first word). */
  readonly extensions = new Set<string>();
  greeting!: SmtpReply;
  private readonly waiting: Array<{ resolve: (r: SmtpReply) => void; reject: (e: Error) => void }> = [];
  private readonly lines = new LineSplitter(MAX_TEXT_LINE);
  private readonly parser = new ReplyParser();
  private ended: Error | undefined;
  private channel!: Channel;
  private me = "client";
  private readonly them: string;
  private heloName = "localhost";

  private constructor(private readonly options: CallOptions & { server: Address; trace?: Trace; traceName?: string }) {
    this.them = `server ${formatAddress(options.server)}`;
  }

  private receive(chunk: Buffer): void {
    try {
      for (const line of this.lines.push(chunk)) {
        const text = line.toString("latin1");
        this.options.trace?.record(this.them, this.me, text);
        const r = this.parser.push(text);
        if (!r) continue;
        const waiter = this.waiting.shift();
        if (waiter) waiter.resolve(r);
        else this.fail(new AppLayerError("SMTP_PROTOCOL", `an unexpected reply arrived: ${r.code} ${r.lines[0]}`));
      }
    } catch (e) {
      this.fail(new AppLayerError("SMTP_PROTOCOL", `the server sent something that is not SMTP: ${(e as Error).message}`));
      this.channel.destroy();
    }
  }

  /** Connects and reads the 220 greeting. */
  static async connect(options: CallOptions & { server: Address; trace?: Trace; traceName?: string }): Promise<SmtpClient> {
    const client = new SmtpClient(options);
    const greeting = client.next();
    greeting.catch(() => undefined);
    client.channel = await Channel.connect("SMTP", options, (chunk) => client.receive(chunk), (e) => client.fail(e));
    // Its lifeline in the trace: a program that is also something else (a webmail) names itself.
    client.me = options.traceName ?? `client ${client.channel.local}`;
    client.greeting = expectReply(await withDeadline("SMTP greeting", { timeoutMs: 5000, ...options }, () => greeting), "the greeting");
    return client;
  }

  /** Bytes moved so far, each way. */
  get bytes(): { sent: number; received: number } {
    return { sent: this.channel.bytesOut, received: this.channel.bytesIn };
  }

  /** Is the connection encrypted (STARTTLS done)? */
  get encrypted(): boolean {
    return this.channel.encrypted;
  }

  /** The next reply from the server. */
  private next(): Promise<SmtpReply> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private fail(e: Error): void {
    this.ended ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  /** Writes raw bytes (commands or data) and records them in the trace. */
  private write(data: string | Buffer): void {
    const text = typeof data === "string" ? data : data.toString("latin1");
    for (const line of text.split("\r\n").filter(Boolean)) this.options.trace?.record(this.me, this.them, line.length > 70 ? `${line.slice(0, 70)}…` : line);
    this.channel.write(data);
  }

  /**
   * Sends one command line and returns its reply, whatever it is. A line holding CR,
   * LF or another control byte throws `COMMAND_INJECTION` and is not sent: it would be
   * two commands (RFC 5321 §2.3.8).
   */
  command(line: string, options: CallOptions = {}): Promise<SmtpReply> {
    try {
      safeArgument(line, `the SMTP command ${JSON.stringify(line.slice(0, 20))}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return withDeadline(`SMTP ${line.split(" ")[0]}`, { timeoutMs: 10_000, ...this.options, ...options }, () => {
      const reply = this.next();
      this.write(`${line}\r\n`);
      return reply;
    });
  }

  /** EHLO (HELO if the server does not know ESMTP); remembers the extensions offered. */
  async hello(name: string): Promise<SmtpReply> {
    this.heloName = safeArgument(name, "the EHLO name");
    let r = await this.command(`EHLO ${name}`);
    if (r.code >= 500) r = await this.command(`HELO ${name}`);
    expectReply(r, "EHLO/HELO");
    this.extensions.clear();
    for (const l of r.lines.slice(1)) this.extensions.add(l.split(" ")[0].toUpperCase());
    return r;
  }

  /**
   * STARTTLS (RFC 3207): after the server's 220 the same TCP connection carries
   * TLS, and the client says EHLO again (the server forgot the plaintext part).
   * Pass `ca` (the server's certificate) to check who the server is.
   */
  async startTls(options: { ca?: string | Buffer } = {}): Promise<SmtpReply> {
    expectReply(await this.command("STARTTLS"), "STARTTLS");
    await this.channel.startTls({ ca: options.ca, servername: options.ca ? this.greeting.lines[0].split(" ")[0] : undefined });
    this.options.trace?.note(this.me, "TLS on");
    return this.hello(this.heloName);
  }

  /** AUTH PLAIN (RFC 4616) with the password in the initial response. */
  async login(user: string, password: string): Promise<SmtpReply> {
    checkCredentials(user, password);
    return expectReply(await this.command(`AUTH PLAIN ${Buffer.from(`\u0000${user}\u0000${password}`).toString("base64")}`), "AUTH");
  }

  /**
   * Sends one message: MAIL FROM, a RCPT TO per recipient, DATA, the message. With
   * PIPELINING the commands go out together. Throws `SMTP_REPLY` if MAIL, every
   * RCPT, or the message is refused; returns the recipients refused one by one.
   * Every address is checked first: one that could inject a command or a parameter
   * (CR, LF, control bytes, `<`, `>`, spaces) throws `MAIL_ADDRESS` and nothing is sent.
   */
  async send(envelope: { from: string; to: string[] }, message: Uint8Array | string, options: { eightBit?: boolean } = {}): Promise<{ reply: SmtpReply; refused: Array<{ to: string; reply: SmtpReply }> }> {
    checkEnvelope(envelope);
    const eightBit = options.eightBit ?? ((this.extensions.has("8BITMIME") && [...Buffer.from(message as string)].some((b) => b > 0x7f)) || false);
    const commands = [`MAIL FROM:<${envelope.from}>${eightBit ? " BODY=8BITMIME" : ""}`, ...envelope.to.map((t) => `RCPT TO:<${t}>`), "DATA"];
    let replies: SmtpReply[];
    if (this.extensions.has("PIPELINING")) {
      const pending = commands.map(() => this.next());
      this.write(commands.map((c) => `${c}\r\n`).join(""));
      replies = await withDeadline("SMTP MAIL/RCPT/DATA", { timeoutMs: 10_000, ...this.options }, () => Promise.all(pending));
    } else {
      replies = [];
      for (const c of commands) {
        const r = await this.command(c);
        replies.push(r);
        if (c.startsWith("MAIL") && r.code >= 400) break;
      }
    }
    expectReply(replies[0], "MAIL FROM");
    const rcpts = replies.slice(1, 1 + envelope.to.length);
    const refused = rcpts.flatMap((r, i) => (r.code >= 400 ? [{ to: envelope.to[i], reply: r }] : []));
    const data = replies[1 + envelope.to.length];
    if (refused.length === envelope.to.length) {
      if (data?.code === 354) await this.sendData(Buffer.from(".\r\n")); // a pipelined DATA was accepted after all: end it empty
      expectReply(refused[0].reply, `RCPT TO:<${refused[0].to}>`);
    }
    expectReply(data, "DATA", [3]);
    return { reply: expectReply(await this.sendData(dataOnWire(message)), "the message (after DATA)"), refused };
  }

  /**
   * Sends a message's bytes after DATA's 354 exactly as given: already
   * dot-stuffed and ended with CRLF.CRLF (RFC 5321 §4.1.1.4), as a student's
   * own stuffing makes them. Resolves with the server's reply to the end of data.
   *
   * @example await c.command("DATA"); const r = await c.sendData("Subject: hi\r\n\r\n..dot\r\n.\r\n");
   */
  sendData(wire: Uint8Array | string): Promise<SmtpReply> {
    return withDeadline("SMTP end of data", { timeoutMs: 30_000, ...this.options }, () => {
      const reply = this.next();
      this.write(Buffer.from(wire));
      return reply;
    });
  }

  /** QUIT, then close. */
  quit(): Promise<void> {
    return this.channel.closeAfter(() => this.command("QUIT"));
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

/** Throws `COMMAND_INJECTION` for an AUTH user name with a control byte, or a password with a NUL (RFC 4616 §2: NUL separates the fields). */
function checkCredentials(user: string, password: string): void {
  safeArgument(user, "the AUTH user name");
  if (password.includes("\u0000")) safeArgument(password, "the AUTH password");
}

/** Throws `MAIL_ADDRESS` unless every address of the envelope may go into a path (RFC 5321 §4.1.2). */
function checkEnvelope(envelope: { from: string; to: string[] }): void {
  checkMailbox(envelope.from, "from");
  if (!envelope.to.length) throw new AppLayerError("MAIL_ADDRESS", "a message needs at least one recipient", { role: "to" });
  for (const to of envelope.to) checkMailbox(to, "to");
}

/**
 * Sends one message over a fresh connection: connect, EHLO, (AUTH), MAIL, RCPT, DATA, QUIT.
 * The addresses, the EHLO name and the AUTH user are checked before connecting (`MAIL_ADDRESS`,
 * `COMMAND_INJECTION`): a bad one never reaches the server.
 *
 * @example await sendMail({ server, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: "Subject: hi\r\n\r\nHi Bob\r\n" });
 */
export async function sendMail(options: CallOptions & {
  server: Address; from: string; to: string[]; message: Uint8Array | string; helo?: string; auth?: { user: string; password: string }; trace?: Trace; eightBit?: boolean;
  /** The client's lifeline in `trace` (default "client HOST:PORT"). */
  traceName?: string;
  /** Use STARTTLS: "if-offered" (the default, as mail software does), "always" (fail without it), or "never". */
  starttls?: "if-offered" | "always" | "never";
}): Promise<{ reply: SmtpReply; refused: Array<{ to: string; reply: SmtpReply }> }> {
  checkEnvelope(options);
  if (options.auth) checkCredentials(options.auth.user, options.auth.password);
  const helo = safeArgument(options.helo ?? options.from.split("@")[1] ?? "localhost", "the EHLO name");
  const client = await SmtpClient.connect(options);
  try {
    await client.hello(helo);
    const starttls = options.starttls ?? "if-offered";
    if (starttls === "always" || (starttls === "if-offered" && client.extensions.has("STARTTLS"))) await client.startTls();
    if (options.auth) await client.login(options.auth.user, options.auth.password);
    return await client.send({ from: options.from, to: options.to }, options.message, { eightBit: options.eightBit });
  } finally {
    await client.quit().catch(() => client.close());
  }
}
