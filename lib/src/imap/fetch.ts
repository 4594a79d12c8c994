import { encodeWords, parseAddressList } from "../message/header";
import { MimePart, headerLength, parseMessage, splitHeaderBody } from "../message/message";
import { ImapSyntaxError, imapList, imapString } from "./syntax";

/**
 * What FETCH returns about a message (RFC 9051 §6.4.5, §7.5.2), pure: the
 * ENVELOPE, the BODYSTRUCTURE, and BODY[section]<partial> cut from the bytes.
 */

/** One requested data item, parsed: `BODY.PEEK[HEADER.FIELDS (FROM)]<0.100>` → body section "HEADER.FIELDS", fields, partial. */
export type FetchItem =
  | { kind: "UID" | "FLAGS" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" }
  | { kind: "section"; name: string; peek: boolean; part: number[]; spec: string; fields: string[]; partial?: [number, number] };

const MACROS: Record<string, string[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** Parses the data items of a FETCH: a macro, one item, or a list of them. Throws ImapSyntaxError. */
export function parseFetchItems(value: unknown): FetchItem[] {
  const names = typeof value === "string" ? MACROS[value.toUpperCase()] ?? [value] : Array.isArray(value) ? value : undefined;
  if (!names || !names.length || names.some((n) => typeof n !== "string")) throw new ImapSyntaxError("FETCH wants data items: FLAGS, UID, ENVELOPE, BODY[…], RFC822.SIZE … or ALL/FAST/FULL");
  return (names as string[]).map(parseFetchItem);
}

function parseFetchItem(raw: string): FetchItem {
  const upper = raw.toUpperCase();
  if (["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE"].includes(upper)) return { kind: upper as "UID" };
  if (upper === "BODY") return { kind: "BODYSTRUCTURE" };
  const rfc822: Record<string, [string, boolean]> = { RFC822: ["", false], "RFC822.HEADER": ["HEADER", true], "RFC822.TEXT": ["TEXT", false] };
  if (rfc822[upper]) return { kind: "section", name: upper, peek: rfc822[upper][1], part: [], spec: rfc822[upper][0], fields: [] };
  const m = /^BODY(\.PEEK)?\[([^\]]*)\](?:<(\d+)\.(\d+)>)?$/i.exec(raw);
  if (!m) throw new ImapSyntaxError(`unknown FETCH data item ${raw.slice(0, 40)}`);
  const s = /^((?:\d+\.)*\d+)?\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?\s*(?:\(([^)]*)\))?$/i.exec(m[2].trim());
  if (!s || (s[3] !== undefined) !== /FIELDS/i.test(s[2] ?? "") || (s[2]?.toUpperCase() === "MIME" && !s[1])) throw new ImapSyntaxError(`bad section [${m[2]}]: try [], [HEADER], [TEXT], [HEADER.FIELDS (FROM SUBJECT)], [1], [1.MIME]`);
  const part = s[1] ? s[1].split(".").map(Number) : [];
  const spec = (s[2] ?? "").toUpperCase();
  const fields = (s[3] ?? "").split(/\s+/).filter(Boolean).map((f) => f.replace(/^"|"$/g, "").toUpperCase());
  const name = `BODY[${[part.join("."), spec].filter(Boolean).join(".")}${fields.length ? ` (${fields.join(" ")})` : ""}]`;
  return { kind: "section", name, peek: Boolean(m[1]), part, spec, fields, partial: m[3] === undefined ? undefined : [Number(m[3]), Number(m[4])] };
}

/** Does answering these items need the message's bytes? (FLAGS and UID do not.) */
export const needsBytes = (items: FetchItem[]) => items.some((i) => i.kind === "section" || i.kind === "ENVELOPE" || i.kind === "BODYSTRUCTURE" );

/** The header lines whose names are (or, with `not`, are not) in `fields`, then the blank line. */
function filterHeader(rawHeader: Buffer, fields: string[], not: boolean): Buffer {
  const text = rawHeader.toString("latin1");
  const kept: string[] = [];
  let keep = false;
  for (const line of text.split(/(?<=\n)/)) {
    if (/^\r?\n$/.test(line)) break;
    if (!/^[ \t]/.test(line)) keep = fields.includes(line.slice(0, line.indexOf(":")).trim().toUpperCase()) !== not;
    if (keep) kept.push(line);
  }
  return Buffer.from(`${kept.join("")}\r\n`, "latin1");
}

