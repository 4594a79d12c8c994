import { MAX_IMAP_LINE, MAX_IMAP_LITERAL } from "./limits";
import { findControlByte } from "../net/framing";

/**
 * IMAP's syntax (RFC 9051 §4, §9), pure: how commands and responses are framed
 * and tokenized. Both directions use the same pieces:
 *
 *  - lines end in CRLF, but a line may carry *literals*: `{5}` CRLF then exactly 5
 *    bytes of anything (a message, a password with spaces), then the line goes on.
 *    Before a client sends a synchronizing literal it waits for the server's `+`;
 *    with LITERAL+ (RFC 7888) it writes `{5+}` and does not wait;
 *  - values are atoms (`FLAGS`, `\Seen`, `1:*`), "quoted strings", literals, NIL,
 *    and parenthesized lists.
 */

/** A token: an atom or quoted string (string), a literal (Buffer), NIL (null), or a list. */
export type ImapValue = string | Buffer | null | ImapValue[];

/** What the framer found in the stream. */
export type FrameEvent =
  /** A whole line, literals included: the text with each literal replaced by "\u0000<index>" and the literals apart. */
  | { kind: "line"; text: string; literals: Buffer[] }
  /** A synchronizing literal was announced: the server must say "+ …" before the client sends it. */
  | { kind: "continue"; size: number }
  /** The line broke a limit; `tag` is its tag if one could be read. The rest of that line is skipped. */
  | { kind: "error"; tag?: string; text: string; fatal: boolean };

/**
 * Cuts a byte stream into IMAP lines with their literals (either direction).
 * Limits: a line of at most `maxLine` octets outside literals, literals of at most
 * `maxLiteral` octets. Over-long synchronizing literals are refused before the
 * client sends them; over-long LITERAL+ literals end the connection (fatal), as
 * RFC 7888 §4 allows, since their bytes are already on the way.
 *
 * With `commands` (the server's side, reading a client's commands) only CRLF ends a
 * line (RFC 9051 §2.2), and a line holding a control byte outside its literals —
 * a bare CR or LF, NUL, TAB, DEL — is refused: such a byte would let one argument
 * smuggle in another command, and a string that needs one goes as a literal.
 */
export class ImapFramer {
  private buffer = Buffer.alloc(0);
  private text = "";
  private literals: Buffer[] = [];
  private need = 0; // bytes of literal still to read
  private skipping = false;

  constructor(
    readonly maxLine = MAX_IMAP_LINE,
    readonly maxLiteral = MAX_IMAP_LITERAL,
    readonly commands = false,
  ) {}

  push(chunk: Uint8Array): FrameEvent[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : Buffer.from(chunk);
    const events: FrameEvent[] = [];
    for (;;) {
      if (this.need > 0) {
        if (this.buffer.length < this.need) break;
        this.literals.push(this.buffer.subarray(0, this.need));
        this.buffer = this.buffer.subarray(this.need);
        this.need = 0;
        continue;
      }
      const nl = this.commands ? this.buffer.indexOf("\r\n") : this.buffer.indexOf(0x0a);
      if (nl < 0) {
        if (this.buffer.length + this.text.length > this.maxLine && !this.skipping) {
          events.push({ kind: "error", tag: tagOf(this.text || this.buffer.toString("latin1")), text: `line longer than ${this.maxLine} octets`, fatal: false });
          this.reset(true);
        }
        // Skipping: drop what came, but keep a last CR, which may be the start of the CRLF that ends the line.
        if (this.skipping) this.buffer = this.buffer.subarray(this.buffer[this.buffer.length - 1] === 0x0d ? this.buffer.length - 1 : this.buffer.length);
        break;
      }
      const piece = this.commands ? this.buffer.subarray(0, nl).toString("latin1") : this.buffer.subarray(0, nl).toString("latin1").replace(/\r$/, "");
      this.buffer = this.buffer.subarray(nl + (this.commands ? 2 : 1));
      if (this.skipping) {
        this.reset(false);
        continue;
      }
      if (piece.includes("\u0000") || (this.commands && findControlByte(piece))) {
        // NUL is no character of IMAP's (RFC 9051 §9); here it also marks where literals were. RFC 9051 §9: atoms hold
        // no CTL and quoted strings no CR or LF; a command's other control bytes are refused too (send a literal).
        events.push({ kind: "error", tag: tagOf(this.text + piece), text: "control bytes (CR, LF, NUL, TAB, DEL…) are not allowed in a command line outside literals", fatal: false });
        this.reset(false);
        continue;
      }
      this.text += piece;
      if (this.text.length > this.maxLine) {
        events.push({ kind: "error", tag: tagOf(this.text), text: `line longer than ${this.maxLine} octets`, fatal: false });
        this.reset(false);
        continue;
      }
      const m = /\{(\d+)(\+?)\}$/.exec(piece);
      if (!m) {
        events.push({ kind: "line", text: this.text, literals: this.literals });
        this.reset(false);
        continue;
      }
      const size = Number(m[1]);
      const sync = m[2] !== "+";
      if (size > this.maxLiteral) {
        events.push({ kind: "error", tag: tagOf(this.text), text: `[TOOBIG] literal of ${size} octets is over the limit of ${this.maxLiteral}`, fatal: !sync });
        this.reset(false);
        continue;
      }
      this.text = `${this.text.slice(0, this.text.length - m[0].length)}\u0000${this.literals.length}`;
      this.need = size;
      if (size === 0) this.literals.push(Buffer.alloc(0)), (this.need = 0);
      if (sync) events.push({ kind: "continue", size });
    }
    return events;
  }

