import { KeyObject, createPublicKey, verify } from "node:crypto";
import { DnsRecord } from "../wire/codec";
import { fqdn } from "../wire/records";
import { Dnskey, Ds, dsFromDnskey, keyTag } from "./keys";
import { Rrsig, signedData } from "./sign";
import { labelCount } from "./canonical";

/**
 * Checking signatures (RFC 4035 §5): one RRSIG over one RRset with one DNSKEY, and
 * a zone's keys against the DS its parent (or a trust anchor) gives. Each
 * refusal has its own reason, as a validator's Extended DNS Error would.
 */

/** DNSSEC's three answers (RFC 4033 §5) and, for bogus, why. */
export type Validation = { status: "secure" } | { status: "insecure"; reason: string } | { status: "bogus"; reason: BogusReason; detail: string };

/** Why an answer is bogus: stable codes, named after RFC 8914's Extended DNS Errors where one fits. */
export const BOGUS_REASONS = {
  SIGNATURE_EXPIRED: "the signature's expiration time has passed (EDE 7)",
  SIGNATURE_NOT_YET_VALID: "the signature's inception time has not come yet (EDE 8)",
  DNSKEY_MISSING: "no DNSKEY with the signature's key tag and algorithm (EDE 9)",
  RRSIGS_MISSING: "the RRset came without a signature (EDE 10)",
  NO_ZONE_KEY_MATCHES_DS: "no DNSKEY of the zone matches the DS its parent publishes (EDE 9)",
  BAD_SIGNATURE: "the signature does not verify: the data or the key is not what was signed (EDE 6)",
  UNSUPPORTED_ALGORITHM: "the signature's algorithm is not one we check (EDE 1)",
  NSEC_MISSING: "a negative answer (or a missing DS) without a valid NSEC or NSEC3 proof (EDE 12)",
  CHAIN_BROKEN: "a DS or DNSKEY lookup on the way from the trust anchor failed (EDE 23)",
} as const;
export type BogusReason = keyof typeof BOGUS_REASONS;

const bogus = (reason: BogusReason, detail: string): Validation => ({ status: "bogus", reason, detail });
const dataOf = <T>(r: DnsRecord) => (r as unknown as { data: T }).data;

/** RFC 1982 serial arithmetic on 32-bit times: a is at or before b (signature times wrap in 2106). */
export function serialLte(a: number, b: number): boolean {
  return a === b || ((b - a) >>> 0) < 0x80000000;
}

/** A DNSKEY's public key as a Node key object, or undefined for an algorithm we do not check. */
export function publicKeyOf(k: Dnskey): KeyObject | undefined {
  const b64 = (b: Buffer) => b.toString("base64url");
  try {
    if (k.algorithm === 13 && k.key.length === 64) return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64(k.key.subarray(0, 32)), y: b64(k.key.subarray(32)) }, format: "jwk" });
    if (k.algorithm === 15 && k.key.length === 32) return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64(k.key) }, format: "jwk" });
    if (k.algorithm === 8 && k.key.length > 3) {
      // RFC 3110 §2: exponent length in one byte, or 0 then two bytes.
      const [elen, at] = k.key[0] === 0 ? [k.key.readUInt16BE(1), 3] : [k.key[0], 1];
      if (at + elen >= k.key.length) return undefined;
      return createPublicKey({ key: { kty: "RSA", e: b64(k.key.subarray(at, at + elen)), n: b64(k.key.subarray(at + elen)) }, format: "jwk" });
    }
  } catch {
    return undefined; // a key whose bytes lie about its length or point
  }
  return undefined;
}

/**
 * Checks one RRSIG over an RRset with the zone's DNSKEYs, at time `now`: the
 * signer's key by tag and algorithm, the validity window in serial arithmetic,
 * then the signature itself over the canonical form.
 *
 * @example verifyRrsig(aRecords, rrsig, zoneKeys) // { status: "secure" } or bogus with a reason
 */
