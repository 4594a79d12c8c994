import { DnsRecord } from "../wire/codec";
import { AppLayerError } from "../../errors";

/**
 * DNSSEC's canonical forms (RFC 4034 §6): what a signature covers must be the same
 * bytes at the signer and the validator, whatever case or order the records
 * travelled in. Pure functions.
 */

/** The types whose RDATA names are lowercased (RFC 4034 §6.2, less NSEC: RFC 6840 §5.1 keeps its next name as is). */
const NAME_FIELDS: Record<string, string[] | "self"> = {
  NS: "self", CNAME: "self", PTR: "self", DNAME: "self",
  MX: ["exchange"], SOA: ["mname", "rname"], SRV: ["target"], RRSIG: ["signersName"],
};

/** A record's data with the names RFC 4034 §6.2 lowercases, lowercased. */
function canonicalData(rr: DnsRecord): unknown {
  const data = (rr as { data: unknown }).data;
  const fields = NAME_FIELDS[rr.type];
  if (!fields) return data;
  if (fields === "self") return String(data).toLowerCase();
  const copy = { ...(data as Record<string, unknown>) };
  for (const f of fields) copy[f] = String(copy[f]).toLowerCase();
  return copy;
}

/**
 * A domain name in canonical wire form (RFC 4034 §6.2): uncompressed labels,
 * ASCII letters lowercased, the root label last.
 */
export function canonicalName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label.toLowerCase(), "latin1");
    if (bytes.length > 63) throw new AppLayerError("DNS_NAME", `label "${label}" is over 63 octets`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const wire = Buffer.concat(parts);
  if (wire.length > 255) throw new AppLayerError("DNS_NAME", `"${name}" is over 255 octets`);
  return wire;
}

/** A record's RDATA in canonical wire form (names uncompressed, lowercased where §6.2 says). */
export function canonicalRdata(rr: DnsRecord): Buffer {
  const encoder = packet.record(rr.type);
  return Buffer.from(encoder.encode(canonicalData(rr))).subarray(2); // drop the RDLENGTH it writes first
}

// dns-packet's RDATA encoders and type registry, which @types/dns-packet does not declare.
/* eslint-disable @typescript-eslint/no-require-imports */
const packet = require("dns-packet") as { record(type: string): { encode(data: unknown): Buffer } };
const types = require("dns-packet/types") as { toType(name: string): number };
/* eslint-enable @typescript-eslint/no-require-imports */

/** A type's number: "A" → 1, "RRSIG" → 46. */
export const typeNumber = (type: string): number => types.toType(type);

/** One record in canonical wire form, with the TTL the signature says (RFC 4034 §6.2, RFC 4035 §5.3.2). */
export function canonicalRecord(rr: DnsRecord, originalTtl: number): Buffer {
  const rdata = canonicalRdata(rr);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(typeNumber(rr.type), 0);
  fixed.writeUInt16BE(1, 2); // class IN
  fixed.writeUInt32BE(originalTtl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([canonicalName(rr.name), fixed, rdata]);
}

/**
 * An RRset in canonical order (RFC 4034 §6.3): sorted by canonical RDATA as
 * unsigned octet strings, duplicates removed.
 */
export function canonicalRrset(rrset: DnsRecord[]): DnsRecord[] {
  const keyed = rrset.map((rr) => ({ rr, key: canonicalRdata(rr) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.filter((k, i) => i === 0 || !k.key.equals(keyed[i - 1].key)).map((k) => k.rr);
}

/**
 * Canonical name order (RFC 4034 §6.1): compare label by label from the right,
 * each as lowercase octets; a name sorts before the names below it.
 */
export function compareNames(a: string, b: string): number {
  const labels = (n: string) => n.replace(/\.$/, "").split(".").filter(Boolean).reverse().map((l) => Buffer.from(l.toLowerCase(), "latin1"));
  const la = labels(a);
  const lb = labels(b);
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(la[i], lb[i]);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

/** The number of labels of an owner name, a leading wildcard not counted (RFC 4034 §3.1.3). */
export function labelCount(name: string): number {
  const labels = name.replace(/\.$/, "").split(".").filter(Boolean);
  return labels[0] === "*" ? labels.length - 1 : labels.length;
}
