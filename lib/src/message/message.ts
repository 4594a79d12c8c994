import { createHash, randomBytes } from "node:crypto";
import { AppLayerError } from "../errors";
import { decodeCharset, decodeTransfer, encodeBase64, encodeQuotedPrintable, isSevenBitSafe } from "./encoding";
import { HeaderField, MailAddress, ParameterizedValue, decodeWords, encodeWords, foldHeader, formatMailAddress, parseAddressList, parseHeaderBlock, parseParameterized } from "./header";
import { MAX_MIME_DEPTH, MAX_MIME_PARTS } from "./limits";

/**
 * RFC 5322 messages with MIME bodies (RFCs 2045–2047): parse what arrives, build
 * what is sent. Pure functions over bytes.
 *
 * A message is header lines, a blank line, a body. The header lines (From, To,
 * Subject, Bcc …) are what a user agent shows and writes; they are *not* the
 * envelope (MAIL FROM / RCPT TO) that servers act on — so a From line can say
 * anything, and a Bcc recipient is in the envelope but in no header.
 */

/** One node of the MIME tree: a leaf with a body, or a multipart with parts. */
export interface MimePart {
  headers: HeaderField[];
  /** Content-Type, default text/plain; charset=us-ascii (RFC 2045 §5.2). */
  contentType: ParameterizedValue;
  /** Content-Disposition if given ("attachment", "inline"). */
  disposition?: ParameterizedValue;
  /** Content-Transfer-Encoding as written (lower-cased), default 7bit. */
  transferEncoding: string;
  /** The body with the transfer encoding undone (bytes, in the part's charset). */
  body: Buffer;
  /** For multipart/*: the parts, in order. */
  parts: MimePart[];
  /** The bytes as they were: the header block with its blank line, and the still-encoded body (IMAP's BODY[n.MIME] and BODY[n]). */
  rawHeader: Buffer;
  rawBody: Buffer;
}

/** An attachment as a user agent lists it. */
export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
  /** MD5 of the content, hex (mailparser reports the same). */
  checksum: string;
}

/** A parsed message: the tree, plus what a mail client shows. */
export interface ParsedMessage extends MimePart {
  /** Header values by lower-cased name, decoded (encoded words undone); the first of each name. */
  header(name: string): string | undefined;
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  date?: Date;
  messageId?: string;
  /** The text/plain parts that are not attachments, as one string (as a mail client shows them). */
  text?: string;
  /** The text/html parts that are not attachments. */
  html?: string;
  attachments: Attachment[];
}

