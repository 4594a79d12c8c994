import type { ImapSession } from "./session";
import { bad, no, str } from "./refusal";
import { ImapValue, imapString } from "./syntax";

/** The folders' roles a client shows with their own icons (RFC 6154 special-use attributes). */
const SPECIAL_USE: Record<string, string> = { sent: "\\Sent", trash: "\\Trash", drafts: "\\Drafts", junk: "\\Junk", archive: "\\Archive" };

/** Does the logged-in user have this folder? A store error is a NO. */
export async function exists(s: ImapSession, name: string): Promise<boolean> {
  try {
    return await s.access.mailboxes.hasFolder(s.user!, name);
  } catch (e) {
    throw no((e as Error).message);
  }
}

/** RFC 5530 §3 NONEXISTENT: the command names a folder that is not there. */
export async function requireFolder(s: ImapSession, name: string): Promise<void> {
  if (!(await exists(s, name))) throw no(`[NONEXISTENT] no folder "${name}" (LIST "" "*" shows them)`);
}

/** CREATE (RFC 9051 §6.3.4); a trailing hierarchy separator is dropped. */
export async function create(s: ImapSession, name: string): Promise<string> {
  const clean = name.replace(/\.$/, "");
  if (clean.toUpperCase() === "INBOX" || (await exists(s, clean))) throw no(`[ALREADYEXISTS] "${clean}" exists already`);
  try {
    await s.access.mailboxes.createFolder(s.user!, clean);
  } catch (e) {
    throw no((e as Error).message);
  }
  return "";
}

/** DELETE (RFC 9051 §6.3.5): deleting the selected folder leaves the session authenticated. */
export async function remove(s: ImapSession, name: string): Promise<string> {
  if (name.toUpperCase() === "INBOX") throw no("INBOX cannot be deleted");
  await requireFolder(s, name);
  if (s.state === "selected" && s.folderName === name) {
    s.release();
    s.state = "authenticated";
  }
  await s.access.mailboxes.deleteFolder(s.user!, name);
  return "";
}

/** RENAME (RFC 9051 §6.3.6). */
export async function rename(s: ImapSession, from: string, to: string): Promise<string> {
  if (from.toUpperCase() === "INBOX") throw no("renaming INBOX is not supported here");
  await requireFolder(s, from);
  if (await exists(s, to)) throw no(`[ALREADYEXISTS] "${to}" exists already`);
  try {
    await s.access.mailboxes.renameFolder(s.user!, from, to);
  } catch (e) {
    throw no((e as Error).message);
  }
  return "";
}

/** LIST and LSUB (RFC 9051 §6.3.9): `*` matches anything, `%` anything but the separator "."; an empty pattern asks for the separator. */
export async function list(s: ImapSession, command: string, reference: string, pattern: string): Promise<string> {
  if (pattern === "") return `* ${command} (\\Noselect) "." ""\r\n`;
  const full = reference + pattern;
  const re = new RegExp(`^${full.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/%/g, "[^.]*")}$`, "i");
  const names = (await s.access.mailboxes.folders(s.user!)).filter((n) => re.test(n));
  return names
    .map((n) => {
      const children = names.some((o) => o.startsWith(`${n}.`));
      const attrs = [children ? "\\HasChildren" : "\\HasNoChildren", SPECIAL_USE[n.toLowerCase()]].filter(Boolean);
      return `* ${command} (${attrs.join(" ")}) "." ${imapString(n)}\r\n`;
    })
    .join("");
}

/** STATUS (RFC 9051 §6.3.11): counts of a folder, selected or not. */
export async function status(s: ImapSession, name: string, items: ImapValue | undefined): Promise<string> {
  if (!Array.isArray(items) || !items.length) throw bad("STATUS wants a folder and a list, like STATUS INBOX (MESSAGES UNSEEN)");
  await requireFolder(s, name);
  const folder = await s.access.mailboxes.folder(s.user!, name);
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
export async function append(s: ImapSession, args: ImapValue[]): Promise<string> {
  const name = str(args[0], "the folder name");
  const message = args[args.length - 1];
  if (!Buffer.isBuffer(message)) throw bad("APPEND wants the message as a literal: APPEND INBOX {size}");
  const flags = Array.isArray(args[1]) ? args[1].map(String) : [];
  const dateArg = args.length === 4 || (args.length === 3 && !Array.isArray(args[1])) ? args[args.length - 2] : undefined;
  const date = typeof dateArg === "string" ? new Date(dateArg.replace(/^(\d+)-(\w+)-(\d+)/, "$2 $1 $3")) : undefined;
  if (!(await exists(s, name))) throw no(`[TRYCREATE] no folder "${name}"; CREATE it first`);
  const folder = await s.access.mailboxes.folder(s.user!, name);
  const stored = await folder.append(message, new Set(flags), date && !Number.isNaN(date.getTime()) ? date : undefined);
  s.lastCode = `APPENDUID ${folder.uidValidity} ${stored.uid}`;
  return s.state === "selected" ? s.updates(true) : "";
}
