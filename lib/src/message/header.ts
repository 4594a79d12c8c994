import { decodeBase64, decodeCharset, decodeQuotedPrintable } from "./encoding";
import { FOLD_WIDTH } from "./limits";

/**
 * Header fields (RFC 5322 §2.2 and §3): `Name: value` lines, folded over several
 * lines when long, with non-ASCII text carried in encoded words (RFC 2047).
 * Pure functions, no I/O.
 */
export interface HeaderField {
  /** As written ("Subject"); compare names case-insensitively. */
  name: string;
  /** Unfolded, still encoded: what was on the wire minus the line breaks. */
  value: string;
}

/** One mailbox of an address list: `"Alice Smith" <alice@cs.umass.edu>`. */
export interface MailAddress {
  name: string;
  address: string;
}

/**
 * Splits a header block into fields, unfolding continuation lines (a line that
 * starts with a space or tab belongs to the field above, RFC 5322 §2.2.3).
 * Lines that are not fields (no colon) are dropped, as mail clients do.
 */
export function parseHeaderBlock(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      fields[fields.length - 1].value += line; // unfolding: remove the CRLF, keep the white space
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 1 || /[\s]/.test(line.slice(0, colon).trimEnd())) continue;
    fields.push({ name: line.slice(0, colon).trimEnd(), value: line.slice(colon + 1).replace(/^[ \t]+/, "") });
  }
  for (const f of fields) f.value = f.value.replace(/^[ \t]+|[ \t\r]+$/g, "");
  return fields;
}

/**
 * Writes `Name: value`, folded before white space so no line passes 78 characters
 * (RFC 5322 §2.1.1). A word longer than a line stays whole, on a line of its own;
 * folding only ever inserts CRLF before white space, so unfolding gives the value back.
 */
export function foldHeader(name: string, value: string, width = FOLD_WIDTH): string {
  const words = value.split(/(?=[ \t])/);
  const lines: string[] = [];
  let line = `${name}:`;
  for (const [i, word] of words.entries()) {
    const piece = i === 0 ? ` ${word}` : word;
    if (line.length + piece.length > width) {
      lines.push(line);
      line = piece.startsWith(" ") || piece.startsWith("\t") ? piece : ` ${piece}`;
    } else {
      line += piece;
    }
  }
  lines.push(line);
  return lines.join("\r\n");
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** One encoded word's bytes (RFC 2047 §4): B is base64, Q is quoted-printable with _ for space. */
function wordBytes(encoding: string, text: string): Buffer {
  return encoding.toUpperCase() === "B" ? decodeBase64(text) : decodeQuotedPrintable(text.replace(/_/g, " "));
}

/**
 * Decodes RFC 2047 encoded words in a header value: `=?UTF-8?B?Q2Fmw6k=?=` → `Café`.
 * White space between two encoded words is dropped (§6.2); adjacent words in the
 * same charset are joined as bytes first, so a letter split across words survives.
 */
export function decodeWords(value: string): string {
  let out = "";
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset.split("*")[0]);
    pending = undefined;
  };
  let last = 0;
  for (const m of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, m.index);
    if (!(pending && /^[ \t\r\n]*$/.test(between))) {
      flush();
      out += between;
    }
    const [, charset, encoding, text] = m;
    if (pending && pending.charset.toLowerCase() !== charset.toLowerCase()) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(wordBytes(encoding, text));
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

/**
 * Encodes text for a header if it needs it (non-ASCII): UTF-8 in B encoded words of
 * at most 75 characters each (§2), split only between letters, never inside one.
 * ASCII text is returned unchanged.
 */
