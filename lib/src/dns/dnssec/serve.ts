import { DO_BIT, DnsMessage, DnsRecord, nameKey } from "../wire/codec";
import { fqdn } from "../wire/records";
import { Zone } from "../wire/zone";
import { Rrsig } from "./sign";
import { nodataProof, noDsProof, nxdomainProof, wildcardAnswerProof } from "./proofs";

/**
 * What a signed zone adds to an answer when the query sets the DO bit
 * (RFC 3225, RFC 4035 §3.1): the RRSIGs of every RRset given, DS or its proof of
 * absence on a referral, and the NSEC records that prove a negative answer.
 * Pure: it reads the zone's own RRSIG and NSEC records (a pre-signed zone).
 */

/**
 * The facts behind an answer that DNSSEC proofs rest on (RFC 4035 §3.1.3): the
 * names answered from a wildcard (RFC 4592), and the name a negative answer
 * denies (the last of a CNAME chain), with the wildcard that matched it when it
 * is a wildcard NODATA.
 */
export interface AnswerProof {
  synthesized: Array<{ name: string; source: string }>;
  denied?: { kind: "nodata" | "nxdomain"; name: string; source?: string };
}

/** The DO bit of the query's EDNS OPT record: the client wants DNSSEC records. */
export function wantsDnssec(query: DnsMessage): boolean {
  const opt = query.additionals?.find((r) => r.type === "OPT") as { flags?: number } | undefined;
  return opt !== undefined && ((opt.flags ?? 0) & DO_BIT) !== 0;
}

/** True when the zone carries signatures. */
export const isSigned = (zone: Zone): boolean => zone.records().some((r) => r.type === "RRSIG");

const key = (r: DnsRecord) => `${fqdn(r.name).toLowerCase()} ${r.type}`;
const typeCovered = (sig: DnsRecord) => (sig as unknown as { data: Rrsig }).data.typeCovered;
const ttlOf = (r: DnsRecord) => (r as { ttl?: number }).ttl ?? 0;

/**
 * The RRSIGs covering each RRset among `records`, once each. RFC 4034 §3: an
 * RRSIG's TTL is the TTL of the RRset it covers, as that RRset is sent (a
 * negative answer's SOA is lowered to the negative TTL, and its RRSIG with it).
 * A record answered from a wildcard takes the wildcard's RRSIG, owned by the
 * name asked; its labels field keeps the wildcard's count (RFC 4035 §3.1.3.3).
 */
function signaturesFor(zone: Zone, records: DnsRecord[], sources = new Map<string, string>()): DnsRecord[] {
  const sets = new Map(records.filter((r) => r.type !== "RRSIG").map((r) => [key(r), r] as [string, DnsRecord]));
  return [...sets.values()].flatMap((r) => {
    const owner = sources.get(nameKey(r.name)) ?? r.name;
    const sigs = zone.at(owner).filter((s) => s.type === "RRSIG" && typeCovered(s) === r.type);
    return sigs.map((s) => ({ ...s, name: r.name, ttl: ttlOf(r) }) as DnsRecord);
  });
}

/** The negative TTL (RFC 2308 §5, RFC 9077 §3): the lesser of the SOA's TTL and its minimum field. */
function negativeTtl(zone: Zone): number {
  const soa = zone.soa as DnsRecord & { ttl: number; data: { minimum: number } };
  return Math.min(soa.ttl, soa.data.minimum);
}

/** Each denial record once: a zone has one NSEC (NSEC3) per owner, so owner and type name it. */
const unique = (records: DnsRecord[]): DnsRecord[] => records.filter((r, i) => records.findIndex((o) => key(o) === key(r)) === i);

/**
 * Adds a signed zone's proofs to a response: RRSIGs over its answer and
 * authority RRsets; for a referral, the DS RRset or the NSEC (NSEC3) that proves
 * there is none; for a wildcard answer, the proof that no closer name exists;
 * for a negative answer, the proof of the denial (see ./proofs), its records'
 * TTLs no longer than the negative TTL (RFC 9077 §3).
 */
export function addDnssec(zone: Zone, response: DnsMessage, kind: string, proof: AnswerProof): DnsMessage {
  const answers = [...(response.answers ?? [])];
  const authorities = [...(response.authorities ?? [])];
  if (kind === "referral") {
    const cut = authorities[0]?.name;
    if (cut) {
      const ds = zone.at(cut).filter((r) => r.type === "DS");
      authorities.push(...(ds.length ? ds : noDsProof(zone, cut)));
    }
  }
  const proofs = proof.synthesized.flatMap((s) => wildcardAnswerProof(zone, s.name, s.source));
  const denied = proof.denied;
  if (denied) {
    const ttl = negativeTtl(zone);
    const records = denied.kind === "nxdomain" ? nxdomainProof(zone, denied.name) : nodataProof(zone, denied.name, denied.source);
    proofs.push(...records.map((r) => ({ ...r, ttl: Math.min(ttlOf(r), ttl) }) as DnsRecord));
  }
  authorities.push(...unique(proofs).filter((r) => !authorities.some((a) => key(a) === key(r))));
  const sources = new Map(proof.synthesized.map((s) => [nameKey(s.name), s.source] as [string, string]));
  // At a referral the NS RRset is the child's and is not signed; everything else is.
  const signable = kind === "referral" ? authorities.filter((r) => r.type !== "NS") : authorities;
  return { ...response, answers: [...answers, ...signaturesFor(zone, answers, sources)], authorities: [...authorities, ...signaturesFor(zone, signable)] };
}