const first = (headers: HeaderField[], name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;

/**
 * How long the header block is, its blank line included: up to the first empty line
 * (CRLF CRLF, or LF LF in files stored with Unix line ends). No decoding: fast enough
 * to cut the headers off ten thousand messages.
 */
export function headerLength(bytes: Buffer): number {
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  const crlf = bytes.indexOf("\r\n\r\n");
  const lf = bytes.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : bytes.length;
}

/** The header block as text (UTF-8 when it is, Latin-1 for other 8-bit bytes), its bytes, and the body. */
export function splitHeaderBody(bytes: Buffer): { header: string; rawHeader: Buffer; body: Buffer } {
  const at = headerLength(bytes);
  const rawHeader = bytes.subarray(0, at);
  const text = rawHeader.toString("utf8");
  return { header: (text.includes("\uFFFD") ? rawHeader.toString("latin1") : text).replace(/\r?\n$/, "").replace(/\r?\n$/, ""), rawHeader, body: bytes.subarray(at) };
}

/** The parts of a multipart body: the text between `--boundary` lines, up to `--boundary--` (RFC 2046 §5.1.1). */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString("latin1");
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(--)?[ \\t]*(?=\\r?\\n|$)`, "g");
  const parts: Buffer[] = [];
  let start = -1;
  for (const m of text.matchAll(delimiter)) {
    if (start >= 0) parts.push(body.subarray(start, m.index));
    if (m[1]) return parts; // the close delimiter; what follows is the epilogue
    start = m.index + m[0].length;
    start += text.startsWith("\r\n", start) ? 2 : text.startsWith("\n", start) ? 1 : 0;
  }
  if (start >= 0 && start < body.length) parts.push(body.subarray(start)); // no close delimiter: take the rest
  return parts;
}

function parsePart(bytes: Buffer, depth: number, budget: { parts: number }, defaultType = "text/plain"): MimePart {
  if (++budget.parts > MAX_MIME_PARTS) throw new AppLayerError("MIME_LIMIT", `the message has more than ${MAX_MIME_PARTS} MIME parts (MAX_MIME_PARTS); refusing it as a MIME bomb`, { limit: MAX_MIME_PARTS });
  const { header, rawHeader, body } = splitHeaderBody(bytes);
  const headers = parseHeaderBlock(header);
  const typeField = first(headers, "content-type");
  let contentType = parseParameterized(typeField ?? defaultType);
  if (!/^[\w.+-]+\/[\w.+-]+$/.test(contentType.value)) contentType = { value: "text/plain", params: contentType.params }; // RFC 2045 §5.2
  if (!typeField && defaultType === "text/plain") contentType.params.charset ??= "us-ascii";
  const dispositionField = first(headers, "content-disposition");
  const transferEncoding = (first(headers, "content-transfer-encoding") ?? "7bit").trim().toLowerCase();
  const part: MimePart = {
    headers,
    contentType,
    disposition: dispositionField ? parseParameterized(dispositionField) : undefined,
    transferEncoding,
    body: decodeTransfer(body, transferEncoding),
    parts: [],
    rawHeader,
    rawBody: body,
  };
  const boundary = contentType.params.boundary;
  if (contentType.value.startsWith("multipart/") && boundary && depth < MAX_MIME_DEPTH) {
    const childDefault = contentType.value === "multipart/digest" ? "message/rfc822" : "text/plain";
    part.parts = splitMultipart(body, boundary).map((p) => parsePart(p, depth + 1, budget, childDefault));
  }
  return part;
}

/** Every leaf of the tree, depth first, in order. */
export function leaves(part: MimePart): MimePart[] {
  return part.parts.length ? part.parts.flatMap(leaves) : [part];
}

/** A leaf's text, decoded from its charset. */
export function partText(part: MimePart): string {
  return decodeCharset(part.body, part.contentType.params.charset ?? "us-ascii");
}

/** A leaf's file name, from Content-Disposition's filename or Content-Type's name. */
export function partFilename(part: MimePart): string | undefined {
  const name = part.disposition?.params.filename ?? part.contentType.params.name;
  return name === undefined ? undefined : decodeWords(name);
}

/** An attachment is what says so, or is not text; text parts without a disposition are shown inline. */
function isAttachment(part: MimePart): boolean {
  if (part.disposition?.value === "attachment") return true;
  const type = part.contentType.value;
  return !(type === "text/plain" || type === "text/html" || type.startsWith("multipart/"));
}

/**
 * Parses a message (bytes as stored or as received after DATA) into its MIME tree
 * and the fields a mail client shows. Never throws on malformed input — it keeps
 * what it can, like a mail client — except for a MIME bomb (MIME_LIMIT).
 *
 * @example
 * const m = parseMessage(fs.readFileSync("message.eml"));
 * m.subject; m.from[0].address; m.attachments.map((a) => a.filename);
 */
export function parseMessage(bytes: Uint8Array | string): ParsedMessage {
  const root = parsePart(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes), 0, { parts: 0 });
  const header = (name: string) => {
    const v = first(root.headers, name.toLowerCase());
    return v === undefined ? undefined : decodeWords(v);
  };
  // Every field of the name counts: some senders write To: twice.
  const addresses = (name: string) => root.headers.filter((h) => h.name.toLowerCase() === name).flatMap((h) => parseAddressList(h.value));
  const all = leaves(root);
  const body = (type: string) => {
    const texts = all.filter((l) => l.contentType.value === type && !isAttachment(l)).map(partText);
    return texts.length ? texts.join("\n") : undefined;
  };
  const date = first(root.headers, "date");
  const parsedDate = date ? new Date(date.replace(/\s*\([^)]*\)\s*$/, "")) : undefined;
  return {
    ...root,
    header,
    subject: header("subject") ?? "",
    from: addresses("from"),
    to: addresses("to"),
    cc: addresses("cc"),
    date: parsedDate && !Number.isNaN(parsedDate.getTime()) ? parsedDate : undefined,
    messageId: first(root.headers, "message-id")?.trim(),
    text: body("text/plain"),
    html: body("text/html"),
    attachments: all.filter(isAttachment).map((p) => ({
      filename: partFilename(p) ?? "",
      contentType: p.contentType.value,
      content: p.body,
      checksum: createHash("md5").update(p.body).digest("hex"),
    })),
  };
}

/** What to put in a message: header lines, text and/or HTML, attachments. */
export interface ComposeOptions {
  from: string | MailAddress;
  to: Array<string | MailAddress>;
  cc?: Array<string | MailAddress>;
  /** Blind copies: in the envelope (see {@link envelopeRecipients}), never in a header line. */
  bcc?: Array<string | MailAddress>;
  subject: string;
  /** The plain-text body; `body` is the same, kept for short calls. */
  text?: string;
  body?: string;
  html?: string;
  attachments?: Array<{ filename: string; content: Uint8Array | string; contentType?: string }>;
  date?: Date;
  messageId?: string;
}

/** The RFC 5322 date: `Tue, 24 Nov 2026 10:00:00 +0000`. */
export function formatDate(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

const newBoundary = () => `=_applayer_${randomBytes(9).toString("base64url")}`;

/** A leaf: headers for its type and encoding, then the encoded body. 7-bit text goes as it is; other text as quoted-printable; files as base64. */
function leaf(content: Buffer, contentType: string, extra: string[] = [], binary = false): string {
  const plain = !binary && isSevenBitSafe(content);
  const encoding = plain ? "7bit" : binary ? "base64" : "quoted-printable";
  const encoded = plain ? content.toString("latin1").replace(/\r?\n/g, "\r\n") : binary ? encodeBase64(content) : encodeQuotedPrintable(content);
  return [foldHeader("Content-Type", contentType), `Content-Transfer-Encoding: ${encoding}`, ...extra, "", encoded].join("\r\n");
}

function multipart(subtype: string, parts: string[]): string {
  const boundary = newBoundary();
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"\r\n\r\nThis is a multi-part message in MIME format.\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join("")}--${boundary}--`;
}

