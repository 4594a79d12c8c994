import * as dnsPacket from "dns-packet";
import { AppLayerError } from "../../errors";
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from "./limits";

/** A decoded DNS message, as dns-packet represents it. */
export type DnsMessage = dnsPacket.Packet;
/** One resource record (answer, authority or additional) as dns-packet represents it. */
export type DnsRecord = dnsPacket.Answer;
/** One question. */
export type DnsQuestion = dnsPacket.Question;

/** The header flag bits, RFC 1035 §4.1.1 (dns-packet keeps them in one 16-bit field). */
export const FLAGS = {
  QR: 1 << 15,
  AA: 1 << 10,
  TC: 1 << 9,
  RD: 1 << 8,
  RA: 1 << 7,
  /** Authentic Data: the resolver validated the answer (RFC 4035 §3.2.3). */
  AD: 1 << 5,
  /** Checking Disabled: the client will validate for itself (RFC 4035 §3.2.2). */
  CD: 1 << 4,
} as const;

/** The DO bit in the EDNS OPT record's flags: the client wants DNSSEC records (RFC 3225). */
export const DO_BIT = 0x8000;

/** Response codes, RFC 1035 §4.1.1 and RFC 2136 §2.2 (number → name, and the reverse). */
export const RCODES = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5,
  YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, // RFC 2136 §2.2, for UPDATE
} as const;
export type Rcode = keyof typeof RCODES;

/** The rcode of a message, as its name. */
export function rcodeOf(m: DnsMessage): string {
  return (m as { rcode?: string }).rcode ?? "NOERROR";
}

/**
 * Decodes one DNS message and returns it with the number of bytes it used — the
 * offset travels with the value instead of in dns-packet's global `decode.bytes`.
 * Anything wrong (a cut-off header, a pointer forward or into itself, counts that
 * promise more records than there are, a question name with a label over 63
 * octets, a record whose data runs past its RDLENGTH) throws `DNS_FORMAT` with
 * the reason. Each record is decoded on its own from bytes cut at the end its
 * RDLENGTH gives: dns-packet alone steps from record to record by what each
 * type's decoder read, so an A record with RDLENGTH 0 took the next record's
 * bytes as its address, and a CAA tag longer than its RDATA read on into the
 * records after it.
 * With `exact` (the default) trailing bytes after the message are an error too.
 *
 * @example const { message } = decodeMessage(datagram);
 */
export function decodeMessage(buf: Uint8Array, options: { exact?: boolean } = {}): { message: DnsMessage; bytes: number } {
  const data = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (data.length < 12) {
    throw new AppLayerError("DNS_FORMAT", `a DNS header is 12 bytes; this message has ${data.length}`, { length: data.length });
  }
  // The records, each decoded within its RDLENGTH; dns-packet reads the header and questions.
  const records: DnsRecord[] = [];
  const walk = walkMessage(data, (type, start, at, rdlength) => {
    const end = at + 10 + rdlength;
    try {
      records.push(answerCodec.decode(data.subarray(0, end), start) as DnsRecord);
      if (answerCodec.decode.bytes === end - start) return undefined;
    } catch {
      // read past the cut: the same fault
    }
    return `the data of a type ${type} record at offset ${start} does not fill its RDLENGTH of ${rdlength} octets`;
  });
  if (walk.stopped) throw new AppLayerError("DNS_FORMAT", walk.stopped, { length: data.length });
  if (walk.walked < walk.promised) throw new AppLayerError("DNS_FORMAT", `the counts promise ${walk.promised} records; the message holds ${walk.walked}`, { length: data.length });
  let message: DnsMessage;
  try {
    const head = Buffer.from(data.subarray(0, walk.questionsEnd)); // the header and questions, with no records counted
    head.fill(0, 6, 12);
    message = dnsPacket.decode(head);
    if (dnsPacket.decode.bytes !== walk.questionsEnd) throw new Error("the questions do not end where their names say");
  } catch (e) {
    throw new AppLayerError("DNS_FORMAT", `cannot decode the DNS message: ${(e as Error).message}`, { length: data.length });
  }
  // dns-packet reads a length byte with the reserved top bits 01 or 10 as a long label, and bytes that are
  // not UTF-8 as U+FFFD: a question name that would not be written back as it came is refused here.
  for (const q of message.questions ?? []) {
    try {
      checkName(q.name);
    } catch (e) {
      throw new AppLayerError("DNS_FORMAT", `the question's name is not a valid name: ${(e as Error).message}`, { length: data.length });
    }
  }
  const [an, ns] = [data.readUInt16BE(6), data.readUInt16BE(8)];
  message.answers = records.slice(0, an);
  message.authorities = records.slice(an, an + ns);
  message.additionals = records.slice(an + ns);
  const bytes = walk.end;
  if ((options.exact ?? true) && bytes !== data.length) {
    throw new AppLayerError("DNS_FORMAT", `${data.length - bytes} bytes follow the end of the DNS message`, { used: bytes, length: data.length });
  }
  return { message, bytes };
}

