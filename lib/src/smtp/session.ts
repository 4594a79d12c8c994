import { AppLayerError } from "../errors";
import { findControlByte } from "../net/framing";
import { MAX_BAD_COMMANDS, MAX_COMMAND_LINE, MAX_MESSAGE_SIZE, MAX_RECIPIENTS, MAX_TEXT_LINE } from "./limits";
import { SmtpReply } from "./reply";
import { BAD_ADDRESS_STATUS, parsePath } from "./address";

/** What a mail server knows when it runs an SMTP session. */
export interface SmtpSessionConfig {
  /** The server's name, in the greeting and the EHLO reply ("mail.umass.edu"). */
  hostname: string;
  /** Mail for these domains is delivered here; anything else is relaying. */
  localDomains: string[];
  /** Is this a mailbox we have? Unknown local users get 550 5.1.1 at RCPT. Default: every address. */
  isLocalUser?: (address: string) => boolean;
  /** Offer AUTH PLAIN (submitters may then relay). The check itself is asked of the adapter. */
  auth?: boolean;
  /** A submission port (RFC 6409): MAIL needs authentication first (530 5.7.0). */
  requireAuth?: boolean;
  /** Offer STARTTLS (RFC 3207); the adapter does the handshake. */
  tls?: boolean;
  /** Refuse AUTH until TLS is on (538 5.7.11, RFC 4954), so passwords never cross in the clear. */
  authNeedsTls?: boolean;
  maxMessageSize?: number;
  maxRecipients?: number;
  maxBadCommands?: number;
  /**
   * For exercises: answer `reply` (a 4xx or 5xx) at `step` instead of going on, so a
   * test can see whether a client stops there. The connection stays open, waiting for
   * QUIT; after a refused greeting every other command gets 503 (RFC 5321 §3.1).
   */
  failAt?: { step: SmtpStep; reply: SmtpReply };
  /** Told the verb (upper-cased) of every command line as it arrives: where a client stopped, for a test. */
  onCommand?: (verb: string) => void;
}

/** The steps of a mail transaction at which {@link SmtpSessionConfig.failAt} can refuse; "message" is the reply to the end of data. */
export const SMTP_STEPS = ["greeting", "EHLO", "MAIL", "RCPT", "DATA", "message"] as const;
export type SmtpStep = (typeof SMTP_STEPS)[number];

/** The envelope: who the message is from and to, as MAIL FROM and RCPT TO said — not the header lines. */
export interface Envelope {
  helo: string;
  mailFrom: string;
  rcptTo: string[];
  /** BODY=8BITMIME was declared (RFC 6152). */
  eightBit: boolean;
  /** The user who authenticated (a submitter may relay), if any. */
  authenticatedAs?: string;
}

/** What the session asks its adapter to do after some input. */
export interface SessionOutput {
  replies: SmtpReply[];
  /** Close the connection after sending the replies. */
  close?: boolean;
  /** A whole message to store. The session waits until `delivered()` says whether it is safe. */
  deliver?: { envelope: Envelope; message: Buffer };
  /** A password to check. The session waits until `authenticated()` gives the verdict. */
  authenticate?: { user: string; password: string };
  /** Start TLS now (after sending the 220). The session waits until `tlsStarted()`. */
  startTls?: boolean;
}

type Phase = "command" | "data" | "auth" | "waiting" | "closed";

const reply = (code: number, enhanced: string | undefined, ...lines: string[]): SmtpReply => ({ code, enhanced, lines });
const CRLF = Buffer.from("\r\n");


