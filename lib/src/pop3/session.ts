import { Folder, StoredMessage } from "../mailstore/folder";
import { MAX_POP3_LINE } from "./limits";
import { MailAccess } from "../mailstore/maildir";
import { MAX_BAD_COMMANDS } from "../smtp/limits";
import { findControlByte } from "../net/framing";
import { isAppLayerError } from "../errors";

/** What the session asks its adapter to do: send this text, and maybe close. */
export interface Pop3Output {
  /** One character per byte: write it as Latin-1, so a message's 8-bit bytes pass unchanged. */
  text: string;
  close?: boolean;
  /** STLS was accepted: after `text`, the adapter starts TLS on the connection, then calls `tlsStarted()`. */
  startTls?: boolean;
}

/** TLS on the session's connection (the adapter holds the certificate). */
export interface Pop3TlsConfig {
  /** Offer STLS (RFC 2595 §4). */
  stls?: boolean;
  /** Refuse USER and PASS until TLS is on, and leave USER out of CAPA (RFC 2595 §4). */
  requireTls?: boolean;
}

type State = "authorization" | "transaction" | "closed";

/** The maildrops (directories) open in some session: RFC 1939 §8 asks for an exclusive lock. */
const locked = new Set<string>();

const ok = (text = "") => `+OK${text ? ` ${text}` : ""}\r\n`;
const err = (text: string) => `-ERR ${text}\r\n`;

/** A multi-line reply (RFC 1939 §3): lines starting with "." get one more, and "." alone ends it. */
export function multiline(first: string, body: string | Buffer): string {
  const text = (typeof body === "string" ? body : body.toString("latin1")).replace(/\r?\n/g, "\r\n");
  const stuffed = text.replace(/(^|\r\n)\./g, "$1..");
  return `+OK ${first}\r\n${stuffed}${stuffed === "" || stuffed.endsWith("\r\n") ? "" : "\r\n"}.\r\n`;
}

/**
 * One POP3 connection (RFC 1939), apart from the socket: `handle(line)` returns
 * the reply. Authorization (USER, PASS), then the transaction state on a snapshot
 * of the INBOX (STAT, LIST, RETR, TOP, UIDL, DELE, RSET, NOOP), then at QUIT the
 * update state removes what was marked deleted. POP3 is "download and delete":
 * no folders, no flags kept on the server — the contrast with IMAP.
 *
 * @example
 * const s = new Pop3Session(access);
 * s.greeting();                 // "+OK POP3 ready"
 * await s.handle("USER bob");   // "+OK"
 */
export class Pop3Session {
  private state: State = "authorization";
  private user: string | undefined;
  private folder: Folder | undefined;
  private messages: StoredMessage[] = [];
  private deleted = new Set<number>();
  private bad = 0;
  private secure = false;

  constructor(
    private readonly access: MailAccess,
    private readonly tls: Pop3TlsConfig = {},
  ) {}

  /** The adapter finished the TLS handshake that STLS asked for. */
  tlsStarted(): void {
    this.secure = true;
  }

  get encrypted(): boolean {
    return this.secure;
  }

  /** CAPA (RFC 2449): STLS while it can still be used; USER only where a password may be sent (RFC 2595 §4). */
  private capabilities(): string {
    const plainLogin = !this.tls.requireTls || this.secure;
    const stls = this.tls.stls && !this.secure && this.state === "authorization";
    return [...(plainLogin ? ["USER"] : []), "UIDL", "TOP", "RESP-CODES", "PIPELINING", ...(stls ? ["STLS"] : [])].map((c) => `${c}\r\n`).join("");
  }

  greeting(): string {
    return ok(`${this.access.hostname} POP3 server ready`);
  }

  /** One command line (without CRLF) → the reply. */
  async handle(line: string): Promise<Pop3Output> {
    if (this.state === "closed") return { text: "", close: true };
    if (Buffer.byteLength(line) + 2 > MAX_POP3_LINE) return this.refuse(`command line longer than ${MAX_POP3_LINE} octets (RFC 1939 §3)`);
    // RFC 1939 §3: keywords and arguments are printable ASCII. A bare CR or LF, NUL, TAB, DEL… is refused, not split on.
    const control = findControlByte(line);
    if (control) return this.refuse(`control byte 0x${control.byte.toString(16).padStart(2, "0")} in a command: keywords and arguments are printable characters (RFC 1939 §3)`);
    const [verb = "", ...args] = line.split(" ");
    const command = verb.toUpperCase();
    if (command === "QUIT") return this.quit();
    if (command === "CAPA") return { text: multiline("capability list follows", this.capabilities()) };
    if (command === "STLS") return this.stls();
    if (this.state === "authorization") return this.authorization(command, args);
    return this.transaction(command, args);
  }

  private refuse(text: string): Pop3Output {
    if (++this.bad >= MAX_BAD_COMMANDS) {
      this.release();
      return { text: err(`too many bad commands (${MAX_BAD_COMMANDS}); closing`), close: true };
    }
    return { text: err(text) };
  }

  /** RFC 2595 §4: STLS only in the AUTHORIZATION state, once; "-ERR" when TLS is already on. */
  private stls(): Pop3Output {
    if (this.secure) return this.refuse("TLS is already active");
    if (!this.tls.stls) return this.refuse("STLS is not offered here");
    if (this.state !== "authorization") return this.refuse("STLS is allowed only before login");
    return { text: ok("begin TLS negotiation"), startTls: true };
  }

