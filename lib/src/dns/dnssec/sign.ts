import { KeyObject, sign } from "node:crypto";
import { AppLayerError } from "../../errors";
import { DnsRecord } from "../wire/codec";
import { fqdn } from "../wire/records";
import { canonicalName, canonicalRecord, canonicalRrset, compareNames, labelCount, typeNumber } from "./canonical";
import { keyTag, ZoneKey } from "./keys";
import { NSEC3_SHA1, Nsec3, base32hex, checkNsec3Params, nsec3paramRdata } from "../wire/nsec3-rdata";
import { nsec3Hash } from "./nsec3";

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
  /** Deny with NSEC3 (hashed names) instead of NSEC; RFC 9276 §3.1 advises no salt and 0 extra iterations, the defaults. */
  nsec3?: { iterations?: number; salt?: Buffer };
}

const under = (name: string, zone: string) => {
  const n = fqdn(name).toLowerCase();
  const z = fqdn(zone).toLowerCase();
  return z === "." || n === z || n.endsWith(`.${z}`);
};

/** The names between each owner and the origin that own nothing themselves: empty non-terminals (RFC 5155 §7.1). */
function emptyNonTerminals(owners: string[], origin: string): string[] {
  const have = new Set(owners);
  const found = new Set<string>();
  for (const owner of owners) {
    for (let name = owner; name !== origin.toLowerCase() && name.includes("."); ) {
      name = name.slice(name.indexOf(".") + 1) || ".";
      if (!under(name, origin) || name === origin.toLowerCase()) break;
      if (!have.has(name)) found.add(name);
    }
  }
  return [...found];
}

/**
 * Signs a zone: adds its DNSKEY RRset, a denial chain (an NSEC record at every
 * authoritative name, the next name in canonical order and the types present
 * there; or, with `nsec3`, NSEC3 records over the names' hashes and an
 * NSEC3PARAM), and an RRSIG over every authoritative RRset. A delegation's NS
 * and the glue below it are not signed (the child zone is authoritative for
 * them); its DS is.
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
  const params = options.nsec3 && { algorithm: NSEC3_SHA1, flags: 0, iterations: options.nsec3.iterations ?? 0, salt: options.nsec3.salt ?? Buffer.alloc(0) };
  if (params) checkNsec3Params(params);
  const keys = [options.ksk, ...(zsk === options.ksk ? [] : [zsk])].map((k) => ({ name: origin, type: "DNSKEY", ttl: keyTtl, class: "IN", data: k.dnskey }) as DnsRecord);
  // RFC 5155 §4: NSEC3PARAM lives at the apex with TTL 0, as dnssec-signzone writes it.
  const param = params ? [{ name: origin, type: "NSEC3PARAM", ttl: 0, class: "IN", data: nsec3paramRdata(params) } as DnsRecord] : [];
  const all = [...records.filter((r) => !DENIAL_AND_KEYS.includes(r.type)), ...keys, ...param];
  // Delegation points: NS records below the apex. Names under them are glue, outside the chain.
  const cuts = [...new Set(all.filter((r) => r.type === "NS" && fqdn(r.name).toLowerCase() !== origin.toLowerCase()).map((r) => fqdn(r.name).toLowerCase()))];
  const isGlue = (name: string) => cuts.some((cut) => fqdn(name).toLowerCase() !== cut && under(name, cut));
  const owners = [...new Set(all.filter((r) => !isGlue(r.name)).map((r) => fqdn(r.name).toLowerCase()))].sort(compareNames);
  const byOwner = new Map<string, DnsRecord[]>();
  for (const r of all) byOwner.set(fqdn(r.name).toLowerCase(), [...(byOwner.get(fqdn(r.name).toLowerCase()) ?? []), r]);
  // RFC 9077 §3.1 (updating RFC 4035 §2.3 and RFC 5155 §3): the denial records' TTL is the lesser of the
  // SOA's minimum field and the SOA's own TTL, the negative TTL a resolver caches their answer for.
  const denialTtl = Math.min(((soa as { data: unknown }).data as { minimum: number }).minimum, ttlOf(soa));
  const out: DnsRecord[] = [...all];
  const sign = (rrset: DnsRecord[]) => out.push(signRrset(rrset, rrset[0].type === "DNSKEY" ? options.ksk : zsk, origin, window));
  const signedTypes = new Map<string, string[]>();
  for (const owner of owners) {
    const isCut = cuts.includes(owner);
    const sets = new Map<string, DnsRecord[]>();
    // At a delegation only the DS (and the denial record) are this zone's to sign (RFC 4035 §2.2).
    for (const r of byOwner.get(owner)!) if (!isCut || r.type === "DS") sets.set(r.type, [...(sets.get(r.type) ?? []), r]);
    for (const rrset of sets.values()) sign(rrset);
    signedTypes.set(owner, [...sets.keys()]);
  }
  const typesAt = (owner: string) => [...new Set(byOwner.get(owner)?.map((r) => r.type) ?? [])];
  if (!params) {
    owners.forEach((owner, i) => {
      const nsec = { name: owner, type: "NSEC", ttl: denialTtl, class: "IN", data: { nextDomain: owners[(i + 1) % owners.length], rrtypes: [...typesAt(owner), "RRSIG", "NSEC"] } } as DnsRecord;
      out.push(nsec);
      sign([nsec]);
    });
    return out;
  }
  // NSEC3: every owner and empty non-terminal, by hash; RRSIG is listed where something is signed.
  const hashed = [...owners, ...emptyNonTerminals(owners, origin)]
    .map((name) => ({ name, hash: nsec3Hash(name, params.salt, params.iterations) }))
    .sort((a, b) => Buffer.compare(a.hash, b.hash));
  hashed.forEach(({ name, hash }, i) => {
    const rrtypes = [...typesAt(name), ...(signedTypes.get(name)?.length ? ["RRSIG"] : [])];
    const data: Nsec3 = { ...params, nextDomain: hashed[(i + 1) % hashed.length].hash, rrtypes };
    const nsec3 = { name: `${base32hex(hash)}.${origin === "." ? "" : origin}`, type: "NSEC3", ttl: denialTtl, class: "IN", data } as DnsRecord;
    out.push(nsec3);
    sign([nsec3]);
  });
  return out;
}

/** The records a signer makes itself, dropped from its input so a signed zone can be re-signed. */
const DENIAL_AND_KEYS = ["DNSKEY", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM"];
