import * as dnsPacket from "dns-packet";
import { HexField } from "../../lab/hexdump";
import { DnsRecord, decodeMessage } from "./codec";
import { fqdn, formatRdata } from "./records";

// dns-packet's name decoder (exported, but not declared by @types/dns-packet).
const nameCodec = (dnsPacket as unknown as { name: { decode: { (b: Buffer, o: number): string; bytes: number } } }).name;

/**
 * The header's flag bits, counted from the most significant bit: RFC 1035 §4.1.1,
 * with RFC 4035 §3.2 splitting the old 3-bit Z into Z, AD and CD (dig sets AD).
 */
export const HEADER_FLAG_BITS = [
  { name: "QR", bit: 0, width: 1 },
  { name: "OPCODE", bit: 1, width: 4 },
  { name: "AA", bit: 5, width: 1 },
  { name: "TC", bit: 6, width: 1 },
  { name: "RD", bit: 7, width: 1 },
  { name: "RA", bit: 8, width: 1 },
  { name: "Z", bit: 9, width: 1 },
  { name: "AD", bit: 10, width: 1 },
  { name: "CD", bit: 11, width: 1 },
  { name: "RCODE", bit: 12, width: 4 },
];

/**
 * Names every byte of a DNS message for {@link annotatedHexdump}: the header and
 * its flag bits, each label of each name, each compression pointer (with the name
 * it points to), type, class, TTL, rdlength and rdata. Compression becomes visible:
 * a 2-byte pointer standing where a whole name would be.
 *
 * @example console.log(annotatedHexdump(reply, annotateMessage(reply)));
 */
export function annotateMessage(bytes: Uint8Array): HexField[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const { message } = decodeMessage(buf, { exact: false });
  const f: HexField[] = [
    { name: "id", offset: 0, length: 2, meaning: `${buf.readUInt16BE(0)} (matches reply to query)` },
    { name: "flags", offset: 2, length: 2, bits: HEADER_FLAG_BITS },
  ];
  const counts = ["questions", "answers", "authority", "additional"];
  counts.forEach((c, i) => f.push({ name: `${c} count`, offset: 4 + 2 * i, length: 2, meaning: String(buf.readUInt16BE(4 + 2 * i)) }));
  let off = 12;
  const name = (what: string) => {
    for (;;) {
      const len = buf[off];
      if (len === 0) {
        f.push({ name: `${what}: end`, offset: off, length: 1, meaning: "the root (0)" });
        off += 1;
        return;
      }
      if ((len & 0xc0) === 0xc0) {
        const target = buf.readUInt16BE(off) & 0x3fff;
        f.push({ name: `${what}: pointer`, offset: off, length: 2, meaning: `→ offset ${target}: ${fqdn(nameCodec.decode(buf, target))}` });
        off += 2;
        return;
      }
      f.push({ name: `${what}: label`, offset: off, length: 1 + len, meaning: `${len} "${buf.toString("latin1", off + 1, off + 1 + len)}"` });
      off += 1 + len;
    }
  };
  for (const q of message.questions ?? []) {
    name("question");
    f.push({ name: "type", offset: off, length: 2, meaning: q.type }, { name: "class", offset: off + 2, length: 2, meaning: q.class ?? "IN" });
    off += 4;
  }
  const sections: Array<[string, DnsRecord[]]> = [["answer", message.answers ?? []], ["authority", message.authorities ?? []], ["additional", message.additionals ?? []]];
  for (const [section, records] of sections) {
    for (const r of records) {
      name(section);
      const rdlength = buf.readUInt16BE(off + 8);
      const opt = r.type === "OPT";
      f.push(
        { name: "type", offset: off, length: 2, meaning: r.type },
        { name: opt ? "UDP payload size" : "class", offset: off + 2, length: 2, meaning: opt ? String(buf.readUInt16BE(off + 2)) : "IN" },
        { name: opt ? "EDNS flags" : "TTL", offset: off + 4, length: 4, meaning: opt ? "" : `${buf.readUInt32BE(off + 4)} s` },
        { name: "rdlength", offset: off + 8, length: 2, meaning: String(rdlength) },
      );
      if (rdlength) f.push({ name: "rdata", offset: off + 10, length: rdlength, meaning: opt ? "EDNS options" : formatRdata(r) });
      off += 10 + rdlength;
    }
  }
  return f;
}