export function verifyRrsig(rrset: DnsRecord[], rrsig: DnsRecord, dnskeys: Dnskey[], now = new Date()): Validation {
  const sig = dataOf<Rrsig>(rrsig);
  const t = Math.floor(now.getTime() / 1000) >>> 0;
  if (!serialLte(t, sig.expiration)) return bogus("SIGNATURE_EXPIRED", `${rrsig.name} ${sig.typeCovered}: expired at ${new Date(sig.expiration * 1000).toISOString()}`);
  if (!serialLte(sig.inception, t)) return bogus("SIGNATURE_NOT_YET_VALID", `${rrsig.name} ${sig.typeCovered}: valid from ${new Date(sig.inception * 1000).toISOString()}`);
  const candidates = dnskeys.filter((k) => k.algorithm === sig.algorithm && keyTag(k) === sig.keyTag);
  if (!candidates.length) return bogus("DNSKEY_MISSING", `${rrsig.name} ${sig.typeCovered}: no key ${sig.keyTag} (algorithm ${sig.algorithm}) at ${fqdn(sig.signersName)}`);
  if (labelCount(rrset[0].name) < sig.labels) return bogus("BAD_SIGNATURE", `${rrsig.name}: the RRSIG claims more labels than the owner has`);
  // RFC 4035 §5.3.2: fewer labels than the owner has means a wildcard expansion; what was signed is the wildcard.
  const signedOwner = labelCount(rrset[0].name) > sig.labels ? wildcardOwner(rrset[0].name, sig.labels) : undefined;
  const data = signedData(sig, signedOwner ? rrset.map((r) => ({ ...r, name: signedOwner }) as DnsRecord) : rrset);
  for (const k of candidates) {
    const key = publicKeyOf(k);
    if (!key) return bogus("UNSUPPORTED_ALGORITHM", `algorithm ${k.algorithm}, or a malformed key ${sig.keyTag}`);
    const ok = sig.algorithm === 13 ? verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, sig.signature)
      : sig.algorithm === 15 ? verify(null, data, key, sig.signature)
      : verify("sha256", data, key, sig.signature);
    if (ok) return { status: "secure" };
  }
  return bogus("BAD_SIGNATURE", `${rrsig.name} ${sig.typeCovered}: signature by key ${sig.keyTag} does not verify`);
}

/**
 * The wildcard a name was expanded from, given the RRSIG's labels field: `*.` and the name's rightmost `labels` labels.
 *
 * @example wildcardOwner("host.wild.wild.test.", 3) // "*.wild.wild.test"
 */
export function wildcardOwner(name: string, labels: number): string {
  const all = fqdn(name).split(".").filter(Boolean);
  return ["*", ...all.slice(all.length - labels)].join(".");
}

/** The records of one owner and type among `records`. */
export function rrsetOf(records: DnsRecord[], name: string, type: string): DnsRecord[] {
  return records.filter((r) => fqdn(r.name).toLowerCase() === fqdn(name).toLowerCase() && r.type === type);
}

/** The RRSIGs covering one RRset among `records`. */
export function rrsigsOf(records: DnsRecord[], name: string, type: string): DnsRecord[] {
  return rrsetOf(records, name, "RRSIG").filter((r) => dataOf<Rrsig>(r).typeCovered === type);
}

/**
 * Checks an RRset against its signatures: secure when one RRSIG verifies with
 * one of the keys; otherwise bogus with the first signature's reason.
 */
export function validateRrset(rrset: DnsRecord[], rrsigs: DnsRecord[], dnskeys: Dnskey[], now = new Date()): Validation {
  if (!rrset.length) return bogus("BAD_SIGNATURE", "an empty RRset");
  if (!rrsigs.length) return bogus("RRSIGS_MISSING", `${fqdn(rrset[0].name)} ${rrset[0].type} has no RRSIG`);
  let first: Validation | undefined;
  for (const sig of rrsigs) {
    const v = verifyRrsig(rrset, sig, dnskeys, now);
    if (v.status === "secure") return v;
    first ??= v;
  }
  return first!;
}

/**
 * Establishes a zone's keys from a DS set (the parent's, or a trust anchor): some
 * DNSKEY must match a DS by digest, and that key must sign the DNSKEY RRset.
 * Returns the keys once trusted, with the validation result.
 */
export function validateZoneKeys(zone: string, records: DnsRecord[], ds: Ds[], now = new Date()): { validation: Validation; keys: Dnskey[] } {
  const keyset = rrsetOf(records, zone, "DNSKEY");
  const keys = keyset.map((r) => dataOf<Dnskey>(r));
  if (!ds.length) return { validation: { status: "insecure", reason: `${fqdn(zone)} has no DS: an unsigned delegation` }, keys: [] };
  const anchored = keys.filter((k) => ds.some((d) => {
    if (d.algorithm !== k.algorithm || d.keyTag !== keyTag(k)) return false;
    try {
      return dsFromDnskey(zone, k, d.digestType as 1 | 2 | 4).digest.equals(d.digest);
    } catch {
      return false; // a digest type we do not compute
    }
  }));
  if (!anchored.length) return { validation: bogus("NO_ZONE_KEY_MATCHES_DS", `${fqdn(zone)}: none of ${keys.length} DNSKEY(s) matches the DS`), keys: [] };
  const validation = validateRrset(keyset, rrsigsOf(records, zone, "DNSKEY"), anchored, now);
  return { validation, keys: validation.status === "secure" ? keys : [] };
}
