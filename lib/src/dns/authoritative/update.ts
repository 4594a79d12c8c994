import * as dnsPacket from "dns-packet";
import { AppLayerError } from "../../errors";
import { Address, formatAddress } from "../../net/address";
import { CallOptions, withDeadline } from "../../net/lifecycle";
import { Network, loopback } from "../../net/network";
import { DnsMessage, DnsRecord, FLAGS, RCODES, Rcode, nameKey, isInZone } from "../wire/codec";
import { formatRdata } from "../wire/records";
import { Zone } from "../wire/zone";

/**
 * Dynamic UPDATE (RFC 2136): change a zone over the wire, as `nsupdate` does.
 * dns-packet cannot decode update records — they use class NONE (254) and empty
 * rdata ("delete this RRset") — so this file reads the message itself and asks
 * dns-packet only for rdata that is actually there.
 */

/** The DNS opcode of UPDATE (RFC 2136 §1.3). */
export const OPCODE_UPDATE = 5;

/** An update or prerequisite record: class IN adds, ANY deletes RRsets, NONE deletes one RR. */
export interface UpdateRecord {
  name: string;
  type: string;
  class: "IN" | "ANY" | "NONE";
  ttl: number;
  /** Undefined when the record has no rdata (RFC 2136 §2.5.2–2.5.3). */
  data?: unknown;
}

export interface UpdateMessage {
  id: number;
  zone: { name: string; type: string };
  prerequisites: UpdateRecord[];
  updates: UpdateRecord[];
}

/** True when the header's opcode says UPDATE. */
export function isUpdate(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ((bytes[2] >> 3) & 0x0f) === OPCODE_UPDATE;
}

// dns-packet exports its per-element codecs, but @types/dns-packet does not declare them.
type Decoder<T> = { (buf: Buffer, offset: number): T; bytes: number };
const wire = dnsPacket as unknown as { name: { decode: Decoder<string> }; answer: { decode: Decoder<{ data?: unknown }> } };

const CLASS: Record<number, UpdateRecord["class"]> = { 1: "IN", 255: "ANY", 254: "NONE" };
const TYPE: Record<number, string> = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 255: "ANY" };
/** A type's name, or RFC 3597's TYPEnn for one we do not know. */
const typeName = (n: number) => TYPE[n] ?? `TYPE${n}`;

/** Decodes an UPDATE message; anything malformed throws `DNS_FORMAT`. */
export function decodeUpdate(bytes: Uint8Array): UpdateMessage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const fail = (why: string): never => {
    throw new AppLayerError("DNS_FORMAT", `bad UPDATE message: ${why}`);
  };
  try {
    if (buf.length < 12) fail("shorter than a header");
    const [zocount, prcount, upcount] = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8)];
    if (zocount !== 1) fail(`the zone section must hold one zone, not ${zocount}`); // RFC 2136 §3.1.1
    let off = 12;
    const zoneName = wire.name.decode(buf, off);
    off += wire.name.decode.bytes;
    if (off + 4 > buf.length) fail("the zone section is cut off");
    const zone = { name: zoneName, type: typeName(buf.readUInt16BE(off)) };
    off += 4;
    const records = (n: number): UpdateRecord[] =>
      Array.from({ length: n }, () => {
        const start = off;
        const name = wire.name.decode(buf, off);
        off += wire.name.decode.bytes;
        if (off + 10 > buf.length) fail("a record is cut off");
        const klass = CLASS[buf.readUInt16BE(off + 2)] ?? fail(`class ${buf.readUInt16BE(off + 2)} is not IN, ANY or NONE`);
        const rdlength = buf.readUInt16BE(off + 8);
        if (off + 10 + rdlength > buf.length) fail("a record runs past the end of the message");
        const rec: UpdateRecord = { name, type: typeName(buf.readUInt16BE(off)), class: klass, ttl: buf.readUInt32BE(off + 4) };
        // rdata present: let dns-packet read it as an ordinary record (its names may be compressed).
        if (rdlength > 0) rec.data = (wire.answer.decode(buf, start) as { data?: unknown }).data;
        off += 10 + rdlength;
        return rec;
      });
    const prerequisites = records(prcount);
    const updates = records(upcount);
    return { id: buf.readUInt16BE(0), zone, prerequisites, updates };
  } catch (e) {
    if (e instanceof AppLayerError) throw e;
    throw new AppLayerError("DNS_FORMAT", `bad UPDATE message: ${(e as Error).message}`);
  }
}

const same = (a: { name: string; type: string }, b: { name: string; type: string }) => nameKey(a.name) === nameKey(b.name) && a.type === b.type;
const rdata = (r: { name: string; type: string; data?: unknown }) => formatRdata(r as DnsRecord);

/**
 * Checks the prerequisites (RFC 2136 §3.2) and applies the updates (§3.4) to the
 * zone, all or nothing, bumping the SOA serial when anything changed. The apex's
 * SOA and NS records are never deleted (§3.4.2.3–4).
 */
