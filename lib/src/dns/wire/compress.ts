import { AppLayerError } from "../../errors";
import { MAX_NAME_LENGTH } from "./limits";

/**
 * Name compression (RFC 1035 §4.1.4): a name, or the tail of one, that the
 * message already holds is written as a two-byte pointer to it. The top two
 * bits 11 mark the pointer; the other 14 give the offset from the message's
 * start, so only names in the first 16 KiB can be pointed at. Pointers only
 * point backwards, to bytes the receiver has already read.
 *
 * dns-packet, which encodes the lib's messages, writes every name in full;
 * `compressMessage` rewrites such a message with pointers, as Knot and BIND
 * send theirs. Names are compared byte for byte, so a compressed message decodes
 * to exactly the names it had (case included).
 */

/** The largest offset a pointer can hold (14 bits). */
export const MAX_POINTER_OFFSET = 0x3fff;

/**
 * Record types whose RDATA holds names that may be compressed, and where:
 * only RFC 1035's own types (RFC 3597 §4). Every newer type (SRV, RRSIG, NSEC…)
 * is copied as it is: its receivers need not understand pointers in it.
 */
const NAMES_IN_RDATA: Record<number, "name" | "mx" | "soa"> = { 2: "name", 5: "name", 12: "name", 15: "mx", 6: "soa" };

const formatError = (why: string) => new AppLayerError("DNS_FORMAT", `cannot compress the message: ${why}`);

class Compressor {
  private out: Buffer;
  private r = 12;
  private w = 12;
  /** Where each name tail already written starts, keyed by its wire bytes. */
  private readonly written = new Map<string, number>();

  constructor(private readonly wire: Buffer) {
    // Names written in full never get longer; only a name that was itself a pointer can grow, and then `room` makes space.
    this.out = Buffer.allocUnsafe(wire.length);
    wire.copy(this.out, 0, 0, 12);
  }

  run(): Buffer {
    const counts = [0, 1, 2, 3].map((i) => this.wire.readUInt16BE(4 + 2 * i));
    for (let q = 0; q < counts[0]; q++) {
      this.name();
      this.copy(4); // type, class
    }
    for (let rr = 0; rr < counts[1] + counts[2] + counts[3]; rr++) this.record();
    if (this.r !== this.wire.length) throw formatError(`${this.wire.length - this.r} bytes after the last record`);
    return this.out.subarray(0, this.w);
  }

  private need(n: number): void {
    if (this.r + n > this.wire.length) throw formatError(`the message ends inside a record at offset ${this.r}`);
  }

  private room(n: number): void {
    if (this.w + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.out.length, this.w + n));
    this.out.copy(bigger, 0, 0, this.w);
    this.out = bigger;
  }

  private copy(n: number): void {
    this.need(n);
    this.room(n);
    this.wire.copy(this.out, this.w, this.r, this.r + n);
    this.r += n;
    this.w += n;
  }

  /** Reads the name at the read position (following pointers it may already have) and writes it compressed. */
  private name(): void {
    const labels: Buffer[] = [];
    let at = this.r;
    let jumped = false;
    let length = 1;
    for (;;) {
      if (at >= this.wire.length) throw formatError(`a name runs past the end at offset ${at}`);
      const len = this.wire[at];
      if (len === 0) {
        if (!jumped) this.r = at + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (at + 1 >= this.wire.length) throw formatError("a pointer cut in half");
        const target = ((len & 0x3f) << 8) | this.wire[at + 1];
        if (target >= at) throw formatError(`a pointer at ${at} that does not point backwards`);
        if (!jumped) this.r = at + 2;
        jumped = true;
        at = target;
        continue;
      }
      if (len & 0xc0) throw formatError(`a label length byte 0x${len.toString(16)}`);
      labels.push(this.wire.subarray(at, at + 1 + len));
      length += 1 + len;
      if (length > MAX_NAME_LENGTH) throw formatError("a name over 255 octets");
      at += 1 + len;
    }
    // A name written in full (as dns-packet writes them) lies in one run of bytes: each tail's key is a slice of it.
    const end = at;
    let tail = jumped ? 0 : end - (length - 1);
    for (let i = 0; i < labels.length; i++) {
      const key = jumped ? Buffer.concat(labels.slice(i)).toString("latin1") : this.wire.toString("latin1", tail, end);
      tail += labels[i].length;
      const earlier = this.written.get(key);
      this.room(labels[i].length + 2);
      if (earlier !== undefined) {
        this.out.writeUInt16BE(0xc000 | earlier, this.w);
        this.w += 2;
        return;
      }
      if (this.w <= MAX_POINTER_OFFSET) this.written.set(key, this.w);
      labels[i].copy(this.out, this.w);
      this.w += labels[i].length;
    }
    this.room(1);
    this.out[this.w++] = 0;
  }

  private record(): void {
    this.name();
    this.need(10);
    const type = this.wire.readUInt16BE(this.r);
    const rdlength = this.wire.readUInt16BE(this.r + 8);
    this.copy(8); // type, class, TTL
    const lengthAt = this.w;
    this.room(2);
    this.w += 2;
    this.r += 2;
    this.need(rdlength);
    const end = this.r + rdlength;
    const layout = NAMES_IN_RDATA[type];
    const start = this.w;
    if (layout === "mx") this.copy(2);
    if (layout) this.name();
    if (layout === "soa") {
      this.name();
      this.copy(20); // serial, refresh, retry, expire, minimum
    }
    if (this.r > end) throw formatError(`the RDATA of a type ${type} record is longer than its RDLENGTH`);
    this.copy(end - this.r); // the rest of the RDATA (all of it, for other types), as it is
    this.out.writeUInt16BE(this.w - start, lengthAt);
  }
}

/**
 * The same message with every repeated name (and name tail) in the question,
 * the owners, and the RDATA of NS, CNAME, PTR, MX and SOA records written as a
 * pointer. Throws DNS_FORMAT for bytes that are not a whole message.
 *
 * @example compressMessage(encodeMessage(reply)).length // 115, where dns-packet wrote 191
 */
export function compressMessage(wire: Uint8Array): Buffer {
  const bytes = Buffer.isBuffer(wire) ? wire : Buffer.from(wire.buffer, wire.byteOffset, wire.length);
  if (bytes.length < 12) throw formatError(`a DNS header is 12 bytes; this message has ${bytes.length}`);
  return new Compressor(bytes).run();
}