/**
 * The server side of one SMTP connection (RFC 5321), with no sockets (sans-I/O):
 * `feed(bytes)` returns the replies to send. It frames the input itself — command
 * lines, then the message until CRLF.CRLF — so a test can drive it byte by byte.
 *
 * Guards: commands in the wrong order get 503; unknown ones 500 (and 421, closing,
 * after `maxBadCommands`); mail for other domains is refused (550 5.7.1) unless the
 * client authenticated — no open relay. The message ends only at CRLF.CRLF: a bare
 * LF, which other servers may read as a line end (SMTP smuggling), gets the whole
 * message refused. 8-bit data needs BODY=8BITMIME.
 *
 * @example
 * const s = new SmtpSession({ hostname: "mail.umass.edu", localDomains: ["umass.edu"] });
 * s.greeting();                                   // 220 mail.umass.edu ESMTP
 * s.feed(Buffer.from("EHLO cs.umass.edu\r\n"));  // 250-mail.umass.edu … 250 PIPELINING …
 */
export class SmtpSession {
  private phase: Phase = "command";
  private buffer = Buffer.alloc(0);
  private helo: string | undefined;
  private mailFrom: string | undefined;
  private eightBit = false;
  private rcptTo: string[] = [];
  private user: string | undefined;
  private badCommands = 0;
  private skippingLongLine = false;
  private data: Buffer[] = [];
  private dataSize = 0;
  private dataProblem: SmtpReply | undefined;
  private pendingAuth: { user: string; password: string } | undefined;
  private pendingTls = false;
  private secure = false;
  private readonly limits: Required<Pick<SmtpSessionConfig, "maxMessageSize" | "maxRecipients" | "maxBadCommands">>;

  constructor(private readonly config: SmtpSessionConfig) {
    const fail = config.failAt;
    if (fail && !(SMTP_STEPS.includes(fail.step) && fail.reply.code >= 400 && fail.reply.code <= 599)) {
      throw new AppLayerError("BAD_ARGUMENT", `failAt: a 4xx or 5xx reply at one of ${SMTP_STEPS.join(", ")} (got ${fail.reply.code} at ${fail.step})`);
    }
    this.limits = {
      maxMessageSize: config.maxMessageSize ?? MAX_MESSAGE_SIZE,
      maxRecipients: config.maxRecipients ?? MAX_RECIPIENTS,
      maxBadCommands: config.maxBadCommands ?? MAX_BAD_COMMANDS,
    };
  }

  /** The 220 the server sends first. */
  greeting(): SmtpReply {
    if (this.config.failAt?.step === "greeting") return this.config.failAt.reply;
    return reply(220, undefined, `${this.config.hostname} ESMTP applayer`);
  }

  /** True once QUIT (or abuse) has ended the session. */
  get closed(): boolean {
    return this.phase === "closed";
  }

  /** Takes bytes from the client and returns what to answer. */
  feed(chunk: Uint8Array): SessionOutput {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : Buffer.from(chunk);
    return this.run();
  }

  /** The adapter stored the message (or failed to): the reply to DATA, then whatever input waited. */
  delivered(ok: boolean): SessionOutput {
    this.resetTransaction();
    return this.resume(ok ? reply(250, "2.0.0", "OK: message accepted for delivery") : reply(451, "4.3.0", "could not store the message; try again later"));
  }

  /**
   * The adapter checked the password: 235 or 535, then whatever input waited. A string
   * is a lockout (the login throttle's reason): 454 4.7.0, "try again later" (RFC 4954 §6).
   */
  authenticated(ok: boolean | string): SessionOutput {
    const user = this.pendingAuth?.user;
    this.pendingAuth = undefined;
    if (ok === true) this.user = user;
    if (typeof ok === "string") return this.resume(this.bad(454, "4.7.0", `temporary authentication failure: ${ok}`));
    return this.resume(ok ? reply(235, "2.7.0", "authentication succeeded") : this.bad(535, "5.7.8", "authentication credentials invalid"));
  }

  /**
   * The TLS handshake is done: RFC 3207 §4.2 says forget everything said before it
   * (the client must EHLO again), and bytes that came after STARTTLS in plaintext are
   * dropped — otherwise an attacker could inject commands that seem to come over TLS.
   */
  tlsStarted(): SessionOutput {
    this.secure = true;
    this.helo = undefined;
    this.user = undefined;
    this.resetTransaction();
    this.buffer = Buffer.alloc(0);
    this.phase = "command";
    return { replies: [] };
  }

