import { DO_BIT, DnsMessage, DnsRecord } from "../codec";
import { fqdn } from "../records";
import { Zone } from "../zone";
import { compareNames } from "./canonical";
import { Rrsig } from "./sign";
import { nsec3Covers, nsec3Hash, nsec3Matches, zoneNsec3Params } from "./nsec3";

/**
 * What a signed zone adds to an answer when the query sets the DO bit
 * (RFC 3225, RFC 4035 §3.1): the RRSIGs of every RRset given, DS or its proof of
 * absence on a referral, and the NSEC records that prove a negative answer.
 * Pure: it reads the zone's own RRSIG and NSEC records (a pre-signed zone).
 */

/** The DO bit of the query's EDNS OPT record: the client wants DNSSEC records. */
export function wantsDnssec(query: DnsMessage): boolean {
  const opt = query.additionals?.find((r) => r.type === "OPT") as { flags?: number } | undefined;
  return opt !== undefined && ((opt.flags ?? 0) & DO_BIT) !== 0;
}

/** True when the zone carries signatures. */
export const isSigned = (zone: Zone): boolean => zone.records().some((r) => r.type === "RRSIG");

const key = (r: DnsRecord) => `${fqdn(r.name).toLowerCase()} ${r.type}`;

/** The RRSIGs covering each RRset among `records`, once each. */
function signaturesFor(zone: Zone, records: DnsRecord[]): DnsRecord[] {
  const sets = new Map(records.filter((r) => r.type !== "RRSIG").map((r) => [key(r), r] as [string, DnsRecord]));
  return [...sets.values()].flatMap((r) => zone.at(r.name).filter((s) => s.type === "RRSIG" && (s as unknown as { data: Rrsig }).data.typeCovered === r.type));
}

/** The NSEC whose span covers `name` (owner < name < next, the last one wrapping to the apex). */
export function coveringNsec(zone: Zone, name: string): DnsRecord | undefined {
  const chain = zone.records().filter((r) => r.type === "NSEC").sort((a, b) => compareNames(a.name, b.name));
  let found: DnsRecord | undefined;
  for (const n of chain) if (compareNames(n.name, name) <= 0) found = n;
  return found ?? chain[chain.length - 1];
}

/** The closest existing ancestor of `name` in the zone (its closest encloser, RFC 4592). */
function closestEncloser(zone: Zone, name: string): string {
  const labels = fqdn(name).replace(/\.$/, "").split(".");
  for (let i = 1; i <= labels.length; i++) {
    const candidate = `${labels.slice(i).join(".")}.`;
    if (zone.exists(candidate === "." ? "" : candidate)) return candidate;
  }
  return zone.origin;
}

/** The zone's NSEC3 records, with the parameters to hash a name as they do. */
function nsec3Chain(zone: Zone): { records: DnsRecord[]; hash: (name: string) => Buffer } | undefined {
  const params = zoneNsec3Params(zone.at(zone.origin));
  if (!params) return undefined;
  return { records: zone.records().filter((r) => r.type === "NSEC3"), hash: (name) => nsec3Hash(name, params.salt, params.iterations) };
}

/** The denial records for one kind of negative answer, NSEC or NSEC3, as the zone is signed. */
function denialFor(zone: Zone, kind: "referral" | "nodata" | "nxdomain", qname: string): DnsRecord[] {
  const chain = nsec3Chain(zone);
  if (!chain) {
    if (kind !== "nxdomain") return zone.at(qname).filter((r) => r.type === "NSEC");
    return [coveringNsec(zone, qname), coveringNsec(zone, `*.${closestEncloser(zone, qname)}`)].filter((r): r is DnsRecord => r !== undefined);
  }
  const matching = (name: string) => chain.records.filter((r) => nsec3Matches(r, chain.hash(name)));
  if (kind !== "nxdomain") return matching(qname);
  // RFC 5155 §7.2.2: the closest encloser's NSEC3, one spanning the next closer name, one spanning the wildcard.
  const encloser = closestEncloser(zone, qname);
  const labels = fqdn(qname).split(".").filter(Boolean);
  const nextCloser = `${labels.slice(labels.length - fqdn(encloser).split(".").filter(Boolean).length - 1).join(".")}.`;
  const covering = (name: string) => chain.records.filter((r) => nsec3Covers(r, chain.hash(name)));
  return [...matching(encloser), ...covering(nextCloser), ...covering(`*.${encloser === "." ? "" : encloser}`)];
}

/**
 * Adds a signed zone's proofs to a response: RRSIGs over its answer and
 * authority RRsets; for a referral, the DS RRset or the NSEC (NSEC3) that proves
 * there is none; for NODATA, the NSEC at the name (the NSEC3 at its hash); for
 * NXDOMAIN, the NSECs covering the name and the wildcard that could have
 * matched (NSEC3's closest encloser proof).
 */
export function addDnssec(zone: Zone, response: DnsMessage, kind: string, qname: string): DnsMessage {
  const answers = [...(response.answers ?? [])];
  const authorities = [...(response.authorities ?? [])];
  if (kind === "referral") {
    const cut = authorities[0]?.name;
    if (cut) {
      const ds = zone.at(cut).filter((r) => r.type === "DS");
      authorities.push(...(ds.length ? ds : denialFor(zone, "referral", cut)));
    }
  } else if (kind === "nodata" || kind === "nxdomain") {
    const proofs = denialFor(zone, kind, qname);
    authorities.push(...proofs.filter((r, i) => proofs.findIndex((p) => key(p) === key(r)) === i));
  }
  // At a referral the NS RRset is the child's and is not signed; everything else is.
  const signable = kind === "referral" ? authorities.filter((r) => r.type !== "NS") : authorities;
  return { ...response, answers: [...answers, ...signaturesFor(zone, answers)], authorities: [...authorities, ...signaturesFor(zone, signable)] };
}