  private async authorization(command: string, args: string[]): Promise<Pop3Output> {
    // RFC 2595 §4 (and §2.3's "no password in the clear" configuration): USER and PASS only over TLS when required.
    if ((command === "USER" || command === "PASS") && this.tls.requireTls && !this.secure) return this.refuse(`${command} needs TLS first: send STLS`);
    if (command === "USER" && args.length === 1 && args[0]) {
      this.user = args[0].split("@")[0].toLowerCase();
      return { text: ok(`send PASS for ${this.user}`) };
    }
    if (command === "PASS") {
      const user = this.user;
      if (!user) return this.refuse("send USER first");
      this.user = undefined;
      const verdict = await this.access.checkPassword(user, args.join(" ")).catch((e) => {
        if (isAppLayerError(e, "LOGIN_THROTTLED")) return e.message;
        throw e;
      });
      // RFC 3206 §4: SYS/TEMP, a temporary refusal that may succeed later (the lockout ends).
      if (typeof verdict === "string") return this.refuse(`[SYS/TEMP] ${verdict}`);
      if (!verdict) return this.refuse("[AUTH] wrong user name or password");
      const drop = this.access.mailboxes.dir(user);
      if (locked.has(drop)) return { text: err("[IN-USE] the maildrop is open in another session") };
      locked.add(drop);
      this.user = user;
      this.folder = await this.access.mailboxes.folder(user, "INBOX");
      await this.folder.refresh();
      this.messages = [...this.folder.messages];
      this.state = "transaction";
      return { text: ok(`${user}'s maildrop has ${this.messages.length} messages (${this.octets()} octets)`) };
    }
    return this.refuse(command ? `${command} is not allowed before login: use USER and PASS` : "empty command");
  }

  private octets(): number {
    return this.messages.reduce((n, m, i) => n + (this.deleted.has(i) ? 0 : m.size), 0);
  }

  /** The message named by a 1-based number, if it exists and is not deleted. */
  private pick(arg: string | undefined): { index: number; message: StoredMessage } | string {
    const n = Number(arg);
    if (!arg || !/^\d+$/.test(arg) || n < 1 || n > this.messages.length) return `no message ${arg ?? "(missing number)"}; there are ${this.messages.length}`;
    if (this.deleted.has(n - 1)) return `message ${n} is deleted`;
    return { index: n - 1, message: this.messages[n - 1] };
  }

  private live(): Array<[number, StoredMessage]> {
    return this.messages.map((m, i) => [i, m] as [number, StoredMessage]).filter(([i]) => !this.deleted.has(i));
  }

  private uidl(m: StoredMessage): string {
    return `${this.folder!.uidValidity}.${m.uid}`;
  }

  private async transaction(command: string, args: string[]): Promise<Pop3Output> {
    switch (command) {
      case "STAT":
        return { text: ok(`${this.live().length} ${this.octets()}`) };
      case "LIST":
      case "UIDL": {
        const show = (i: number, m: StoredMessage) => `${i + 1} ${command === "LIST" ? m.size : this.uidl(m)}`;
        if (args[0] !== undefined) {
          const p = this.pick(args[0]);
          return typeof p === "string" ? this.refuse(p) : { text: ok(show(p.index, p.message)) };
        }
        return { text: multiline(`${this.live().length} messages`, this.live().map(([i, m]) => `${show(i, m)}\r\n`).join("")) };
      }
      case "RETR":
      case "TOP": {
        const p = this.pick(args[0]);
        if (typeof p === "string") return this.refuse(p);
        const bytes = await this.folder!.read(p.message);
        if (command === "RETR") return { text: multiline(`${bytes.length} octets`, bytes) };
        const lines = Number(args[1]);
        if (!/^\d+$/.test(args[1] ?? "")) return this.refuse("TOP wants a message number and a count of body lines");
        const text = bytes.toString("latin1");
        const end = text.search(/\r?\n\r?\n/);
        const head = end < 0 ? text : text.slice(0, end);
        const body = end < 0 ? [] : text.slice(end).replace(/^\r?\n\r?\n/, "").split(/\r?\n/).slice(0, lines);
        return { text: multiline("top of message follows", `${head}\r\n\r\n${body.join("\r\n")}`) };
      }
      case "DELE": {
        const p = this.pick(args[0]);
        if (typeof p === "string") return this.refuse(p);
        this.deleted.add(p.index);
        return { text: ok(`message ${p.index + 1} deleted (for good at QUIT)`) };
      }
      case "RSET":
        this.deleted.clear();
        return { text: ok(`${this.messages.length} messages undeleted`) };
      case "NOOP":
        return { text: ok() };
      default:
        return this.refuse(`unknown command ${command || "(empty)"}; try STAT, LIST, RETR, DELE, UIDL, TOP, RSET, QUIT`);
    }
  }

  /** QUIT: in the transaction state, the update state removes the deleted messages (RFC 1939 §6). */
  private async quit(): Promise<Pop3Output> {
    let removed = 0;
    if (this.state === "transaction") {
      removed = (await this.folder!.remove(this.messages.filter((_, i) => this.deleted.has(i)))).length;
    }
    this.release();
    return { text: ok(`${this.access.hostname} signing off${removed ? ` (${removed} messages removed)` : ""}`), close: true };
  }

  /** The connection ended (QUIT, or dropped): without QUIT nothing is deleted (RFC 1939 §6). */
  release(): void {
    if (this.state === "transaction" && this.user) locked.delete(this.access.mailboxes.dir(this.user));
    this.state = "closed";
  }
}