/**
 * Walks a message's layout: skips the questions, then calls `visit` with the
 * type, the offset where the record starts (its owner name), the offset of its
 * TYPE field and its RDLENGTH for each resource record in order, until it
 * returns a value (`stopped`). Names are skipped, pointers included; the walk
 * ends at the last record the counts promise or at the end of the bytes
 * (`walked` < `promised`). `end` is where the last record walked ends.
 */
export function walkMessage<T>(data: Uint8Array, visit: (type: number, start: number, at: number, rdlength: number) => T | undefined): { stopped?: T; questionsEnd: number; end: number; walked: number; promised: number } {
  const skipName = (at: number) => {
    while (at < data.length && data[at] !== 0) {
      if ((data[at] & 0xc0) === 0xc0) return at + 2;
      at += 1 + data[at];
    }
    return at + 1;
  };
  const u16 = (at: number) => (data[at] << 8) | data[at + 1];
  let at = 12;
  for (let q = u16(4); q > 0 && at <= data.length; q--) at = skipName(at) + 4;
  const questionsEnd = at;
  const promised = u16(6) + u16(8) + u16(10);
  let walked = 0;
  for (; walked < promised; walked++) {
    const start = at;
    const type = skipName(at);
    if (type + 10 > data.length) break;
    const rdlength = u16(type + 8);
    if (type + 10 + rdlength > data.length) break;
    const stopped = visit(u16(type), start, type, rdlength);
    if (stopped !== undefined) return { stopped, questionsEnd, end: at, walked, promised };
    at = type + 10 + rdlength;
  }
  return { questionsEnd, end: at, walked, promised };
}

/** dns-packet's decoder of one resource record (exported by the package, missing from its types). */
const answerCodec = (dnsPacket as unknown as { answer: { decode: ((buf: Buffer, offset: number) => unknown) & { bytes: number } } }).answer;

/** Encodes a DNS message to wire format. */
export function encodeMessage(m: DnsMessage): Buffer {
  return dnsPacket.encode(m);
}

/**
 * Checks a domain name against RFC 1035's limits; throws `DNS_NAME` naming the
 * offending label. "." and "" are the root.
 */
export function checkName(name: string): void {
  const trimmed = name.replace(/\.$/, "");
  if (trimmed === "") return;
  let wire = 1; // the root's zero byte
  for (const label of trimmed.split(".")) {
    const len = Buffer.byteLength(label);
    if (len === 0) throw new AppLayerError("DNS_NAME", `"${name}" has an empty label`, { name });
    if (len > MAX_LABEL_LENGTH) throw new AppLayerError("DNS_NAME", `the label "${label.slice(0, 20)}…" is ${len} octets; the limit is ${MAX_LABEL_LENGTH}`, { name, label });
    wire += len + 1;
  }
  if (wire > MAX_NAME_LENGTH) throw new AppLayerError("DNS_NAME", `"${name.slice(0, 30)}…" is ${wire} octets on the wire; the limit is ${MAX_NAME_LENGTH}`, { name, length: wire });
}

/**
 * Lower-cased, without the trailing dot: the key names are compared and stored
 * under (RFC 4343: case-insensitive). Not DNSSEC's canonical form, which is
 * wire bytes: see ../dnssec/canonical.
 */
export function nameKey(name: string): string {
  return (name.endsWith(".") ? name.slice(0, -1) : name).toLowerCase();
}

/** True when `name` equals `zone` or lies below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = nameKey(name);
  const z = nameKey(zone);
  // n ends with "." + z, tested without building that string (this runs for every record a resolver caches).
  return z === "" || n === z || (n.length > z.length && n.charCodeAt(n.length - z.length - 1) === 46 && n.endsWith(z));
}

// What the two reply caches share (the authoritative server's PacketCache and the
// resolver's MessageCache): a query is looked up by its bytes after the id, and a
// cached reply goes out as a copy carrying the asker's id.

/** The key of a query: everything after its 2-byte id (flags, counts, question, EDNS). */
export function queryKey(query: Uint8Array): string {
  return Buffer.from(query.buffer, query.byteOffset, query.length).toString("latin1", 2);
}

/** A copy of a cached reply with the query's id written in (a reply carries its query's id, RFC 1035 §4.1.1). */
export function replyTo(query: Uint8Array, cached: Buffer): Buffer {
  const reply = Buffer.from(cached);
  reply[0] = query[0];
  reply[1] = query[1];
  return reply;
}