export function applyUpdate(zone: Zone, msg: UpdateMessage): Rcode {
  const rrset = (name: string, type: string) => zone.at(name).filter((r) => type === "ANY" || r.type === type);
  for (const p of msg.prerequisites) {
    if (!isInZone(p.name, zone.origin)) return "NOTZONE";
    if (p.class === "ANY" && p.type === "ANY" && !zone.exists(p.name)) return "NXDOMAIN";
    if (p.class === "ANY" && p.type !== "ANY" && !rrset(p.name, p.type).length) return "NXRRSET";
    if (p.class === "NONE" && p.type === "ANY" && zone.exists(p.name)) return "YXDOMAIN";
    if (p.class === "NONE" && p.type !== "ANY" && rrset(p.name, p.type).length) return "YXRRSET";
  }
  const valueSets = msg.prerequisites.filter((p) => p.class === "IN");
  for (const p of valueSets) {
    const want = valueSets.filter((q) => same(q, p)).map(rdata).sort();
    const have = rrset(p.name, p.type).map(rdata).sort();
    if (want.join("\n") !== have.join("\n")) return "NXRRSET";
  }
  for (const u of msg.updates) {
    if (!isInZone(u.name, zone.origin)) return "NOTZONE";
    if (u.class === "IN" && (u.data === undefined || u.type === "ANY")) return "FORMERR";
  }
  let changed = 0;
  const apex = (r: DnsRecord) => nameKey(r.name) === zone.origin && (r.type === "SOA" || r.type === "NS");
  for (const u of msg.updates) {
    if (u.class === "IN") {
      if (u.type === "SOA") continue; // serials are ours to bump
      if (rrset(u.name, u.type).some((r) => rdata(r) === rdata(u))) continue; // already there
      zone.add({ name: u.name, type: u.type, ttl: u.ttl, class: "IN", data: u.data } as DnsRecord);
      changed++;
    } else if (u.class === "ANY") {
      changed += zone.remove((r) => nameKey(r.name) === nameKey(u.name) && (u.type === "ANY" || r.type === u.type) && !apex(r));
    } else {
      changed += zone.remove((r) => same(r, u) && rdata(r) === rdata(u) && !apex(r));
    }
  }
  if (changed) zone.bumpSerial();
  return "NOERROR";
}

/** The reply to an UPDATE: its id, opcode and zone section echoed, with the rcode. */
export function updateReply(msg: UpdateMessage | { id: number; zone?: undefined }, rcode: Rcode): DnsMessage {
  return {
    id: msg.id,
    type: "response",
    // dns-packet writes the opcode only from the flag bits (bits 11–14).
    flags: FLAGS.QR | (OPCODE_UPDATE << 11) | RCODES[rcode],
    questions: msg.zone ? [{ name: msg.zone.name, type: "SOA", class: "IN" }] : [],
  };
}

const CLASS_NUMBER = { IN: 1, ANY: 255, NONE: 254 } as const;
const TYPE_NUMBER: Record<string, number> = Object.fromEntries(Object.entries(TYPE).map(([n, t]) => [t, Number(n)]));
type Encoder = { encode(value: unknown): Buffer };
const rdataCodec = (type: string) => (dnsPacket as unknown as Record<string, Encoder>)[type.toLowerCase()];

/**
 * Encodes an UPDATE message: header with opcode 5, the zone, prerequisites and
 * updates. Records without data (deletions) get rdlength 0, which dns-packet's
 * own encoder cannot write.
 */
export function encodeUpdate(msg: UpdateMessage): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(msg.prerequisites.length, 6);
  header.writeUInt16BE(msg.updates.length, 8);
  const name = (n: string) => (dnsPacket as unknown as { name: Encoder }).name.encode(n);
  const u16 = (v: number) => Buffer.from([v >> 8, v & 255]);
  const record = (r: UpdateRecord) => {
    // rdata encoders write a 2-byte length first, as on the wire; none at all → rdlength 0.
    const rdata = r.data === undefined ? u16(0) : rdataCodec(r.type).encode(r.data);
    const ttl = Buffer.alloc(4);
    ttl.writeUInt32BE(r.ttl, 0);
    return Buffer.concat([name(r.name), u16(TYPE_NUMBER[r.type]), u16(CLASS_NUMBER[r.class]), ttl, rdata]);
  };
  return Buffer.concat([header, name(msg.zone.name), u16(TYPE_NUMBER.SOA), u16(1), ...msg.prerequisites.map(record), ...msg.updates.map(record)]);
}

/**
 * Sends an UPDATE to a server and resolves with its rcode, as `nsupdate` does.
 *
 * @example
 * await sendUpdate(server, { id: 1, zone: { name: "cs.umass.edu", type: "SOA" }, prerequisites: [],
 *   updates: [{ name: "gaia.cs.umass.edu", type: "A", class: "ANY", ttl: 0 },
 *             { name: "gaia.cs.umass.edu", type: "A", class: "IN", ttl: 3600, data: "127.53.10.13" }] });
 */
export async function sendUpdate(server: Address, msg: UpdateMessage, options: CallOptions & { network?: Network; source?: { host?: string } } = {}): Promise<string> {
  const network = options.network ?? loopback;
  const socket = await network.openUdp({ host: options.source?.host });
  try {
    return await withDeadline(`UPDATE to ${formatAddress(server)}`, { timeoutMs: 2000, ...options }, () =>
      new Promise<string>((resolve) => {
        socket.onMessage((bytes, from) => {
          if (from.host !== server.host || from.port !== server.port || bytes.length < 12 || ((bytes[0] << 8) | bytes[1]) !== msg.id) return;
          resolve(Object.entries(RCODES).find(([, v]) => v === (bytes[3] & 0x0f))?.[0] ?? String(bytes[3] & 0x0f));
        });
        socket.send(encodeUpdate(msg), server);
      }), network.clock);
  } finally {
    await socket.close();
  }
}
