import { FOLDER_IO_PARALLEL, MAILDIR_FLAGS, StoredMessage } from "../mailstore/folder";
import { parseMessage } from "../message/message";
import type { ImapSession } from "./session";
import { FetchItem, bodyStructure, envelope, needsBytes, sectionResponse } from "./fetch";
import { exists } from "./folders";
import { no, bad, str } from "./refusal";
import { compileSearch } from "./search";
import { ImapValue, formatSequenceSet, imapDateTime } from "./syntax";

/** One message as a command sees it: its number in this session, and the stored message. */
export interface Target {
  seq: number;
  message: StoredMessage;
}

/** The system flags a maildir keeps (RFC 9051 §2.3.2), as FLAGS and PERMANENTFLAGS list them. */
export const SYSTEM_FLAGS = Object.values(MAILDIR_FLAGS).join(" ");

function flagList(m: StoredMessage): string {
  return `FLAGS (${[...m.flags].join(" ")})`;
}

/** FETCH (RFC 9051 §6.4.5); UID FETCH always says UID. */
export async function fetch(s: ImapSession, targets: Target[], items: FetchItem[], uid: boolean): Promise<string> {
  if (uid && !items.some((i) => i.kind === "UID")) items = [{ kind: "UID" }, ...items];
  const setsSeen = !s.readOnly && items.some((i) => i.kind === "section" && !i.peek);
  const chunks: string[] = [];
  // Read the files a batch at a time, in parallel: the disk waits overlap, and memory stays bounded.
  for (let at = 0; at < targets.length; at += FOLDER_IO_PARALLEL) {
    const batch = targets.slice(at, at + FOLDER_IO_PARALLEL);
    const contents = needsBytes(items) ? await Promise.all(batch.map((t) => s.folder!.read(t.message))) : [];
    for (const [i, { seq, message }] of batch.entries()) chunks.push(await fetchOne(s, seq, message, items, contents[i], setsSeen));
  }
  return chunks.join("") + (await s.updates(false));
}

/** One message's `* n FETCH (…)` response. */
async function fetchOne(s: ImapSession, seq: number, message: StoredMessage, items: FetchItem[], bytes: Buffer | undefined, setsSeen: boolean): Promise<string> {
  let seenNow = false;
  if (setsSeen && !message.flags.has("\\Seen")) {
    await s.folder!.setFlags(message, new Set([...message.flags, "\\Seen"]));
    seenNow = true;
  }
  const parts = items.map((item) => {
    switch (item.kind) {
      case "UID":
        return `UID ${message.uid}`;
      case "FLAGS":
        return flagList(message);
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
  if (seenNow && !items.some((i) => i.kind === "FLAGS")) parts.push(flagList(message));
  return `* ${seq} FETCH (${parts.join(" ")})\r\n`;
}

/** STORE set [+|-]FLAGS[.SILENT] flags. */
export async function store(s: ImapSession, targets: Target[], args: ImapValue[], uid: boolean): Promise<string> {
  if (s.readOnly) throw no("the folder is open read-only (EXAMINE); SELECT it to change flags");
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
    await s.folder!.setFlags(message, next);
    if (!m[2]) out += `* ${seq} FETCH (${flagList(message)}${uid ? ` UID ${message.uid}` : ""})\r\n`;
  }
  return out + (await s.updates(false));
}

/** COPY (RFC 9051 §6.4.7) and MOVE (RFC 6851), with COPYUID (RFC 4315). */
export async function copy(s: ImapSession, targets: Target[], destination: string, move: boolean): Promise<string> {
  if (!(await exists(s, destination))) throw no(`[TRYCREATE] no folder "${destination}"; CREATE it first`);
  if (move && s.readOnly) throw no("the folder is open read-only (EXAMINE); SELECT it to move mail out");
  const dest = await s.access.mailboxes.folder(s.user!, destination);
  const newUids: number[] = [];
  for (const { message } of targets) {
    const copied = await dest.append(await s.folder!.read(message), message.flags, message.internalDate);
    newUids.push(copied.uid);
  }
  const code = targets.length ? `COPYUID ${dest.uidValidity} ${formatSequenceSet(targets.map((t) => t.message.uid))} ${formatSequenceSet(newUids)}` : "";
  if (!move) {
    s.lastCode = code;
    return "";
  }
  // MOVE (RFC 6851): the COPYUID comes untagged, then the EXPUNGEs of the originals.
  await s.folder!.remove(targets.map((t) => t.message));
  return `${code ? `* OK [${code}] moved\r\n` : ""}${await s.updates(true)}`;
}

/** Removes \Deleted messages (all, or those in `only`) for good; says EXPUNGE for each unless silent (CLOSE). */
export async function expunge(s: ImapSession, only: Target[] | undefined, tell: boolean): Promise<string> {
  if (s.readOnly) throw no("the folder is open read-only (EXAMINE)");
  const candidates = only ? only.map((t) => t.message) : s.folder!.messages;
  await s.folder!.remove(candidates.filter((m) => m.flags.has("\\Deleted")));
  return tell ? s.updates(true) : "";
}

/** SEARCH (RFC 9051 §6.4.4): the numbers (or UIDs) of the messages the keys match. */
export async function search(s: ImapSession, args: ImapValue[], uid: boolean): Promise<string> {
  if (args.length && typeof args[0] === "string" && args[0].toUpperCase() === "CHARSET") {
    if (!/^(us-ascii|utf-8)$/i.test(str(args[1], "the charset"))) throw no("[BADCHARSET (US-ASCII UTF-8)] unsupported charset");
    args = args.slice(2);
  }
  const all = await s.targets("1:*", false);
  const test = compileSearch(args.length ? args : ["ALL"], { count: all.length, largestUid: s.view[s.view.length - 1] ?? 0 });
  const hits: number[] = [];
  for (const t of all) {
    let bytes: Buffer | undefined;
    const load = async () => (bytes ??= await s.folder!.read(t.message));
    if (await test(t, load)) hits.push(uid ? t.message.uid : t.seq);
  }
  return `* SEARCH${hits.map((n) => ` ${n}`).join("")}\r\n${await s.updates(false)}`;
}
