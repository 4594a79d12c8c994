import { Folder } from "../mailstore/folder";
import { MAX_IMAP_BAD_COMMANDS } from "./limits";
import { MailAccess } from "../mailstore/maildir";
import { isAppLayerError } from "../errors";
import { IMAP_COMMANDS, requireState } from "./commands";
import { requireFolder } from "./folders";
import { Continue, Refusal, bad, no } from "./refusal";
import { SYSTEM_FLAGS, Target } from "./selected";
import { FrameEvent, ImapSyntaxError, ImapValue, parseSequenceSet, tagOf, tokenize } from "./syntax";

/** What the session asks its adapter to do: send this text (one character per byte), maybe close. */
export interface ImapOutput {
  text: string;
  close?: boolean;
  /** STARTTLS was accepted: after `text`, the adapter starts TLS on the connection, then calls `tlsStarted()`. */
  startTls?: boolean;
}

/** TLS on the session's connection (the adapter holds the certificate). */
export interface ImapTlsConfig {
  /** Offer STARTTLS (RFC 9051 §6.2.1). */
  starttls?: boolean;
  /** Refuse LOGIN and AUTHENTICATE until TLS is on, and say LOGINDISABLED (RFC 9051 §6.2.3). */
  requireTls?: boolean;
}

/** The capabilities we speak (RFC 9051's IMAP4rev1 core, plus small extensions). */
export const IMAP_CAPABILITIES = ["IMAP4rev1", "LITERAL+", "SASL-IR", "AUTH=PLAIN", "IDLE", "MOVE", "UIDPLUS", "UNSELECT", "ID"];

/** Where a session is in RFC 9051 §3's state diagram; each command is allowed in some of them. */
export type ImapState = "not-authenticated" | "authenticated" | "selected" | "logout";

/**
 * One IMAP connection (RFC 9051/3501 subset), apart from the socket: the adapter
 * frames the input with ImapFramer and hands each line to `handle`, which returns
 * the untagged data and the tagged completion to send.
 *
 * State is kept on the server — folders, flags, what was deleted — which is the
 * difference from POP3's download-and-delete. Message sequence numbers are this
 * session's view; UIDs are the folder's and last.
 *
 * @example
 * const s = new ImapSession(access);
 * s.greeting();                                            // * OK [CAPABILITY …] ready
 * await s.handle({ kind: "line", text: 'a1 LOGIN bob "bobpass"', literals: [] });
 */
export class ImapSession {
  // What the commands (commands.ts, folders.ts, selected.ts) read and change: the session's state, not an API.
  /** @internal */ state: ImapState = "not-authenticated";
  /** @internal */ user: string | undefined;
  /** @internal */ folder: Folder | undefined;
  /** @internal */ folderName = "";
  /** @internal */ readOnly = false;
  /** @internal UIDs in sequence-number order: this session's view of the selected folder. */
  view: number[] = [];
  /** @internal The tag of the IDLE in progress. */
  idling: string | undefined;
  /** @internal The tag of the AUTHENTICATE waiting for its response line. */
  authenticating: string | undefined;
  /** @internal STARTTLS was accepted: the adapter starts TLS after the reply. */
  pendingTls = false;
  /** @internal The response code of the tagged OK (READ-WRITE, APPENDUID …), set by the command. */
  lastCode = "";
  private badCount = 0;
  private secure = false;

  constructor(
    /** @internal */ readonly access: MailAccess,
    /** @internal */ readonly tls: ImapTlsConfig = {},
  ) {}

  greeting(): string {
    return `* OK [CAPABILITY ${this.capabilities()}] ${this.access.hostname} IMAP server ready\r\n`;
  }

  /**
   * What CAPABILITY lists now. Before TLS, STARTTLS when offered (RFC 9051 §6.2.1); when passwords need TLS,
   * LOGINDISABLED and no AUTH=PLAIN (§6.2.3), so a client knows to upgrade first. The list changes with TLS,
   * so a client asks again after it (§6.2.1).
   */
  capabilities(): string {
    if (!this.tls.starttls || this.secure || this.state !== "not-authenticated") return IMAP_CAPABILITIES.join(" ");
    const caps = [...IMAP_CAPABILITIES, "STARTTLS"];
    return (this.tls.requireTls ? [...caps.filter((c) => c !== "AUTH=PLAIN"), "LOGINDISABLED"] : caps).join(" ");
  }

  /** The adapter finished the TLS handshake that STARTTLS asked for. */
  tlsStarted(): void {
    this.secure = true;
  }

  get encrypted(): boolean {
    return this.secure;
  }

  /** Is the client in IDLE (the adapter then pushes `updates()` as mail arrives)? */
  get isIdle(): boolean {
    return this.idling !== undefined;
  }

