import { FOLDER_IO_PARALLEL, Folder, MAILDIR_FLAGS, StoredMessage } from "../mailstore/folder";
import { MAX_IMAP_BAD_COMMANDS } from "./limits";
import { MailAccess } from "../mailstore/maildir";
import { isAppLayerError } from "../errors";
import { parseMessage } from "../message/message";
import { FetchItem, bodyStructure, envelope, needsBytes, parseFetchItems, sectionResponse } from "./fetch";
import { FrameEvent, ImapSyntaxError, ImapValue, formatSequenceSet, imapDateTime, imapString, parseImapDate, parseSequenceSet, tagOf, tokenize } from "./syntax";

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

const SYSTEM_FLAGS = Object.values(MAILDIR_FLAGS).join(" ");
const SPECIAL_USE: Record<string, string> = { sent: "\\Sent", trash: "\\Trash", drafts: "\\Drafts", junk: "\\Junk", archive: "\\Archive" };

type State = "not-authenticated" | "authenticated" | "selected" | "logout";

/** A command failed in the way RFC 9051 names: NO (could not do it) or BAD (malformed). */
class Refusal extends Error {
  constructor(readonly status: "NO" | "BAD", text: string) {
    super(text);
  }
}
const no = (text: string) => new Refusal("NO", text);
const bad = (text: string) => new Refusal("BAD", text);

const str = (v: ImapValue | undefined, what: string): string => {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  throw bad(`${what} is missing or not a string`);
};

