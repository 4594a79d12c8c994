import { ENCODED_LINE } from "./limits";

/**
 * Content-Transfer-Encodings (RFC 2045 §6): how any bytes — a UTF-8 letter, a
 * JPEG — travel through SMTP's 7-bit ASCII lines. Pure functions, no I/O.
 *
 *  - base64: 3 bytes → 4 letters, 76 letters a line. Good for binary (33% bigger).
 *  - quoted-printable: ASCII stays readable, other bytes become =XX, long lines get
 *    a soft break `=` at the end. Good for mostly-English text.
 */
export type TransferEncoding = "7bit" | "8bit" | "binary" | "base64" | "quoted-printable";

/** Bytes → base64 in lines of 76 letters joined by CRLF. */
export function encodeBase64(bytes: Uint8Array): string {
  const flat = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += ENCODED_LINE) lines.push(flat.slice(i, i + ENCODED_LINE));
  return lines.join("\r\n");
}

/** base64 → bytes; line breaks and other letters outside the alphabet are skipped (RFC 2045 §6.8). */
export function decodeBase64(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ""), "base64");
}

const hex = (b: number) => `=${b.toString(16).toUpperCase().padStart(2, "0")}`;

/**
 * Bytes → quoted-printable (RFC 2045 §6.7). Line breaks (CRLF or LF) in the input
 * stay hard line breaks; '=', bytes outside printable ASCII, and a space or tab at
 * the end of a line become =XX; lines longer than 76 get a soft break "=".
 */
export function encodeQuotedPrintable(bytes: Uint8Array): string {
  const text = Buffer.from(bytes);
  const out: string[] = [];
  let line = "";
  const push = (token: string) => {
    if (line.length + token.length > ENCODED_LINE - 1) {
      out.push(`${line}=`); // soft line break: not part of the content
      line = "";
    }
    line += token;
  };
  for (let i = 0; i < text.length; i++) {
    const b = text[i];
    if (b === 0x0d && text[i + 1] === 0x0a) continue; // the LF below ends the line
    if (b === 0x0a) {
      out.push(line);
      line = "";
      continue;
    }
    const atLineEnd = i + 1 === text.length || text[i + 1] === 0x0a || (text[i + 1] === 0x0d && text[i + 2] === 0x0a);
    const literal = (b >= 33 && b <= 126 && b !== 0x3d) || ((b === 0x20 || b === 0x09) && !atLineEnd);
    push(literal ? String.fromCharCode(b) : hex(b));
  }
  out.push(line);
  return out.join("\r\n");
}

/** quoted-printable → bytes. Soft breaks vanish; a malformed "=" is kept as it is, as RFC 2045 §6.7 (note 1) suggests. */
export function decodeQuotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  const body = text.replace(/[ \t]+(?=\r?\n|$)/g, "").replace(/=\r?\n/g, "");
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(body.slice(i + 1, i + 3))) {
      bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x0a && bytes[bytes.length - 1] !== 0x0d) {
      bytes.push(0x0d, 0x0a);
    } else {
      bytes.push(c & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** Undoes a part's Content-Transfer-Encoding; unknown ones are passed through unchanged. */
export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding.trim().toLowerCase()) {
    case "base64":
      return decodeBase64(body.toString("latin1"));
    case "quoted-printable":
      return decodeQuotedPrintable(body.toString("latin1"));
    default:
      return body;
  }
}

/** Is this text safe to send as it is in 7-bit SMTP (ASCII, lines of at most 998 octets)? */
export function isSevenBitSafe(bytes: Uint8Array): boolean {
  let run = 0;
  for (const b of bytes) {
    if (b > 127 || b === 0) return false;
    run = b === 0x0a ? 0 : run + 1;
    if (run > 998) return false;
  }
  return true;
}

/**
 * Bytes in a charset → a string. Node's TextDecoder knows the WHATWG encodings
 * (utf-8, iso-8859-x, windows-125x, koi8-r, gb18030, …); unknown labels fall back
 * to Latin-1, which never fails — a mail client shows something rather than nothing.
 */
export function decodeCharset(bytes: Uint8Array, charset = "us-ascii"): string {
  const label = charset.trim().toLowerCase();
  if (label === "us-ascii" || label === "ascii") return new TextDecoder("windows-1252").decode(bytes);
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString("latin1");
  }
}