  get isLoggedOut(): boolean {
    return this.state === "logout";
  }

  /** A line (with its literals) or a framing error from the adapter's ImapFramer. */
  async handle(event: FrameEvent): Promise<ImapOutput> {
    if (this.state === "logout") return { text: "", close: true };
    if (event.kind === "continue") return { text: "+ go ahead\r\n" };
    if (event.kind === "error") {
      if (event.fatal) return { text: `* BYE ${event.text}\r\n`, close: true };
      return this.refused(event.tag ?? "*", bad(event.text));
    }
    if (this.idling !== undefined) return this.endIdle(event.text);
    if (this.authenticating !== undefined) return this.finishAuthenticate(event.text);
    let tag = tagOf(event.text) ?? "*";
    try {
      const tokens = tokenize(event.text, event.literals);
      if (typeof tokens[0] !== "string" || !/^[^\s(){%*"\\\]\x00-\x1f\x7f+]+$/.test(tokens[0])) throw bad("a command starts with a tag (letters and digits, like a1), then the command");
      tag = tokens[0];
      if (typeof tokens[1] !== "string") throw bad("a tag must be followed by a command, like a1 CAPABILITY");
      const name = tokens[1].toUpperCase();
      const untagged = await this.command(tag, name, tokens.slice(2));
      const out: ImapOutput = { text: `${untagged}${tag}${this.completion(name)}`, close: (this.state as ImapState) === "logout" };
      if (this.pendingTls) {
        this.pendingTls = false;
        out.startTls = true;
      }
      return out;
    } catch (e) {
      if (e instanceof Continue) return { text: e.text }; // IDLE or AUTHENTICATE: now the client speaks
      if (e instanceof Refusal) return this.refused(tag, e);
      if (e instanceof ImapSyntaxError) return this.refused(tag, bad(e.message));
      return { text: `${tag} NO [SERVERBUG] ${(e as Error).message.replace(/\r?\n/g, " ")}\r\n` };
    }
  }

  /** The tagged OK, with a response code if the command left one (READ-WRITE, APPENDUID …). */
  private completion(command: string): string {
    const code = this.lastCode;
    this.lastCode = "";
    return ` OK ${code ? `[${code}] ` : ""}${command} completed\r\n`;
  }

  private refused(tag: string, e: Refusal): ImapOutput {
    this.lastCode = "";
    if (e.status === "BAD" && ++this.badCount >= MAX_IMAP_BAD_COMMANDS) {
      return { text: `${tag} BAD ${e.message}\r\n* BYE too many bad commands (${MAX_IMAP_BAD_COMMANDS}); closing\r\n`, close: true };
    }
    return { text: `${tag} ${e.status} ${e.message}\r\n` };
  }

  /** RFC 9051 §6: the command's entry in the table, run once its state allows it. */
  private async command(tag: string, name: string, args: ImapValue[]): Promise<string> {
    const command = Object.hasOwn(IMAP_COMMANDS, name) ? IMAP_COMMANDS[name] : undefined;
    if (!command) throw bad(`unknown command ${name.slice(0, 20)}; try CAPABILITY`);
    command.before?.(this);
    requireState(this.state, name, command.states);
    return command.run(this, { tag, name, args });
  }

  // --- authentication --------------------------------------------------------------

  /** @internal RFC 9051 §6.2.3 (LOGINDISABLED), §7.1 PRIVACYREQUIRED: no password in the clear when TLS is required. */
  passwordAllowed(): void {
    if (this.tls.requireTls && !this.secure) throw no("[PRIVACYREQUIRED] passwords are taken only over TLS: send STARTTLS first");
  }

  /** @internal LOGIN (RFC 9051 §6.2.3), and AUTHENTICATE's last step. */
  async login(user: string, password: string): Promise<string> {
    const name = user.split("@")[0].toLowerCase();
    const ok = /^[A-Za-z0-9._+-]+$/.test(name) &&
      (await this.access.checkPassword(name, password).catch((e) => {
        // RFC 5530 §3: LIMIT, the server enforces a limit (here: failed logins); the client should try later.
        if (isAppLayerError(e, "LOGIN_THROTTLED")) throw no(`[LIMIT] ${e.message}`);
        throw e;
      }));
    if (!ok) throw no("[AUTHENTICATIONFAILED] wrong user name or password");
    this.user = name;
    this.state = "authenticated";
    this.lastCode = `CAPABILITY ${this.capabilities()}`;
    return "";
  }

  /** @internal SASL PLAIN (RFC 4616): base64 of authzid \0 user \0 password. */
  plain(b64: string): Promise<string> {
    const parts = /^[A-Za-z0-9+/]+=*$/.test(b64) ? Buffer.from(b64, "base64").toString("utf8").split("\u0000") : [];
    if (parts.length !== 3) throw bad("AUTHENTICATE PLAIN wants base64 of \\0user\\0password");
    return this.login(parts[1], parts[2]);
  }

  private async finishAuthenticate(line: string): Promise<ImapOutput> {
    const tag = this.authenticating!;
    this.authenticating = undefined;
    if (line === "*") return { text: `${tag} BAD authentication cancelled\r\n` };
    try {
      return { text: `${await this.plain(line)}${tag}${this.completion("AUTHENTICATE")}` };
    } catch (e) {
      return this.refused(tag, e as Refusal);
    }
  }

  // --- folders ---------------------------------------------------------------------

  /** @internal SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3): the folder becomes this session's view. */
  async select(name: string, readOnly: boolean): Promise<string> {
    this.release();
    this.state = "authenticated";
    await requireFolder(this, name);
    const folder = await this.access.mailboxes.folder(this.user!, name);
    await folder.refresh();
    this.folder = folder;
    this.folderName = name.toUpperCase() === "INBOX" ? "INBOX" : name;
    this.readOnly = readOnly;
    this.view = folder.messages.map((m) => m.uid);
    this.state = "selected";
    const recent = folder.messages.filter((m) => m.recent);
    if (!readOnly) for (const m of recent) m.recent = false; // \Recent is seen by one session only
    const firstUnseen = folder.messages.findIndex((m) => !m.flags.has("\\Seen"));
    this.lastCode = readOnly ? "READ-ONLY" : "READ-WRITE";
    return [
      `* FLAGS (${SYSTEM_FLAGS})`,
      `* OK [PERMANENTFLAGS (${readOnly ? "" : SYSTEM_FLAGS})] flags kept on the server`,
      `* ${this.view.length} EXISTS`,
      `* ${recent.length} RECENT`,
      ...(firstUnseen >= 0 ? [`* OK [UNSEEN ${firstUnseen + 1}] first unseen`] : []),
      `* OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`,
      `* OK [UIDNEXT ${folder.uidNext}] predicted next UID`,
      "",
    ].join("\r\n");
  }

  // --- the selected folder ---------------------------------------------------------

  /** @internal Forgets the selected folder. */
  release(): void {
    this.folder = undefined;
    this.view = [];
  }

  /**
   * Tells the client what changed in the folder since it last looked: new mail
   * (EXISTS, RECENT) and, when allowed, messages gone (EXPUNGE). RFC 9051 §7.5.1
   * forbids EXPUNGE responses during FETCH, STORE and SEARCH: sequence numbers
   * must not shift under a command that uses them.
   */
  async updates(allowExpunge: boolean): Promise<string> {
    if (this.state !== "selected" || !this.folder) return "";
    await this.folder.refresh();
    const present = new Set(this.folder.messages.map((m) => m.uid));
    let out = "";
    if (allowExpunge) {
      for (let i = this.view.length - 1; i >= 0; i--) {
        if (!present.has(this.view[i])) {
          out += `* ${i + 1} EXPUNGE\r\n`;
          this.view.splice(i, 1);
        }
      }
    }
    const last = this.view.length ? this.view[this.view.length - 1] : 0;
    const arrived = this.folder.messages.filter((m) => m.uid > last);
    if (arrived.length) {
      this.view.push(...arrived.map((m) => m.uid));
      out += `* ${this.view.length} EXISTS\r\n* ${arrived.filter((m) => m.recent).length} RECENT\r\n`;
      if (!this.readOnly) for (const m of arrived) m.recent = false;
    }
    return out;
  }

  /** @internal The messages a sequence set (or UID set) names, in order. */
  async targets(set: ImapValue | undefined, uid: boolean): Promise<Target[]> {
    if (typeof set !== "string") throw bad("a sequence set is missing (like 1:*, or 2,4:6)");
    const byUid = new Map(this.folder!.messages.map((m) => [m.uid, m]));
    const largest = uid ? this.view[this.view.length - 1] ?? 0 : this.view.length;
    const wanted = parseSequenceSet(set, largest);
    const out: Target[] = [];
    this.view.forEach((u, i) => {
      const m = byUid.get(u);
      if (m && wanted(uid ? u : i + 1)) out.push({ seq: i + 1, message: m });
    });
    return out;
  }

  // --- IDLE ---------------------------------------------------------------------------

  private async endIdle(line: string): Promise<ImapOutput> {
    const tag = this.idling!;
    this.idling = undefined;
    if (line.toUpperCase() !== "DONE") return this.refused(tag, bad("IDLE ends with DONE"));
    return { text: `${await this.updates(true)}${tag} OK IDLE terminated\r\n` };
  }

  /** While idling: what to push now (new mail, expunges), or "". */
  idleUpdates(): Promise<string> {
    return this.idling === undefined ? Promise.resolve("") : this.updates(true);
  }
}
