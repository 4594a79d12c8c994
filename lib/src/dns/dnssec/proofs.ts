import { DnsRecord, nameKey } from "../wire/codec";
import { Zone } from "../wire/zone";
import { closestEncloser, nextCloser, wildcardAt } from "../wire/wildcard";
import { compareNames } from "./canonical";
import { nsec3Covers, nsec3Hash, nsec3Matches, zoneNsec3Params } from "./nsec3";

/**
 * The denial records an authoritative server adds to prove what a signed zone
 * does not hold (RFC 4035 §3.1.3, RFC 5155 §7.2), read from the zone's own NSEC
 * or NSEC3 chain (a pre-signed zone). One function per kind of proof; each
 * returns the records, NSEC or NSEC3 as the zone is signed.
 */

/** The NSEC chain in canonical order: the records of one zone, sorted once per question. */
function nsecChain(zone: Zone): DnsRecord[] {
  return zone.records().filter((r) => r.type === "NSEC").sort((a, b) => compareNames(a.name, b.name));
}

/**
 * The NSEC whose span covers `name` (owner < name < next; the last one wraps to the apex).
 *
 * @example coveringNsec(rootZone, "arpa.") // ". NSEC 53.127.in-addr.arpa. …": arpa. lies between them
 */
export function coveringNsec(zone: Zone, name: string): DnsRecord | undefined {
  const chain = nsecChain(zone);
  let found: DnsRecord | undefined;
  for (const n of chain) if (compareNames(n.name, name) < 0) found = n;
  return found ?? chain[chain.length - 1];
}

/** The NSEC owned by `name`, if it has one. */
const nsecAt = (zone: Zone, name: string) => zone.at(name).filter((r) => r.type === "NSEC");

/** The zone's NSEC3 chain with the lookups its proofs need, or undefined for an NSEC zone. */
function nsec3Chain(zone: Zone) {
  const params = zoneNsec3Params(zone.at(zone.origin));
  if (!params) return undefined;
  const records = zone.records().filter((r) => r.type === "NSEC3");
  const hash = (name: string) => nsec3Hash(name, params.salt, params.iterations);
  return {
    /** The NSEC3 whose owner is the hash of `name`. */
    matching: (name: string) => records.filter((r) => nsec3Matches(r, hash(name))),
    /** The NSEC3 whose span holds the hash of `name`. */
    covering: (name: string) => records.filter((r) => nsec3Covers(r, hash(name))),
  };
}

/**
 * The closest encloser proof (RFC 5155 §7.2.1): the NSEC3 matching the closest
 * encloser and the one covering the next closer name.
 */
function closestEncloserProof(chain: NonNullable<ReturnType<typeof nsec3Chain>>, name: string, encloser: string): DnsRecord[] {
  return [...chain.matching(encloser), ...chain.covering(nextCloser(name, encloser))];
}

/**
 * NXDOMAIN: no such name, and no wildcard that could have answered for it
 * (RFC 4035 §3.1.3.2: an NSEC covering the name and one covering the wildcard
 * at its closest encloser; RFC 5155 §7.2.2: the closest encloser proof and an
 * NSEC3 covering that wildcard).
 *
 * @example nxdomainProof(zone, "nothere.wild.test") // the NSECs spanning nothere.wild.test. and *.wild.test.
 */
export function nxdomainProof(zone: Zone, name: string): DnsRecord[] {
  const encloser = closestEncloser(zone, name);
  const chain = nsec3Chain(zone);
  if (!chain) return [coveringNsec(zone, name), coveringNsec(zone, wildcardAt(encloser))].filter((r): r is DnsRecord => r !== undefined);
  return [...closestEncloserProof(chain, name, encloser), ...chain.covering(wildcardAt(encloser))];
}

/**
 * NODATA: the name exists without the type. At an owner, its own NSEC (NSEC3)
 * lists the types it has (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3). At an empty
 * non-terminal, which owns no NSEC, the NSEC that covers it, whose next name
 * lies below it (RFC 4035 §3.1.3.2, RFC 7129 §3.2); NSEC3 chains hash empty
 * non-terminals too. For a wildcard NODATA (`source` the wildcard that matched),
 * the proof that no closer name exists and the wildcard's own NSEC (RFC 4035
 * §3.1.3.4; RFC 5155 §7.2.5: closest encloser proof and the wildcard's NSEC3).
 *
 * @example nodataProof(zone, "host.wild.wild.test", "*.wild.wild.test") // the NSEC at *.wild.wild.test, which spans host too
 */
export function nodataProof(zone: Zone, name: string, source?: string): DnsRecord[] {
  const chain = nsec3Chain(zone);
  if (source) {
    const encloser = nameKey(source).replace(/^\*\.?/, "");
    if (!chain) return [coveringNsec(zone, name), ...nsecAt(zone, source)].filter((r): r is DnsRecord => r !== undefined);
    return [...closestEncloserProof(chain, name, encloser), ...chain.matching(source)];
  }
  if (chain) return chain.matching(name);
  const own = nsecAt(zone, name);
  if (own.length) return own;
  // An empty non-terminal. ldns (drill) reads a NODATA without an NSEC at the name as it reads an NXDOMAIN and
  // wants the wildcard below the parent proven absent too; BIND and Unbound do not. Sending it costs one record.
  const dot = nameKey(name).indexOf(".");
  const parent = dot < 0 ? "" : nameKey(name).slice(dot + 1);
  const wildcard = zone.exists(wildcardAt(parent)) ? [] : [coveringNsec(zone, wildcardAt(parent))];
  return [coveringNsec(zone, name), ...wildcard].filter((r): r is DnsRecord => r !== undefined);
}

/**
 * A wildcard answer: the proof that no name closer to the question than the
 * wildcard exists (RFC 4035 §3.1.3.3: the NSEC covering the name; RFC 5155
 * §7.2.6: the NSEC3 covering the next closer name).
 *
 * @example wildcardAnswerProof(zone, "host.wild.wild.test", "*.wild.wild.test") // [*.wild.wild.test. NSEC sub.wild.wild.test. …]
 */
export function wildcardAnswerProof(zone: Zone, name: string, source: string): DnsRecord[] {
  const chain = nsec3Chain(zone);
  if (!chain) return [coveringNsec(zone, name)].filter((r): r is DnsRecord => r !== undefined);
  return chain.covering(nextCloser(name, nameKey(source).replace(/^\*\.?/, "")));
}

/**
 * A delegation without DS: the NSEC (NSEC3) at the cut, whose types have NS and no DS (RFC 4035 §3.1.4.1, RFC 5155 §7.2.7).
 *
 * @example noDsProof(zone, "sub.example.test") // [sub.example.test. NSEC www.example.test. NS RRSIG NSEC]
 */
export function noDsProof(zone: Zone, cut: string): DnsRecord[] {
  const chain = nsec3Chain(zone);
  return chain ? chain.matching(cut) : nsecAt(zone, cut);
}
