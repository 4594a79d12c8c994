import { KeyObject, sign } from "node:crypto";
import { AppLayerError } from "../../errors";
import { DnsRecord } from "../codec";
import { fqdn } from "../records";
import { canonicalName, keyTag, ZoneKey } from "./keys";
import { canonicalRecord, canonicalRrset, compareNames, labelCount, typeNumber } from "./canonical";

/**
 * Signing a zone (RFC 4033–4035): an RRSIG over every authoritative RRset, the
 * DNSKEY RRset signed by the key-signing key, and an NSEC chain that proves what
 * does not exist. Pure but for the private-key operations.
 */

/** An RRSIG's data, as dns-packet holds it. */
export interface Rrsig {
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTTL: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signersName: string;
  signature: Buffer;
}

const ttlOf = (r: DnsRecord): number => (r as { ttl?: number }).ttl ?? 0;

/** Signature times are seconds since 1970, kept modulo 2^32 (RFC 4034 §3.1.5). */
export const toSignatureTime = (date: Date): number => Math.floor(date.getTime() / 1000) >>> 0;

/** The signed data of an RRSIG (RFC 4034 §3.1.8.1): its RDATA without the signature, then the RRset in canonical form. */
export function signedData(sig: Omit<Rrsig, "signature">, rrset: DnsRecord[]): Buffer {
  const head = Buffer.alloc(18);
  head.writeUInt16BE(typeNumber(sig.typeCovered), 0);
  head[2] = sig.algorithm;
  head[3] = sig.labels;
  head.writeUInt32BE(sig.originalTTL, 4);
  head.writeUInt32BE(sig.expiration >>> 0, 8);
  head.writeUInt32BE(sig.inception >>> 0, 12);
  head.writeUInt16BE(sig.keyTag, 16);
  return Buffer.concat([head, canonicalName(sig.signersName), ...canonicalRrset(rrset).map((rr) => canonicalRecord(rr, sig.originalTTL))]);
}

/** A signature in the algorithm's DNSSEC form: r||s for ECDSA (RFC 6605), raw Ed25519, PKCS#1 v1.5 for RSA. */
export function rawSignature(algorithm: number, privateKey: KeyObject, data: Buffer): Buffer {
  if (algorithm === 13) return sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
  if (algorithm === 15) return sign(null, data, privateKey);
  if (algorithm === 8) return sign("sha256", data, privateKey);
  throw new AppLayerError("BAD_ARGUMENT", `cannot sign with algorithm ${algorithm}`);
}

/** Signs one RRset (all records of one owner and type) with one key. */
export function signRrset(rrset: DnsRecord[], key: ZoneKey, signer: string, window: { inception: Date; expiration: Date }): DnsRecord {
  const first = rrset[0];
  const sig: Omit<Rrsig, "signature"> = {
    typeCovered: first.type,
    algorithm: key.dnskey.algorithm,
    labels: labelCount(first.name),
    originalTTL: ttlOf(first),
    expiration: toSignatureTime(window.expiration),
    inception: toSignatureTime(window.inception),
    keyTag: keyTag(key.dnskey),
    signersName: fqdn(signer),
  };
  const signature = rawSignature(sig.algorithm, key.privateKey, signedData(sig, rrset));
  return { name: first.name, type: "RRSIG", ttl: ttlOf(first), class: "IN", data: { ...sig, signature } } as DnsRecord;
}

/** Options for {@link signZone}. */
export interface SignOptions {
  origin: string;
  /** The key-signing key (signs the DNSKEY RRset) and the zone-signing key (everything else). One key may be both. */
  ksk: ZoneKey;
  zsk?: ZoneKey;
  /** Signature validity; default from an hour ago to 30 days on. */
  inception?: Date;
  expiration?: Date;
}

const under = (name: string, zone: string) => {
  const n = fqdn(name).toLowerCase();
  const z = fqdn(zone).toLowerCase();
  return z === "." || n === z || n.endsWith(`.${z}`);
};

/**
 * Signs a zone: adds its DNSKEY RRset, an NSEC record at every authoritative
 * name (the next name in canonical order, and the types present there), and an
 * RRSIG over every authoritative RRset. A delegation's NS and the glue below it
 * are not signed (the child zone is authoritative for them); its DS is.
 *
 * @example const signed = signZone(zone.records, { origin: "umass.edu.", ksk, zsk });
 */
export function signZone(records: DnsRecord[], options: SignOptions): DnsRecord[] {
  const origin = fqdn(options.origin);
  const zsk = options.zsk ?? options.ksk;
  const window = { inception: options.inception ?? new Date(Date.now() - 3_600_000), expiration: options.expiration ?? new Date(Date.now() + 30 * 86_400_000) };
  const soa = records.find((r) => r.type === "SOA" && fqdn(r.name).toLowerCase() === origin.toLowerCase());
  if (!soa) throw new AppLayerError("BAD_ARGUMENT", `the zone has no SOA record at its origin ${origin}`);
  const keyTtl = ttlOf(soa);
  const keys = [options.ksk, ...(zsk === options.ksk ? [] : [zsk])].map((k) => ({ name: origin, type: "DNSKEY", ttl: keyTtl, class: "IN", data: k.dnskey }) as DnsRecord);
  const all = [...records.filter((r) => !["DNSKEY", "RRSIG", "NSEC"].includes(r.type)), ...keys];
  // Delegation points: NS records below the apex. Names under them are glue, outside the chain.
  const cuts = [...new Set(all.filter((r) => r.type === "NS" && fqdn(r.name).toLowerCase() !== origin.toLowerCase()).map((r) => fqdn(r.name).toLowerCase()))];
  const isGlue = (name: string) => cuts.some((cut) => fqdn(name).toLowerCase() !== cut && under(name, cut));
  const owners = [...new Set(all.filter((r) => !isGlue(r.name)).map((r) => fqdn(r.name).toLowerCase()))].sort(compareNames);
  const byOwner = new Map<string, DnsRecord[]>();
  for (const r of all) byOwner.set(fqdn(r.name).toLowerCase(), [...(byOwner.get(fqdn(r.name).toLowerCase()) ?? []), r]);
  const nsecTtl = ((soa as { data: unknown }).data as { minimum: number }).minimum; // RFC 4035 §2.3
  const out: DnsRecord[] = [...all];
  owners.forEach((owner, i) => {
    const here = byOwner.get(owner)!;
    const next = owners[(i + 1) % owners.length];
    const typesHere = [...new Set([...here.map((r) => r.type), "RRSIG", "NSEC"])];
    const nsec = { name: owner, type: "NSEC", ttl: nsecTtl, class: "IN", data: { nextDomain: next, rrtypes: typesHere } } as DnsRecord;
    out.push(nsec);
    const isCut = cuts.includes(owner);
    const sets = new Map<string, DnsRecord[]>();
    // At a delegation only the DS and the NSEC are this zone's to sign (RFC 4035 §2.2).
    for (const r of [...here, nsec]) if (!isCut || r.type === "DS" || r.type === "NSEC") sets.set(r.type, [...(sets.get(r.type) ?? []), r]);
    for (const [type, rrset] of sets) out.push(signRrset(rrset, type === "DNSKEY" ? options.ksk : zsk, origin, window));
  });
  return out;
}
