import { DnsMessage, DnsRecord } from "../wire/codec";
import { MAX_NSEC3_ITERATIONS } from "../wire/limits";
import { typeNumber } from "./canonical";
import { Dnskey, Ds } from "./keys";
import { Nsec3, parseNsec3param } from "../wire/nsec3-rdata";
import { Rrsig } from "./sign";

/**
 * Checks the DNSSEC records of a decoded message against their RFCs' shapes,
 * which dns-packet does not: a server answers a message that fails with FORMERR
 * instead of passing nonsense on. Pure.
 */

/** Public key sizes per algorithm (RFC 6605 §4, RFC 8080 §3); RSA's is checked by its exponent length. */
const KEY_BYTES: Record<number, number> = { 13: 64, 15: 32 };
/** Signature sizes per algorithm (RFC 6605 §4: r||s; RFC 8080 §3). */
const SIGNATURE_BYTES: Record<number, number> = { 13: 64, 15: 64 };
/** DS digest sizes per digest type: SHA-1, SHA-256, SHA-384. */
const DIGEST_BYTES: Record<number, number> = { 1: 20, 2: 32, 4: 48 };

const dataOf = <T>(r: DnsRecord) => (r as unknown as { data: T }).data;

/** A type bitmap decodes to ascending types; anything else had windows out of order or repeated (RFC 4034 §4.1.2). */
function bitmapInOrder(types: string[]): boolean {
  const numbers = types.map((t) => typeNumber(t));
  return numbers.every((n, i) => i === 0 || n > numbers[i - 1]);
}

/** Why one record is malformed, or undefined when it is well formed (or not a DNSSEC record). */
export function malformedDnssec(r: DnsRecord): string | undefined {
  switch (r.type) {
    case "DNSKEY": {
      const k = dataOf<Dnskey>(r);
      const want = KEY_BYTES[k.algorithm];
      if (want !== undefined && k.key.length !== want) return `a DNSKEY of algorithm ${k.algorithm} has a ${k.key.length}-byte key, not ${want}`;
      if (k.algorithm === 8) {
        const elen = k.key[0] === 0 ? (k.key.length >= 3 ? k.key.readUInt16BE(1) + 3 : Infinity) : k.key[0] + 1;
        if (!(elen < k.key.length)) return "an RSA DNSKEY's exponent length runs past its key";
      }
      return undefined;
    }
    case "RRSIG": {
      const s = dataOf<Rrsig>(r);
      const want = SIGNATURE_BYTES[s.algorithm];
      if (want !== undefined && s.signature.length !== want) return `an RRSIG of algorithm ${s.algorithm} has a ${s.signature.length}-byte signature, not ${want}`;
      if (s.signature.length === 0) return "an RRSIG without a signature";
      return undefined;
    }
    case "DS": {
      const d = dataOf<Ds>(r);
      const want = DIGEST_BYTES[d.digestType];
      return want !== undefined && d.digest.length !== want ? `a DS of digest type ${d.digestType} has ${d.digest.length} bytes, not ${want}` : undefined;
    }
    case "NSEC":
      return bitmapInOrder(dataOf<{ rrtypes: string[] }>(r).rrtypes) ? undefined : "an NSEC type bitmap is out of order";
    case "NSEC3": {
      const n = dataOf<Nsec3>(r);
      if (n.iterations > MAX_NSEC3_ITERATIONS) return `NSEC3 iterations ${n.iterations} are over the limit of ${MAX_NSEC3_ITERATIONS} (RFC 9276)`;
      if (n.algorithm === 1 && n.nextDomain.length !== 20) return `an NSEC3's next hash is ${n.nextDomain.length} bytes, not SHA-1's 20`;
      return bitmapInOrder(n.rrtypes) ? undefined : "an NSEC3 type bitmap is out of order";
    }
    case "NSEC3PARAM": {
      try {
        const p = parseNsec3param(Buffer.from(dataOf<Uint8Array>(r)));
        return p.iterations > MAX_NSEC3_ITERATIONS ? `NSEC3PARAM iterations ${p.iterations} are over the limit of ${MAX_NSEC3_ITERATIONS} (RFC 9276)` : undefined;
      } catch (e) {
        return (e as Error).message;
      }
    }
  }
  return undefined;
}

/** The first malformed DNSSEC record of a message, as a reason, or undefined. */
export function malformedDnssecIn(m: DnsMessage): string | undefined {
  for (const r of [...(m.answers ?? []), ...(m.authorities ?? []), ...(m.additionals ?? [])]) {
    const why = malformedDnssec(r as DnsRecord);
    if (why) return why;
  }
  return undefined;
}
