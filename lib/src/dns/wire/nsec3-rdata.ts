import { AppLayerError } from "../../errors";
import { MAX_NSEC3_ITERATIONS } from "./limits";

/**
 * NSEC3 and NSEC3PARAM data as bytes and as zone-file text (RFC 5155 §3–4):
 * the record shapes, the parameter checks, the base32hex spelling of hashes,
 * and NSEC3PARAM's RDATA, for which dns-packet has no codec. The hashing and
 * the proofs built on it are DNSSEC: see ../dnssec/nsec3.
 */

/** NSEC3's only hash algorithm (RFC 5155 §11): SHA-1. */
export const NSEC3_SHA1 = 1;
/** The opt-out flag of an NSEC3 record (RFC 5155 §3.1.2.1). */
export const NSEC3_OPT_OUT = 0x01;

/** An NSEC3 record's data, as dns-packet holds it. */
export interface Nsec3 {
  algorithm: number;
  flags: number;
  iterations: number;
  salt: Buffer;
  /** The next hashed owner name, raw (20 bytes for SHA-1). */
  nextDomain: Buffer;
  rrtypes: string[];
}

/** What NSEC3PARAM tells the zone's servers: how its names are hashed. */
export interface Nsec3Params {
  algorithm: number;
  flags: number;
  iterations: number;
  salt: Buffer;
}

/** Refuses parameters a validator would not spend time on (RFC 9276 §3.2). */
export function checkNsec3Params(p: Nsec3Params): void {
  if (p.algorithm !== NSEC3_SHA1) throw new AppLayerError("BAD_ARGUMENT", `NSEC3 hash algorithm ${p.algorithm} is not SHA-1 (1)`);
  if (p.iterations > MAX_NSEC3_ITERATIONS) throw new AppLayerError("BAD_ARGUMENT", `NSEC3 iterations ${p.iterations} are over the limit of ${MAX_NSEC3_ITERATIONS} (RFC 9276)`);
  if (p.salt.length > 255) throw new AppLayerError("BAD_ARGUMENT", "an NSEC3 salt is at most 255 octets");
}

const B32HEX = "0123456789abcdefghijklmnopqrstuv";

/** Base 32 with the extended hex alphabet (RFC 4648 §7), lowercase, no padding: it sorts as the bytes do. */
export function base32hex(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32HEX[(value << (5 - bits)) & 31];
  return out;
}

/** The bytes of a base32hex string, or undefined when it is not one. */
export function fromBase32hex(text: string): Buffer | undefined {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text.toLowerCase()) {
    const v = B32HEX.indexOf(c);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** NSEC3PARAM's RDATA (RFC 5155 §4.2): algorithm, flags, iterations, salt length, salt. */
export function nsec3paramRdata(p: Nsec3Params): Buffer {
  const head = Buffer.alloc(5);
  head[0] = p.algorithm;
  head[1] = p.flags;
  head.writeUInt16BE(p.iterations, 2);
  head[4] = p.salt.length;
  return Buffer.concat([head, p.salt]);
}

/** Reads NSEC3PARAM's RDATA; throws DNS_FORMAT when its salt length lies. */
export function parseNsec3param(rdata: Buffer): Nsec3Params {
  if (rdata.length < 5 || rdata.length !== 5 + rdata[4]) throw new AppLayerError("DNS_FORMAT", `an NSEC3PARAM of ${rdata.length} bytes does not hold the salt its length field names`);
  return { algorithm: rdata[0], flags: rdata[1], iterations: rdata.readUInt16BE(2), salt: Buffer.from(rdata.subarray(5)) };
}

/** A salt as zone files write it: hex, or "-" for none. */
export const saltText = (salt: Buffer): string => (salt.length ? salt.toString("hex").toUpperCase() : "-");