export function encodeWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = "";
  const room = Math.floor((75 - "=?UTF-8?B??=".length) / 4) * 3; // bytes that fit in one word
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > room) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString("base64")}?=`).join(" ");
}

/** A structured value with parameters, as in Content-Type and Content-Disposition. */
export interface ParameterizedValue {
  /** Lower-cased: "multipart/mixed", "attachment". */
  value: string;
  /** Parameter names lower-cased; RFC 2231 continuations and charsets already joined and decoded. */
  params: Record<string, string>;
}

/**
 * Parses `text/plain; charset="utf-8"; format=flowed` (RFC 2045 §5.1) including
 * RFC 2231's `filename*0*=utf-8''%E2%82%AC; filename*1=.pdf` continuations.
 */
export function parseParameterized(raw: string): ParameterizedValue {
  const tokens: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\" && quoted) current += raw[++i] ?? "";
    else if (c === '"') quoted = !quoted;
    else if (c === ";" && !quoted) (tokens.push(current), (current = ""));
    else current += c;
  }
  tokens.push(current);
  const value = tokens.shift()!.trim().toLowerCase();
  const pieces = new Map<string, Array<{ index: number; text: string; encoded: boolean }>>();
  for (const token of tokens) {
    const eq = token.indexOf("=");
    if (eq < 1) continue;
    const key = token.slice(0, eq).trim().toLowerCase();
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(key);
    if (!m) continue;
    const list = pieces.get(m[1]) ?? [];
    list.push({ index: Number(m[2] ?? 0), text: token.slice(eq + 1).trim(), encoded: Boolean(m[3]) });
    pieces.set(m[1], list);
  }
  const params: Record<string, string> = {};
  for (const [name, list] of pieces) {
    list.sort((a, b) => a.index - b.index);
    let charset = "utf-8";
    const bytes: Buffer[] = [];
    for (const [i, p] of list.entries()) {
      if (!p.encoded) {
        bytes.push(Buffer.from(p.text, "latin1"));
        continue;
      }
      let text = p.text;
      if (i === 0) {
        const parts = text.split("'");
        if (parts.length >= 3) [charset, , text] = [parts[0] || charset, parts[1], parts.slice(2).join("'")];
      }
      bytes.push(Buffer.from(text.replace(/%([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1"));
    }
    const joined = Buffer.concat(bytes);
    params[name] = list.some((p) => p.encoded) ? decodeCharset(joined, charset) : decodeWords(joined.toString("utf8"));
  }
  return { value, params };
}

/**
 * Parses an address list (RFC 5322 §3.4): `Alice <alice@a.edu>, "Doe, J." <j@b.org>, c@d.net`.
 * Display names are decoded (encoded words); groups (`team: a@x, b@y;`) are flattened.
 */
export function parseAddressList(value: string): MailAddress[] {
  const out: MailAddress[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  const finish = () => {
    const text = current.trim();
    current = "";
    if (!text) return;
    const angle = /^(.*?)<([^<>]*)>\s*(?:\(.*\))?$/.exec(text);
    if (angle) {
      out.push({ name: decodeWords(angle[1].trim().replace(/^"(.*)"$/, "$1").replace(/\\(.)/g, "$1")), address: angle[2].trim() });
      return;
    }
    const comment = /^([^\s()]+)\s*\((.*)\)$/.exec(text);
    if (comment) out.push({ name: decodeWords(comment[2]), address: comment[1] });
    else if (text.includes("@")) out.push({ name: "", address: text });
    else out.push({ name: decodeWords(text), address: "" }); // not an address (`To: XX`): kept as a name only
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") current += c + (value[++i] ?? "");
      else (current += c), (quoted = c !== '"');
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    if ((c === "," || c === ";") && depth === 0) finish();
    else if (c === ":" && depth === 0 && !current.includes("<")) current = ""; // a group's name
    else current += c;
  }
  finish();
  return out;
}

/** Writes one address for a header: `"Alice Smith" <alice@cs.umass.edu>`, the name encoded if not ASCII. */
export function formatMailAddress(a: MailAddress | string): string {
  if (typeof a === "string") return a;
  if (!a.name) return a.address;
  const name = /^[\x20-\x7e]*$/.test(a.name) ? `"${a.name.replace(/(["\\])/g, "\\$1")}"` : encodeWords(a.name);
  return `${name} <${a.address}>`;
}