/** Text a user typed: line ends made CRLF and a final line end added. */
const asLines = (text: string) => Buffer.from(text.replace(/\r?\n/g, "\r\n").replace(/(\r\n)?$/, "\r\n"));

/**
 * Builds a message ready for SMTP's DATA: 7-bit ASCII, CRLF line ends, header
 * lines folded at 78 columns, non-ASCII header text in encoded words. The body is
 * text/plain, or multipart/alternative (text + HTML), wrapped in multipart/mixed
 * when there are attachments (base64). Bcc is deliberately left out.
 *
 * @example
 * composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject: "hi", body: "Hello Bob" })
 */
export function composeMessage(m: ComposeOptions): string {
  const from = typeof m.from === "string" ? m.from : m.from.address;
  const domain = from.split("@")[1] ?? "localhost";
  const list = (xs: Array<string | MailAddress>) => xs.map(formatMailAddress).join(", ");
  const headers = [
    foldHeader("From", formatMailAddress(m.from)),
    foldHeader("To", list(m.to)),
    ...(m.cc?.length ? [foldHeader("Cc", list(m.cc))] : []),
    foldHeader("Subject", encodeWords(m.subject)),
    `Date: ${formatDate(m.date ?? new Date())}`,
    `Message-ID: ${m.messageId ?? `<${randomBytes(8).toString("hex")}@${domain}>`}`,
    "MIME-Version: 1.0",
  ];
  const text = m.text ?? m.body ?? "";
  const textPart = leaf(asLines(text), "text/plain; charset=utf-8");
  let body = m.html === undefined ? textPart : multipart("alternative", [textPart, leaf(asLines(m.html), "text/html; charset=utf-8")]);
  if (m.attachments?.length) {
    const files = m.attachments.map((a) => {
      const name = encodeWords(a.filename).replace(/"/g, "");
      return leaf(Buffer.from(a.content), `${a.contentType ?? "application/octet-stream"}; name="${name}"`, [foldHeader("Content-Disposition", `attachment; filename="${name}"`)], true);
    });
    body = multipart("mixed", [body, ...files]);
  }
  return `${headers.join("\r\n")}\r\n${body}${body.endsWith("\r\n") ? "" : "\r\n"}`;
}

/** Everyone the message goes to — To, Cc and Bcc — which is what RCPT TO must name. */
export function envelopeRecipients(m: Pick<ComposeOptions, "to" | "cc" | "bcc">): string[] {
  return [...m.to, ...(m.cc ?? []), ...(m.bcc ?? [])].map((a) => (typeof a === "string" ? parseAddressList(a)[0]?.address ?? a : a.address));
}

/**
 * The MIME tree as indented lines, each part with the number IMAP uses for it
 * (`BODY[2.1]`): `2.2 image/gif "dingusfish.gif" — base64, 3,102 bytes`.
 */
export function mimeOutline(part: MimePart, number = "", depth = 0): string[] {
  const name = partFilename(part);
  const charset = part.contentType.params.charset;
  const what = [part.contentType.value, charset && `(${charset})`, name && `"${name}"`].filter(Boolean).join(" ");
  const size = part.parts.length ? `${part.parts.length} parts` : `${part.transferEncoding}, ${part.body.length.toLocaleString("en-US")} bytes`;
  const line = `${"  ".repeat(depth)}${number ? `${number} ` : ""}${what} — ${size}`;
  return [line, ...part.parts.flatMap((p, i) => mimeOutline(p, number ? `${number}.${i + 1}` : `${i + 1}`, depth + 1))];
}