  private reset(skipRest: boolean): void {
    this.text = "";
    this.literals = [];
    this.skipping = skipRest;
  }
}

/** The tag a line starts with, if it looks like one. */
export function tagOf(text: string): string | undefined {
  const m = /^([^\s(){%*"\\\]\x00-\x1f\x7f+]+) /.exec(text);
  return m?.[1];
}

export class ImapSyntaxError extends Error {}

/**
 * Tokenizes a line from {@link ImapFramer} into values. Atoms may carry a bracketed
 * section with spaces inside (`BODY[HEADER.FIELDS (FROM TO)]<0.100>`): kept whole.
 * Throws ImapSyntaxError on unbalanced parentheses or quotes.
 */
export function tokenize(text: string, literals: Buffer[] = []): ImapValue[] {
  let i = 0;
  const read = (): ImapValue[] => {
    const out: ImapValue[] = [];
    while (i < text.length) {
      const c = text[i];
      if (c === " ") {
        i++;
      } else if (c === "(") {
        i++;
        out.push(read());
        if (text[i] !== ")") throw new ImapSyntaxError("a list is missing its closing parenthesis");
        i++;
      } else if (c === ")") {
        return out;
      } else if (c === '"') {
        let s = "";
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === "\\") i++;
          s += text[i++] ?? "";
        }
        if (text[i] !== '"') throw new ImapSyntaxError("a quoted string is missing its closing quote");
        i++;
        out.push(s);
      } else if (c === "\u0000") {
        const m = /^\u0000(\d+)/.exec(text.slice(i))!;
        out.push(literals[Number(m[1])]);
        i += m[0].length;
      } else {
        let s = "";
        while (i < text.length && !" ()".includes(text[i])) {
          if (text[i] === "[") {
            const close = text.indexOf("]", i);
            if (close < 0) throw new ImapSyntaxError("a section is missing its closing bracket");
            s += text.slice(i, close + 1);
            i = close + 1;
          } else {
            s += text[i++];
          }
        }
        out.push(s.toUpperCase() === "NIL" ? null : s);
      }
    }
    return out;
  };
  const values = read();
  if (i < text.length) throw new ImapSyntaxError("a closing parenthesis without an opening one");
  return values;
}

/**
 * Writes a string for a response: as an atom-safe quoted string when it can be,
 * otherwise as a literal (CR, LF, 8-bit, or very long text). NIL for undefined/null.
 */
export function imapString(value: string | Buffer | null | undefined): string {
  if (value === null || value === undefined) return "NIL";
  const s = typeof value === "string" ? value : value.toString("latin1");
  if (typeof value === "string" && /^[\x20-\x7e]*$/.test(s) && s.length < 1000) return `"${s.replace(/(["\\])/g, "\\$1")}"`;
  return `{${Buffer.byteLength(s, "latin1")}}\r\n${s}`;
}

/** A list of values, parenthesized, for a response. */
export const imapList = (items: string[]) => `(${items.join(" ")})`;

/**
 * A sequence set (`1:3,7,10:*`) as a membership test over numbers, where `*` is
 * the largest number in use (RFC 9051 §9 seq-number). Throws on bad syntax.
 */
export function parseSequenceSet(text: string, largest: number): (n: number) => boolean {
  const ranges = text.split(",").map((part) => {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(part);
    if (!m) throw new ImapSyntaxError(`"${text}" is not a sequence set (like 1:3,7,10:*)`);
    const value = (x: string) => (x === "*" ? largest : Number(x));
    const [a, b] = [value(m[1]), value(m[2] ?? m[1])];
    return [Math.min(a, b), Math.max(a, b)];
  });
  return (n) => ranges.some(([lo, hi]) => n >= lo && n <= hi);
}

/** The compact form of a sorted list of numbers: [1,2,3,7] → "1:3,7" (for COPYUID and SEARCH replies). */
export function formatSequenceSet(numbers: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < numbers.length; i++) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    out.push(j > i ? `${numbers[i]}:${numbers[j]}` : `${numbers[i]}`);
    i = j;
  }
  return out.join(",");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** IMAP's date-time (INTERNALDATE): `"24-Nov-2026 10:00:00 +0000"`. */
export function imapDateTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `"${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000"`;
}

/** IMAP's date (SEARCH SINCE 1-Feb-2026) → the start of that day, UTC; undefined if malformed. */
export function parseImapDate(text: string): Date | undefined {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = m ? MONTHS.findIndex((x) => x.toLowerCase() === m[2].toLowerCase()) : -1;
  return m && month >= 0 ? new Date(Date.UTC(Number(m[3]), month, Number(m[1]))) : undefined;
}