/** The bytes of BODY[section] (before any <partial> cut). */
export function sectionBytes(message: Buffer, item: Extract<FetchItem, { kind: "section" }>): Buffer {
  if (!item.part.length) {
    if (item.spec === "") return message;
    const at = headerLength(message);
    if (item.spec === "TEXT") return message.subarray(at);
    if (item.spec === "HEADER") return message.subarray(0, at);
    return filterHeader(message.subarray(0, at), item.fields, item.spec.endsWith(".NOT"));
  }
  let node: MimePart | undefined = parseMessage(message);
  for (const n of item.part) {
    if (!node) break;
    node = node.parts.length ? node.parts[n - 1] : n === 1 ? node : undefined;
  }
  if (!node) return Buffer.alloc(0);
  if (item.spec === "MIME") return node.rawHeader;
  if (item.spec === "") return node.rawBody;
  if (node.contentType.value !== "message/rfc822") return Buffer.alloc(0);
  return sectionBytes(node.rawBody, { ...item, part: [] }); // HEADER/TEXT of an enclosed message
}

/** `BODY[…]<start> {n}` + bytes, the partial cut applied. */
export function sectionResponse(message: Buffer, item: Extract<FetchItem, { kind: "section" }>): string {
  let bytes = sectionBytes(message, item);
  let name = item.name;
  if (item.partial) {
    const [start, length] = item.partial;
    bytes = bytes.subarray(start, start + length);
    name += `<${start}>`;
  }
  return `${name} {${bytes.length}}\r\n${bytes.toString("latin1")}`;
}

const nstring = (v: string | undefined) => imapString(v === undefined || v === "" ? null : v);

function addressList(value: string | undefined): string {
  if (!value) return "NIL";
  const list = parseAddressList(value).filter((a) => a.address);
  if (!list.length) return "NIL";
  return imapList(list.map((a) => {
    const at = a.address.lastIndexOf("@");
    const [mailbox, host] = at < 0 ? [a.address, ""] : [a.address.slice(0, at), a.address.slice(at + 1)];
    return imapList([nstring(a.name ? encodeWords(a.name) : undefined), "NIL", nstring(mailbox), nstring(host)]);
  }));
}

/** ENVELOPE (RFC 9051 §7.5.2): date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to, message-id. */
export function envelope(message: Buffer): string {
  const { header } = splitHeaderBody(message);
  const fields = new Map<string, string>();
  for (const line of header.replace(/\r?\n[ \t]/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    const name = line.slice(0, i).trim().toLowerCase();
    if (i > 0 && !fields.has(name)) fields.set(name, line.slice(i + 1).trim());
  }
  const f = (n: string) => fields.get(n);
  const from = addressList(f("from"));
  return imapList([
    nstring(f("date")),
    nstring(f("subject")),
    from,
    f("sender") ? addressList(f("sender")) : from,
    f("reply-to") ? addressList(f("reply-to")) : from,
    addressList(f("to")),
    addressList(f("cc")),
    addressList(f("bcc")),
    nstring(f("in-reply-to")),
    nstring(f("message-id")),
  ]);
}

const upperString = (s: string) => imapString(s.toUpperCase());
const lines = (b: Buffer) => b.toString("latin1").split("\n").length - 1;

/** BODYSTRUCTURE (RFC 9051 §7.5.2), without extension data: what a client needs to show parts and fetch one. */
export function bodyStructure(part: MimePart): string {
  if (part.parts.length) return `(${part.parts.map(bodyStructure).join("")} ${upperString(part.contentType.value.split("/")[1])})`;
  const [type, subtype] = part.contentType.value.split("/");
  const params = Object.entries(part.contentType.params);
  const fields = [
    upperString(type),
    upperString(subtype),
    params.length ? imapList(params.flatMap(([k, v]) => [upperString(k), imapString(v)])) : "NIL",
    nstring(part.headers.find((h) => h.name.toLowerCase() === "content-id")?.value),
    nstring(part.headers.find((h) => h.name.toLowerCase() === "content-description")?.value),
    upperString(part.transferEncoding),
    String(part.rawBody.length),
  ];
  if (part.contentType.value === "message/rfc822") {
    const inner = parseMessage(part.rawBody);
    fields.push(envelope(part.rawBody), bodyStructure(inner), String(lines(part.rawBody)));
  } else if (type === "text") {
    fields.push(String(lines(part.rawBody)));
  }
  return imapList(fields);
}
