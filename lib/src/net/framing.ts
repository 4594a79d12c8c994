import { AppLayerError } from "../errors";

/**
 * TCP delivers a byte stream, not messages: three writes may arrive as one read,
 * or one write as many. Framing puts the boundaries back. Two common ways:
 * a terminator (SMTP, POP3, IMAP and HTTP headers end lines with CRLF) and a
 * length prefix (DNS over TCP: RFC 1035 §4.2.2, a 2-byte length before each message).
 */

/**
 * Splits a stream into lines ending in `\n` (a preceding `\r` is removed too), or
 * with `crlfOnly` — a server reading commands (RFC 5321 §2.3.8, RFC 1939 §3) — only
 * at CRLF, so a bare LF or CR stays inside its line for the protocol to refuse.
 * A line longer than `maxLine` bytes throws `LINE_TOO_LONG` rather than growing
 * the buffer forever.
 *
 * @example
 * const s = new LineSplitter(1024);
 * s.push(Buffer.from("HEL"));      // []
 * s.push(Buffer.from("LO\nBY"));   // [<Buffer 48 45 4c 4c 4f>]
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  constructor(
    readonly maxLine: number,
    readonly crlfOnly = false,
  ) {}

  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = this.crlfOnly ? this.pending.indexOf("\r\n", start) : this.pending.indexOf(0x0a, start);
      if (nl < 0) break;
      // Without crlfOnly a CR before the LF is not part of the line; with it, nl is that CR already.
      const end = !this.crlfOnly && nl > start && this.pending[nl - 1] === 0x0d ? nl - 1 : nl;
      this.checkLength(end - start);
      lines.push(this.pending.subarray(start, end));
      start = nl + (this.crlfOnly ? 2 : 1);
    }
    this.pending = this.pending.subarray(start);
    // A last CR may be the start of the line end, whose LF comes in the next read: it does not count.
    this.checkLength(this.pending.length - (this.pending[this.pending.length - 1] === 0x0d ? 1 : 0));
    return lines;
  }

  /** Whatever arrived after the last newline (a final line without a terminator). */
  rest(): Buffer {
    const r = this.pending;
    this.pending = Buffer.alloc(0);
    return r;
  }

  private checkLength(n: number): void {
    if (n > this.maxLine) {
      throw new AppLayerError("LINE_TOO_LONG", `a line is longer than ${this.maxLine} bytes`, { limit: this.maxLine });
    }
  }
}

/** Prefixes `payload` with its length as a big-endian integer of `prefixBytes` (2 or 4) bytes. */
export function encodeFrame(payload: Uint8Array, prefixBytes: 2 | 4 = 2): Buffer {
  const max = prefixBytes === 2 ? 0xffff : 0xffffffff;
  if (payload.length > max) {
    throw new AppLayerError("FRAME_TOO_LARGE", `a ${payload.length}-byte frame does not fit a ${prefixBytes}-byte length`, { length: payload.length });
  }
  const out = Buffer.alloc(prefixBytes + payload.length);
  if (prefixBytes === 2) out.writeUInt16BE(payload.length, 0);
  else out.writeUInt32BE(payload.length, 0);
  out.set(payload, prefixBytes);
  return out;
}

/**
 * Reassembles length-prefixed frames from a byte stream, whatever the chunking.
 * A length over `maxFrame` throws `FRAME_TOO_LARGE` as soon as the prefix is read,
 * before any memory is spent on the body.
 *
 * @example
 * const d = new FrameDecoder(2, 65535);
 * d.push(encodeFrame(Buffer.from("hi")).subarray(0, 3)); // []
 * d.push(Buffer.from("i"));                               // [<Buffer 68 69>]
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  constructor(readonly prefixBytes: 2 | 4, readonly maxFrame: number) {}

  push(chunk: Uint8Array): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    const frames: Buffer[] = [];
    let off = 0;
    while (this.pending.length - off >= this.prefixBytes) {
      const len = this.prefixBytes === 2 ? this.pending.readUInt16BE(off) : this.pending.readUInt32BE(off);
      if (len > this.maxFrame) {
        throw new AppLayerError("FRAME_TOO_LARGE", `a frame announces ${len} bytes; the limit is ${this.maxFrame}`, { length: len, limit: this.maxFrame });
      }
      if (this.pending.length - off - this.prefixBytes < len) break;
      frames.push(this.pending.subarray(off + this.prefixBytes, off + this.prefixBytes + len));
      off += this.prefixBytes + len;
    }
    this.pending = this.pending.subarray(off);
    return frames;
  }

  /** Bytes received but not yet a whole frame. */
  get buffered(): number {
    return this.pending.length;
  }
}

/**
 * The first control byte in `text` — C0 (NUL to US, CR and LF among them) or DEL —
 * or undefined. In a text protocol's command a CR or LF would end the line and start
 * another command (injection); NUL and the others have no place there either.
 *
 * @example findControlByte("bob@umass.edu>\r\nDATA") // { offset: 14, byte: 13 }
 */
export function findControlByte(text: string): { offset: number; byte: number } | undefined {
  const m = /[\x00-\x1f\x7f]/.exec(text);
  return m ? { offset: m.index, byte: text.charCodeAt(m.index) } : undefined;
}

/**
 * Returns `value` if it may go into a command line; throws `COMMAND_INJECTION`
 * (before anything is sent) if it holds a control byte. `what` names it in the error.
 *
 * @example safeArgument("bob", "POP3 USER") // "bob"; safeArgument("bob\r\nDELE 1", "POP3 USER") throws
 */
export function safeArgument(value: string, what: string): string {
  const c = findControlByte(value);
  if (c) throw new AppLayerError("COMMAND_INJECTION", `${what} holds the control byte 0x${c.byte.toString(16).padStart(2, "0")} at offset ${c.offset}: refused, it would end the command and start another`, { what, offset: c.offset, byte: c.byte });
  return value;
}