  /** True once STARTTLS has completed. */
  get encrypted(): boolean {
    return this.secure;
  }

  private resume(first: SmtpReply): SessionOutput {
    this.phase = "command";
    const rest = this.run();
    return { ...rest, replies: [first, ...rest.replies] };
  }

  private run(): SessionOutput {
    const out: SessionOutput = { replies: [] };
    while (this.phase !== "waiting" && this.phase !== "closed") {
      if (this.phase === "data") {
        const step = this.dataStep();
        if (step === undefined) break;
        if (step.deliver) {
          out.deliver = step.deliver;
          this.phase = "waiting";
          break;
        }
        out.replies.push(...step.replies);
        continue;
      }
      const line = this.nextLine(out);
      if (line === undefined) break;
      const r = this.phase === "auth" ? this.authResponse(line) : this.command(line);
      out.replies.push(...r.replies);
      if (r.close) {
        out.close = true;
        this.phase = "closed";
      } else if (this.pendingAuth) {
        out.authenticate = this.pendingAuth;
        this.phase = "waiting";
      } else if (this.pendingTls) {
        this.pendingTls = false;
        out.startTls = true;
        this.phase = "waiting";
      }
    }
    return out;
  }

  /**
   * The next command line (without its CRLF), or undefined if none is complete yet.
   * RFC 5321 §2.3.8: only CRLF ends a line. A bare LF or CR stays inside the line
   * (and gets it refused), so `RCPT TO:<a@b.c>\nDATA` is one bad command, not two.
   */
  private nextLine(out: SessionOutput): string | undefined {
    for (;;) {
      const nl = this.buffer.indexOf(CRLF);
      if (nl < 0) {
        if (this.buffer.length > MAX_COMMAND_LINE) {
          // RFC 5321 §4.5.3.1.4: refuse the line, and skip it up to its end (keeping a CR that may start the CRLF).
          this.buffer = this.buffer[this.buffer.length - 1] === 0x0d ? Buffer.from("\r") : Buffer.alloc(0);
          if (!this.skippingLongLine) out.replies.push(this.bad(500, "5.5.2", `line too long: at most ${MAX_COMMAND_LINE} octets`));
          this.skippingLongLine = true;
        }
        return undefined;
      }
      const raw = this.buffer.subarray(0, nl);
      this.buffer = this.buffer.subarray(nl + 2);
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        continue;
      }
      if (raw.length + 2 > MAX_COMMAND_LINE) {
        out.replies.push(this.bad(500, "5.5.2", `line too long: at most ${MAX_COMMAND_LINE} octets`));
        continue;
      }
      return raw.toString("latin1");
    }
  }

  private bad(code: number, enhanced: string, text: string): SmtpReply {
    this.badCommands++;
    return reply(code, enhanced, text);
  }

  private command(line: string): { replies: SmtpReply[]; close?: boolean } {
    const m = /^([A-Za-z]+)(?: ([^]*))?$/.exec(line);
    const verb = m?.[1].toUpperCase();
    const arg = m?.[2] ?? "";
    const control = findControlByte(line);
    let r: SmtpReply | undefined;
    if (control && verb) {
      // RFC 5321 §2.3.8, §4.1.2: no control bytes (bare CR or LF, NUL, TAB, DEL…) in arguments. A path gets 501 with
      // RFC 3463's "bad address syntax", so a client that tried to inject commands through an address learns why.
      const where = `the control byte 0x${control.byte.toString(16).padStart(2, "0")} in the ${BAD_ADDRESS_STATUS[verb] ? "address" : "arguments"}`;
      r = this.bad(501, BAD_ADDRESS_STATUS[verb] ?? "5.5.4", `${where}: refused (RFC 5321 §2.3.8: only CRLF ends a line, and a mailbox has no control characters)`);
    } else if (/[\x00-\x1f\x7f-\xff]/.test(line)) r = this.bad(500, "5.5.2", "control or 8-bit bytes in a command");
    else if (!verb) r = this.bad(500, "5.5.2", "syntax error: expected a command");
    else {
      this.config.onCommand?.(verb);
      r = this.refusal(verb) ?? this.verb(verb, arg);
    }
    const replies = r ? [r] : [];
    if (this.badCommands >= this.limits.maxBadCommands) {
      return { replies: [...replies, reply(421, "4.7.0", `${this.config.hostname} too many errors; closing`)], close: true };
    }
    return { replies, close: verb === "QUIT" };
  }

  /** The reply {@link SmtpSessionConfig.failAt} puts in place of this command's, if any. */
  private refusal(verb: string): SmtpReply | undefined {
    const fail = this.config.failAt;
    if (!fail || verb === "QUIT") return undefined;
    // RFC 5321 §3.1: after a 554 greeting the server waits for QUIT, answering 503 to anything else.
    if (fail.step === "greeting") return reply(503, "5.5.1", "no service here: send QUIT");
    return fail.step === (verb === "HELO" ? "EHLO" : verb) ? fail.reply : undefined;
  }

  /** The reply to one command; undefined while a password check is pending. */
  private verb(verb: string, arg: string): SmtpReply | undefined {
    switch (verb) {
      case "HELO":
      case "EHLO":
        return this.hello(verb, arg);
      case "MAIL":
        return this.mail(arg);
      case "RCPT":
        return this.rcpt(arg);
      case "DATA":
        if (arg) return this.bad(501, "5.5.4", "DATA takes no arguments");
        if (this.mailFrom === undefined) return this.bad(503, "5.5.1", "need MAIL first");
        if (!this.rcptTo.length) return this.bad(503, "5.5.1", "need RCPT first");
        this.phase = "data";
        this.data = [];
        this.dataSize = 0;
        this.dataProblem = undefined;
        return reply(354, undefined, "End data with <CR><LF>.<CR><LF>");
      case "RSET":
        this.resetTransaction();
        return reply(250, "2.0.0", "OK");
      case "NOOP":
        return reply(250, "2.0.0", "OK");
      case "VRFY":
        // RFC 5321 §3.5.3: a server that will not reveal its users says 252.
        return reply(252, "2.5.2", "cannot VRFY user, but will accept the message and attempt delivery");
      case "QUIT":
        this.phase = "closed";
        return reply(221, "2.0.0", `${this.config.hostname} closing connection`);
      case "AUTH":
        return this.auth(arg);
      case "STARTTLS":
        if (!this.config.tls) return this.bad(502, "5.5.1", "STARTTLS is not offered here");
        if (this.secure) return this.bad(503, "5.5.1", "TLS is already on");
        if (arg) return this.bad(501, "5.5.4", "STARTTLS takes no arguments");
        this.pendingTls = true;
        return reply(220, "2.0.0", "ready to start TLS");
      default:
        return this.bad(500, "5.5.1", `command ${verb.slice(0, 20)} not recognized`);
    }
  }

  private hello(verb: string, arg: string): SmtpReply {
    if (!/^\S+$/.test(arg)) return this.bad(501, "5.5.4", `${verb} needs the client's name: ${verb} client.example.org`);
    this.helo = arg;
    this.resetTransaction();
    if (verb === "HELO") return reply(250, undefined, `${this.config.hostname} hello ${arg}`);
    const ext = ["PIPELINING", `SIZE ${this.limits.maxMessageSize}`, "8BITMIME", "ENHANCEDSTATUSCODES"];
    if (this.config.tls && !this.secure) ext.push("STARTTLS");
    if (this.config.auth && (this.secure || !this.config.authNeedsTls)) ext.push("AUTH PLAIN");
    return reply(250, undefined, `${this.config.hostname} hello ${arg}`, ...ext);
  }

  private mail(arg: string): SmtpReply {
    if (!this.helo) return this.bad(503, "5.5.1", "say HELO or EHLO first");
    if (this.mailFrom !== undefined) return this.bad(503, "5.5.1", "a transaction is already open (RSET to start over)");
    if (this.config.requireAuth && !this.user) return reply(530, "5.7.0", "authentication required: this is a submission port (AUTH PLAIN first)");
    const m = /^FROM:\s*(<[^>]*>)((?: [A-Za-z0-9-]+(?:=\S+)?)*)$/i.exec(arg);
    if (!m) return this.bad(501, "5.5.4", "syntax: MAIL FROM:<user@domain> [SIZE=n] [BODY=8BITMIME]");
    const from = parsePath(m[1]);
    if (from === undefined) return this.bad(501, "5.1.7", "bad sender address syntax: MAIL FROM:<user@domain> (RFC 5321 §4.1.2)");
    let eightBit = false;
    for (const p of m[2].trim().split(" ").filter(Boolean)) {
      const [key, value = ""] = p.split("=");
      if (key.toUpperCase() === "SIZE") {
        if (!/^\d+$/.test(value)) return this.bad(501, "5.5.4", "SIZE needs a number");
        if (Number(value) > this.limits.maxMessageSize) return reply(552, "5.3.4", `message too big: the limit is ${this.limits.maxMessageSize} bytes`);
      } else if (key.toUpperCase() === "BODY") {
        if (!/^(7BIT|8BITMIME)$/i.test(value)) return this.bad(501, "5.5.4", "BODY is 7BIT or 8BITMIME");
        eightBit = value.toUpperCase() === "8BITMIME";
      } else if (key.toUpperCase() !== "AUTH") {
        return this.bad(555, "5.5.4", `parameter ${key} not recognized`);
      }
    }
    this.mailFrom = from;
    this.eightBit = eightBit;
    return reply(250, "2.1.0", "sender OK");
  }

  private rcpt(arg: string): SmtpReply {
    if (this.mailFrom === undefined) return this.bad(503, "5.5.1", "need MAIL first");
    const m = /^TO:\s*(<[^>]*>)$/i.exec(arg);
    if (!m) return this.bad(501, "5.5.4", "syntax: RCPT TO:<user@domain>");
    const to = parsePath(m[1]);
    if (!to) return this.bad(501, "5.1.3", "bad recipient address syntax: RCPT TO:<user@domain> (RFC 5321 §4.1.2)");
    if (this.rcptTo.length >= this.limits.maxRecipients) return reply(452, "4.5.3", `too many recipients: at most ${this.limits.maxRecipients} per message`);
    const domain = to.split("@")[1].toLowerCase();
    const local = this.config.localDomains.some((d) => d.toLowerCase() === domain);
    if (!local && !this.user) return reply(550, "5.7.1", `relaying denied: ${domain} is not served here (authenticate to send through this server)`);
    if (local && this.config.isLocalUser && !this.config.isLocalUser(to)) return reply(550, "5.1.1", `no such user: ${to}`);
    this.rcptTo.push(to);
    return reply(250, "2.1.5", "recipient OK");
  }

  private auth(arg: string): SmtpReply | undefined {
    if (!this.config.auth) return this.bad(502, "5.5.1", "AUTH is not offered here");
    if (this.user) return this.bad(503, "5.5.1", "already authenticated");
    if (this.config.authNeedsTls && !this.secure) return reply(538, "5.7.11", "encryption required: send STARTTLS first, so the password is not sent in the clear");
    if (this.mailFrom !== undefined) return this.bad(503, "5.5.1", "AUTH is not allowed during a transaction");
    const [mech, initial] = arg.split(" ");
    if (mech?.toUpperCase() !== "PLAIN") return this.bad(504, "5.5.4", "only AUTH PLAIN is offered");
    if (initial === undefined) {
      this.phase = "auth";
      return reply(334, undefined, "");
    }
    return this.checkPlain(initial).replies[0];
  }

  private authResponse(line: string): { replies: SmtpReply[]; close?: boolean } {
    this.phase = "command";
    if (line === "*") return { replies: [reply(501, "5.0.0", "authentication cancelled")] };
    return this.checkPlain(line);
  }

  /** RFC 4616: base64 of authzid \0 user \0 password. The verdict comes from the adapter. */
  private checkPlain(b64: string): { replies: SmtpReply[] } {
    const parts = /^[A-Za-z0-9+/]+=*$/.test(b64) ? Buffer.from(b64, "base64").toString("utf8").split("\u0000") : [];
    if (parts.length !== 3) return { replies: [this.bad(501, "5.5.2", "AUTH PLAIN needs base64 of \\0user\\0password")] };
    this.pendingAuth = { user: parts[1], password: parts[2] };
    return { replies: [] };
  }

  /** One step of reading the message: a line, or the end, or undefined if more bytes are needed. */
  private dataStep(): { replies: SmtpReply[]; deliver?: SessionOutput["deliver"] } | undefined {
    const end = this.buffer.indexOf(CRLF);
    if (end < 0) {
      if (this.buffer.length > MAX_TEXT_LINE) {
        // Keep counting, drop the bytes: the verdict comes at the end of the data.
        this.dataProblem ??= reply(554, "5.6.0", `a line longer than ${MAX_TEXT_LINE} octets (RFC 5321 §4.5.3.1.6)`);
        this.dataSize += this.buffer.length;
        this.buffer = Buffer.alloc(0);
      }
      return undefined;
    }
    const line = this.buffer.subarray(0, end);
    this.buffer = this.buffer.subarray(end + 2);
    if (line.length === 1 && line[0] === 0x2e) return this.endOfData();
    // RFC 5321 §4.5.2: a leading dot was doubled by the sender; remove one.
    const text = line[0] === 0x2e ? line.subarray(1) : line;
    this.dataSize += text.length + 2;
    if (line.length + 2 > MAX_TEXT_LINE) this.dataProblem ??= reply(554, "5.6.0", `a line longer than ${MAX_TEXT_LINE} octets (RFC 5321 §4.5.3.1.6)`);
    if (text.includes(0x0a) || text.includes(0x0d)) {
      // A bare LF or CR: some servers take "\n.\n" for the end of data. Refusing it closes the smuggling door.
      this.dataProblem ??= reply(554, "5.6.0", "message contains a bare CR or LF; every line must end in CRLF (RFC 5321 §2.3.8)");
    }
    if (!this.eightBit && text.some((b) => b > 0x7f)) {
      this.dataProblem ??= reply(554, "5.6.3", "8-bit data in a 7-bit message: declare BODY=8BITMIME (RFC 6152) or encode it (MIME)");
    }
    if (this.dataSize > this.limits.maxMessageSize) {
      this.dataProblem = reply(552, "5.3.4", `message too big: the limit is ${this.limits.maxMessageSize} bytes`);
    } else {
      this.data.push(text, CRLF);
    }
    return { replies: [] };
  }

  private endOfData(): { replies: SmtpReply[]; deliver?: SessionOutput["deliver"] } {
    this.phase = "command";
    if (this.dataProblem) {
      const problem = this.dataProblem;
      this.resetTransaction();
      return { replies: [problem] };
    }
    if (this.config.failAt?.step === "message") {
      this.resetTransaction();
      return { replies: [this.config.failAt.reply] };
    }
    const envelope: Envelope = { helo: this.helo!, mailFrom: this.mailFrom!, rcptTo: [...this.rcptTo], eightBit: this.eightBit, authenticatedAs: this.user };
    return { replies: [], deliver: { envelope, message: Buffer.concat(this.data) } };
  }

  private resetTransaction(): void {
    this.mailFrom = undefined;
    this.rcptTo = [];
    this.eightBit = false;
    this.data = [];
    this.dataSize = 0;
    this.dataProblem = undefined;
  }
}
