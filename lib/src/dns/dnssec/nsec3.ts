import { createHash } from "node:crypto";
import { DnsRecord } from "../wire/codec";
import { Nsec3, Nsec3Params, base32hex, fromBase32hex, parseNsec3param } from "../wire/nsec3-rdata";
import { canonicalName } from "./canonical";

/**
 * NSEC3 (RFC 5155): the same proofs as NSEC, over hashed owner names, so a
 * client cannot list a zone by walking its chain. Pure functions: the hash, the
 * owner it names, and which hashes an NSEC3 record matches or covers. The
 * records' data and its text live in ../wire/nsec3-rdata.
 */

/**
 * The hashed owner name (RFC 5155 §5): SHA-1 over the canonical name and the
 * salt, then again over the digest and the salt, `iterations` more times.
 *
 * @example base32hex(nsec3Hash("example.", Buffer.from("aabbccdd", "hex"), 12)) // "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"
 */
export function nsec3Hash(name: string, salt: Buffer, iterations: number): Buffer {
  let h = createHash("sha1").update(canonicalName(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) h = createHash("sha1").update(h).update(salt).digest();
  return h;
}

/** The owner name of the NSEC3 record for `name` in `zone`: `<base32hex hash>.<zone>`. */
export function nsec3Owner(name: string, zone: string, p: Nsec3Params): string {
  const label = base32hex(nsec3Hash(name, p.salt, p.iterations));
  const apex = zone.replace(/\.$/, "");
  return apex === "" ? `${label}.` : `${label}.${apex}.`;
}

/** The parameters a zone's NSEC3 chain uses, read from its NSEC3PARAM record (or undefined: NSEC, or unsigned). */
export function zoneNsec3Params(records: DnsRecord[]): Nsec3Params | undefined {
  const param = records.find((r) => r.type === "NSEC3PARAM");
  return param ? parseNsec3param(Buffer.from((param as unknown as { data: Buffer }).data)) : undefined;
}

/** The raw hash an NSEC3 owner name carries in its first label. */
export const ownerHash = (owner: string): Buffer | undefined => fromBase32hex(owner.split(".")[0]);

/** True when `hash` lies strictly between the NSEC3's owner hash and its next hash (the last one wraps). */
export function nsec3Covers(record: DnsRecord, hash: Buffer): boolean {
  const own = ownerHash(record.name);
  const next = (record as unknown as { data: Nsec3 }).data.nextDomain;
  if (!own) return false;
  const afterOwner = Buffer.compare(own, hash) < 0;
  const beforeNext = Buffer.compare(hash, next) < 0;
  return Buffer.compare(own, next) < 0 ? afterOwner && beforeNext : afterOwner || beforeNext;
}

/** True when the NSEC3's owner is the hash of `hash`'s name. */
export const nsec3Matches = (record: DnsRecord, hash: Buffer): boolean => ownerHash(record.name)?.equals(hash) ?? false;