/** One message as a command sees it: its number in this session, and the stored message. */
interface Target {
  seq: number;
  message: StoredMessage;
}

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
  private state: State = "not-authenticated";
  private user: string | undefined;
  private folder: Folder | undefined;
  private folderName = "";
  private readOnly = false;
  /** UIDs in sequence-number order: this session's view of the selected folder. */
  private view: number[] = [];
  private idling: string | undefined;
  private authenticating: string | undefined;
  private badCount = 0;
  private secure = false;
  private pendingTls = false;

  constructor(
    private readonly access: MailAccess,
    private readonly tls: ImapTlsConfig = {},
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
      const out: ImapOutput = { text: `${untagged}${tag}${this.completion(name)}`, close: (this.state as State) === "logout" };
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

  private lastCode = "";

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

  private async command(tag: string, name: string, args: ImapValue[]): Promise<string> {
    const need = (...states: State[]) => {
      if (!states.includes(this.state)) {
        throw bad(this.state === "not-authenticated" ? `${name} needs LOGIN first` : `${name} needs a selected folder (SELECT or EXAMINE first)`);
      }
    };
    switch (name) {
      case "CAPABILITY":
        return `* CAPABILITY ${this.capabilities()}\r\n`;
      case "STARTTLS":
        // RFC 9051 §6.2.1: only before login, once; a second STARTTLS (TLS already on) is BAD.
        if (this.secure) throw bad("TLS is already active");
        if (!this.tls.starttls) throw bad("STARTTLS is not offered here");
        need("not-authenticated");
        this.pendingTls = true;
        this.lastCode = "";
        return "";
      case "NOOP":
      case "CHECK":
        return this.updates(true);
      case "ID":
        return `* ID ("name" "applayer")\r\n`;
      case "LOGOUT":
        this.release();
        this.state = "logout";
        return `* BYE ${this.access.hostname} logging out\r\n`;
      case "LOGIN":
        need("not-authenticated");
        this.passwordAllowed();
        return this.login(str(args[0], "the user name"), str(args[1], "the password"));
      case "AUTHENTICATE":
        need("not-authenticated");
        this.passwordAllowed();
        if (str(args[0], "the mechanism").toUpperCase() !== "PLAIN") throw no("only AUTHENTICATE PLAIN is offered");
        if (args[1] === undefined) {
          this.authenticating = tag;
          throw new Continue();
        }
        return this.plain(str(args[1], "the initial response"));
      case "SELECT":
      case "EXAMINE":
        need("authenticated", "selected");
        return this.select(str(args[0], "the folder name"), name === "EXAMINE");
      case "CREATE":
        need("authenticated", "selected");
        return this.create(str(args[0], "the folder name"));
      case "DELETE":
        need("authenticated", "selected");
        return this.remove(str(args[0], "the folder name"));
      case "RENAME":
        need("authenticated", "selected");
        return this.rename(str(args[0], "the old name"), str(args[1], "the new name"));
      case "SUBSCRIBE":
      case "UNSUBSCRIBE":
        need("authenticated", "selected");
        return "";
      case "LIST":
      case "LSUB":
        need("authenticated", "selected");
        return this.list(name, str(args[0], "the reference"), str(args[1], "the pattern"));
      case "STATUS":
        need("authenticated", "selected");
        return this.status(str(args[0], "the folder name"), args[1]);
      case "APPEND":
        need("authenticated", "selected");
        return this.append(args);
      case "CLOSE":
      case "UNSELECT":
        need("selected");
        if (name === "CLOSE" && !this.readOnly) await this.expunge(undefined, false);
        this.release();
        this.state = "authenticated";
        return "";
      case "EXPUNGE":
        need("selected");
        return this.expunge(undefined, true);
      case "IDLE":
        need("authenticated", "selected");
        this.idling = tag;
        throw new Continue("+ idling\r\n");
      case "UID": {
        need("selected");
        const sub = str(args[0], "the UID command").toUpperCase();
        if (!["FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE"].includes(sub)) throw bad(`UID ${sub} is not a UID command (FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE)`);
        return this.selected(sub, args.slice(1), true);
      }
      case "FETCH":
      case "STORE":
      case "SEARCH":
      case "COPY":
      case "MOVE":
        need("selected");
        return this.selected(name, args, false);
      default:
        throw bad(`unknown command ${name.slice(0, 20)}; try CAPABILITY`);
    }
  }

  private async selected(name: string, args: ImapValue[], uid: boolean): Promise<string> {
    switch (name) {
      case "FETCH":
        return this.fetch(await this.targets(args[0], uid), parseFetchItems(args[1]), uid);
      case "STORE":
        return this.store(await this.targets(args[0], uid), args.slice(1), uid);
      case "SEARCH":
        return this.search(args, uid);
      case "COPY":
      case "MOVE":
        return this.copy(await this.targets(args[0], uid), str(args[1], "the destination folder"), name === "MOVE");
      default: // UID EXPUNGE
        return this.expunge(await this.targets(args[0], true), true);
    }
  }

  // --- authentication --------------------------------------------------------------

  /** RFC 9051 §6.2.3 (LOGINDISABLED), §7.1 PRIVACYREQUIRED: no password in the clear when TLS is required. */
  private passwordAllowed(): void {
    if (this.tls.requireTls && !this.secure) throw no("[PRIVACYREQUIRED] passwords are taken only over TLS: send STARTTLS first");
  }

  private async login(user: string, password: string): Promise<string> {
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

  /** SASL PLAIN (RFC 4616): base64 of authzid \0 user \0 password. */
  private plain(b64: string): Promise<string> {
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

  private mailboxes() {
    return this.access.mailboxes;
  }

  private async requireFolder(name: string): Promise<void> {
    if (!(await this.exists(name))) throw no(`[NONEXISTENT] no folder "${name}" (LIST "" "*" shows them)`);
  }

  private async exists(name: string): Promise<boolean> {
    try {
      return await this.mailboxes().hasFolder(this.user!, name);
    } catch (e) {
      throw no((e as Error).message);
    }
  }

  private async select(name: string, readOnly: boolean): Promise<string> {
    this.release();
    this.state = "authenticated";
    await this.requireFolder(name);
    const folder = await this.mailboxes().folder(this.user!, name);
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

  private async create(name: string): Promise<string> {
    const clean = name.replace(/\.$/, "");
    if (clean.toUpperCase() === "INBOX" || (await this.exists(clean))) throw no(`[ALREADYEXISTS] "${clean}" exists already`);
    try {
      await this.mailboxes().createFolder(this.user!, clean);
    } catch (e) {
      throw no((e as Error).message);
    }
    return "";
  }

  private async remove(name: string): Promise<string> {
    if (name.toUpperCase() === "INBOX") throw no("INBOX cannot be deleted");
    await this.requireFolder(name);
    if (this.state === "selected" && this.folderName === name) {
      this.release();
      this.state = "authenticated";
    }
    await this.mailboxes().deleteFolder(this.user!, name);
    return "";
  }

  private async rename(from: string, to: string): Promise<string> {
    if (from.toUpperCase() === "INBOX") throw no("renaming INBOX is not supported here");
    await this.requireFolder(from);
    if (await this.exists(to)) throw no(`[ALREADYEXISTS] "${to}" exists already`);
    try {
      await this.mailboxes().renameFolder(this.user!, from, to);
    } catch (e) {
      throw no((e as Error).message);
    }
    return "";
  }

  private async list(command: string, reference: string, pattern: string): Promise<string> {
    if (pattern === "") return `* ${command} (\\Noselect) "." ""\r\n`;
    const full = reference + pattern;
    const re = new RegExp(`^${full.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/%/g, "[^.]*")}$`, "i");
    const names = (await this.mailboxes().folders(this.user!)).filter((n) => re.test(n));
    return names
      .map((n) => {
        const children = names.some((o) => o.startsWith(`${n}.`));
        const attrs = [children ? "\\HasChildren" : "\\HasNoChildren", SPECIAL_USE[n.toLowerCase()]].filter(Boolean);
        return `* ${command} (${attrs.join(" ")}) "." ${imapString(n)}\r\n`;
      })
      .join("");
  }

  private async status(name: string, items: ImapValue | undefined): Promise<string> {
    if (!Array.isArray(items) || !items.length) throw bad("STATUS wants a folder and a list, like STATUS INBOX (MESSAGES UNSEEN)");
    await this.requireFolder(name);
    const folder = await this.mailboxes().folder(this.user!, name);
    await folder.refresh();
    const values: Record<string, number> = {
      MESSAGES: folder.messages.length,
      RECENT: folder.messages.filter((m) => m.recent).length,
      UIDNEXT: folder.uidNext,
      UIDVALIDITY: folder.uidValidity,
      UNSEEN: folder.messages.filter((m) => !m.flags.has("\\Seen")).length,
      SIZE: folder.messages.reduce((n, m) => n + m.size, 0),
    };
    const out = items.map((i) => {
      const key = String(i).toUpperCase();
      if (values[key] === undefined) throw bad(`STATUS item ${key} is not one of ${Object.keys(values).join(" ")}`);
      return `${key} ${values[key]}`;
    });
    return `* STATUS ${imapString(name)} (${out.join(" ")})\r\n`;
  }

  /** APPEND folder [(flags)] [date-time] literal (RFC 9051 §6.3.12). */
  private async append(args: ImapValue[]): Promise<string> {
    const name = str(args[0], "the folder name");
    const message = args[args.length - 1];
    if (!Buffer.isBuffer(message)) throw bad("APPEND wants the message as a literal: APPEND INBOX {size}");
    const flags = Array.isArray(args[1]) ? args[1].map(String) : [];
    const dateArg = args.length === 4 || (args.length === 3 && !Array.isArray(args[1])) ? args[args.length - 2] : undefined;
    const date = typeof dateArg === "string" ? new Date(dateArg.replace(/^(\d+)-(\w+)-(\d+)/, "$2 $1 $3")) : undefined;
    if (!(await this.exists(name))) throw no(`[TRYCREATE] no folder "${name}"; CREATE it first`);
    const folder = await this.mailboxes().folder(this.user!, name);
    const stored = await folder.append(message, new Set(flags), date && !Number.isNaN(date.getTime()) ? date : undefined);
    this.lastCode = `APPENDUID ${folder.uidValidity} ${stored.uid}`;
    return this.state === "selected" ? this.updates(true) : "";
  }

  // --- the selected folder ---------------------------------------------------------

  private release(): void {
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

  /** The messages a sequence set (or UID set) names, in order. */
  private async targets(set: ImapValue | undefined, uid: boolean): Promise<Target[]> {
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

  private flagList(m: StoredMessage): string {
    return `FLAGS (${[...m.flags].join(" ")})`;
  }

  private async fetch(targets: Target[], items: FetchItem[], uid: boolean): Promise<string> {
    if (uid && !items.some((i) => i.kind === "UID")) items = [{ kind: "UID" }, ...items];
    const setsSeen = !this.readOnly && items.some((i) => i.kind === "section" && !i.peek);
    const chunks: string[] = [];
    // Read the files a batch at a time, in parallel: the disk waits overlap, and memory stays bounded.
    for (let at = 0; at < targets.length; at += FOLDER_IO_PARALLEL) {
      const batch = targets.slice(at, at + FOLDER_IO_PARALLEL);
      const contents = needsBytes(items) ? await Promise.all(batch.map((t) => this.folder!.read(t.message))) : [];
      for (const [i, { seq, message }] of batch.entries()) chunks.push(await this.fetchOne(seq, message, items, contents[i], setsSeen));
    }
    return chunks.join("") + (await this.updates(false));
  }

  /** One message's `* n FETCH (…)` response. */
  private async fetchOne(seq: number, message: StoredMessage, items: FetchItem[], bytes: Buffer | undefined, setsSeen: boolean): Promise<string> {
    let seenNow = false;
    if (setsSeen && !message.flags.has("\\Seen")) {
      await this.folder!.setFlags(message, new Set([...message.flags, "\\Seen"]));
      seenNow = true;
    }
    const parts = items.map((item) => {
      switch (item.kind) {
        case "UID":
          return `UID ${message.uid}`;
        case "FLAGS":
          return this.flagList(message);
        case "INTERNALDATE":
          return `INTERNALDATE ${imapDateTime(message.internalDate)}`;
        case "RFC822.SIZE":
          return `RFC822.SIZE ${message.size}`;
        case "ENVELOPE":
          return `ENVELOPE ${envelope(bytes!)}`;
        case "BODYSTRUCTURE":
          return `BODYSTRUCTURE ${bodyStructure(parseMessage(bytes!))}`;
        default:
          return sectionResponse(bytes!, item);
      }
    });
    if (seenNow && !items.some((i) => i.kind === "FLAGS")) parts.push(this.flagList(message));
    return `* ${seq} FETCH (${parts.join(" ")})\r\n`;
  }

  /** STORE set [+|-]FLAGS[.SILENT] flags. */
  private async store(targets: Target[], args: ImapValue[], uid: boolean): Promise<string> {
    if (this.readOnly) throw no("the folder is open read-only (EXAMINE); SELECT it to change flags");
    const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(str(args[0], "the STORE action"));
    if (!m) throw bad("STORE wants FLAGS, +FLAGS or -FLAGS (optionally .SILENT), then flags");
    const given = (Array.isArray(args[1]) ? args[1] : args.slice(1)).map((f) => str(f, "a flag"));
    const known = Object.values(MAILDIR_FLAGS);
    const flags = given.map((f) => known.find((k) => k.toLowerCase() === f.toLowerCase()));
    if (flags.some((f) => f === undefined)) throw no(`only the system flags can be stored here: ${SYSTEM_FLAGS}`);
    let out = "";
    for (const { seq, message } of targets) {
      const next = m[1] === "" ? new Set(flags as string[]) : new Set(message.flags);
      for (const f of flags as string[]) m[1] === "-" ? next.delete(f) : next.add(f);
      await this.folder!.setFlags(message, next);
      if (!m[2]) out += `* ${seq} FETCH (${this.flagList(message)}${uid ? ` UID ${message.uid}` : ""})\r\n`;
    }
    return out + (await this.updates(false));
  }

  private async copy(targets: Target[], destination: string, move: boolean): Promise<string> {
    if (!(await this.exists(destination))) throw no(`[TRYCREATE] no folder "${destination}"; CREATE it first`);
    if (move && this.readOnly) throw no("the folder is open read-only (EXAMINE); SELECT it to move mail out");
    const dest = await this.mailboxes().folder(this.user!, destination);
    const newUids: number[] = [];
    for (const { message } of targets) {
      const copied = await dest.append(await this.folder!.read(message), message.flags, message.internalDate);
      newUids.push(copied.uid);
    }
    const code = targets.length ? `COPYUID ${dest.uidValidity} ${formatSequenceSet(targets.map((t) => t.message.uid))} ${formatSequenceSet(newUids)}` : "";
    if (!move) {
      this.lastCode = code;
      return "";
    }
    // MOVE (RFC 6851): the COPYUID comes untagged, then the EXPUNGEs of the originals.
    await this.folder!.remove(targets.map((t) => t.message));
    return `${code ? `* OK [${code}] moved\r\n` : ""}${await this.updates(true)}`;
  }

  /** Removes \Deleted messages (all, or those in `only`) for good; says EXPUNGE for each unless silent (CLOSE). */
  private async expunge(only: Target[] | undefined, tell: boolean): Promise<string> {
    if (this.readOnly) throw no("the folder is open read-only (EXAMINE)");
    const candidates = only ? only.map((t) => t.message) : this.folder!.messages;
    await this.folder!.remove(candidates.filter((m) => m.flags.has("\\Deleted")));
    return tell ? this.updates(true) : "";
  }

  // --- SEARCH ------------------------------------------------------------------------

  private async search(args: ImapValue[], uid: boolean): Promise<string> {
    if (args.length && typeof args[0] === "string" && args[0].toUpperCase() === "CHARSET") {
      if (!/^(us-ascii|utf-8)$/i.test(str(args[1], "the charset"))) throw no("[BADCHARSET (US-ASCII UTF-8)] unsupported charset");
      args = args.slice(2);
    }
    const all = await this.targets("1:*", false);
    const test = this.searchKeys(args.length ? args : ["ALL"], all.length);
    const hits: number[] = [];
    for (const t of all) {
      let bytes: Buffer | undefined;
      const load = async () => (bytes ??= await this.folder!.read(t.message));
      if (await test(t, load)) hits.push(uid ? t.message.uid : t.seq);
    }
    return `* SEARCH${hits.map((n) => ` ${n}`).join("")}\r\n${await this.updates(false)}`;
  }

  /** Compiles search keys (all must match) into a test over one message. */
  private searchKeys(args: ImapValue[], count: number): (t: Target, load: () => Promise<Buffer>) => Promise<boolean> {
    const tests: Array<(t: Target, load: () => Promise<Buffer>) => Promise<boolean>> = [];
    let i = 0;
    const next = (): ImapValue => {
      if (i >= args.length) throw bad("a search key is missing its argument");
      return args[i++];
    };
    const one = (): ((t: Target, load: () => Promise<Buffer>) => Promise<boolean>) => {
      const key = next();
      if (Array.isArray(key)) return this.searchKeys(key, count);
      const k = str(key, "a search key").toUpperCase();
      const flag = (f: string, want: boolean) => async (t: Target) => t.message.flags.has(f) === want;
      const header = (name: string, text: string) => async (_t: Target, load: () => Promise<Buffer>) =>
        (parseMessage(await load()).header(name) ?? "").toLowerCase().includes(text.toLowerCase());
      const date = (cmp: (a: number, b: number) => boolean) => {
        const d = parseImapDate(str(next(), "a date"));
        if (!d) throw bad("dates look like 1-Feb-2026");
        return async (t: Target) => cmp(Date.UTC(t.message.internalDate.getUTCFullYear(), t.message.internalDate.getUTCMonth(), t.message.internalDate.getUTCDate()), d.getTime());
      };
      switch (k) {
        case "ALL": return async () => true;
        case "SEEN": return flag("\\Seen", true);
        case "UNSEEN": return flag("\\Seen", false);
        case "DELETED": return flag("\\Deleted", true);
        case "UNDELETED": return flag("\\Deleted", false);
        case "FLAGGED": return flag("\\Flagged", true);
        case "UNFLAGGED": return flag("\\Flagged", false);
        case "ANSWERED": return flag("\\Answered", true);
        case "UNANSWERED": return flag("\\Answered", false);
        case "DRAFT": return flag("\\Draft", true);
        case "UNDRAFT": return flag("\\Draft", false);
        case "RECENT": case "NEW": return async (t) => t.message.recent;
        case "OLD": return async (t) => !t.message.recent;
        case "FROM": case "TO": case "CC": case "BCC": case "SUBJECT": return header(k.toLowerCase(), str(next(), `${k}'s text`));
        case "HEADER": { const name = str(next(), "the header name"); return header(name, str(next(), "the header text")); }
        case "BODY": case "TEXT": {
          const text = str(next(), `${k}'s text`).toLowerCase();
          return async (_t, load) => {
            const m = parseMessage(await load());
            const body = [m.text ?? "", m.html ?? ""].join("\n");
            return (k === "TEXT" ? `${m.rawHeader.toString("latin1")}${body}` : body).toLowerCase().includes(text);
          };
        }
        case "LARGER": { const n = Number(str(next(), "a size")); return async (t) => t.message.size > n; }
        case "SMALLER": { const n = Number(str(next(), "a size")); return async (t) => t.message.size < n; }
        case "SINCE": return date((a, b) => a >= b);
        case "BEFORE": return date((a, b) => a < b);
        case "ON": return date((a, b) => a === b);
        case "UID": { const set = parseSequenceSet(str(next(), "a UID set"), this.view[this.view.length - 1] ?? 0); return async (t) => set(t.message.uid); }
        case "NOT": { const inner = one(); return async (t, load) => !(await inner(t, load)); }
        case "OR": { const [a, b] = [one(), one()]; return async (t, load) => (await a(t, load)) || b(t, load); }
        default: {
          if (/^[\d*:,]+$/.test(k)) { const set = parseSequenceSet(k, count); return async (t) => set(t.seq); }
          throw bad(`unknown search key ${k.slice(0, 20)}`);
        }
      }
    };
    while (i < args.length) tests.push(one());
    return async (t, load) => {
      for (const test of tests) if (!(await test(t, load))) return false;
      return true;
    };
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

/** Thrown by IDLE and AUTHENTICATE: the command is not complete; send a continuation. */
class Continue extends Error {
  constructor(readonly text = "+ \r\n") {
    super("continuation");
  }
}
