import { DnsRecord, isInZone } from "../codec";
import { fqdn } from "../records";
import { MAX_NSEC3_ITERATIONS } from "../limits";
import { compareNames } from "./canonical";
import { Nsec3, nsec3Covers, nsec3Hash, nsec3Matches } from "./nsec3";

/**
 * Authenticated denial of existence (RFC 4035 §5.4, RFC 5155 §8): given NSEC or
 * NSEC3 records whose signatures already verified, does what they say prove the
 * negative answer? Pure functions, one per kind of denial.
 */

/** A proof holds, or fails with why. */
export type Proof = { ok: true } | { ok: false; why: string };

const ok: Proof = { ok: true };
const fail = (why: string): Proof => ({ ok: false, why });
const same = (a: string, b: string) => fqdn(a).toLowerCase() === fqdn(b).toLowerCase();
const typesOf = (r: DnsRecord) => (r as unknown as { data: { rrtypes: string[] } }).data.rrtypes;
const nsecNext = (r: DnsRecord) => (r as unknown as { data: { nextDomain: string } }).data.nextDomain;

/** The ancestors of a name, longest first, down to the root: a.b.c. → b.c., c., . */
function ancestors(name: string): string[] {
  const labels = fqdn(name).split(".").filter(Boolean);
  return labels.map((_, i) => (i + 1 === labels.length ? "." : `${labels.slice(i + 1).join(".")}.`));
}

/** True when an NSEC's span (owner, next) holds `name`; the last NSEC's next wraps to the apex. */
export function nsecCovers(r: DnsRecord, name: string): boolean {
  const afterOwner = compareNames(r.name, name) < 0;
  const next = nsecNext(r);
  return compareNames(r.name, next) < 0 ? afterOwner && compareNames(name, next) < 0 : afterOwner;
}

/** The hash of `name` under the parameters an NSEC3 record carries. */
const hashFor = (r: DnsRecord, name: string) => {
  const d = (r as unknown as { data: Nsec3 }).data;
  return nsec3Hash(name, d.salt, d.iterations);
};

/** NSEC3 records a validator will use (RFC 9276 §3.2: not past the iteration cap). */
function usableNsec3(records: DnsRecord[]): DnsRecord[] | Proof {
  const nsec3 = records.filter((r) => r.type === "NSEC3");
  if (nsec3.some((r) => (r as unknown as { data: Nsec3 }).data.iterations > MAX_NSEC3_ITERATIONS)) return fail(`NSEC3 iterations over ${MAX_NSEC3_ITERATIONS}`);
  return nsec3;
}

/** The NSEC3 whose owner is the hash of `name`. */
const matching3 = (nsec3: DnsRecord[], name: string) => nsec3.find((r) => nsec3Matches(r, hashFor(r, name)));
/** An NSEC3 whose span holds the hash of `name`. */
const covering3 = (nsec3: DnsRecord[], name: string) => nsec3.find((r) => nsec3Covers(r, hashFor(r, name)));

/**
 * NODATA: the name exists but has no record of `type`. The NSEC (or NSEC3) at the
 * name lists its types, and neither `type` nor CNAME is among them.
 */
export function proveNodata(records: DnsRecord[], qname: string, type: string): Proof {
  const nsec = records.find((r) => r.type === "NSEC" && same(r.name, qname));
  const nsec3 = usableNsec3(records);
  if (!Array.isArray(nsec3)) return nsec3;
  const at = nsec ?? matching3(nsec3, qname);
  if (!at) return fail(`no NSEC or NSEC3 at ${fqdn(qname)}`);
  const types = typesOf(at);
  if (types.includes(type)) return fail(`the NSEC says ${fqdn(qname)} has ${type}`);
  if (types.includes("CNAME")) return fail(`the NSEC says ${fqdn(qname)} is a CNAME`);
  return ok;
}

/**
 * NXDOMAIN: no such name. With NSEC, one record spans the name and one spans the
 * wildcard at its closest encloser (RFC 4035 §5.4). With NSEC3, the closest
 * encloser proof (RFC 5155 §8.3): a hash matches the closest encloser, one spans
 * the next closer name, and one spans the wildcard.
 */
export function proveNxdomain(records: DnsRecord[], qname: string): Proof {
  const nsecs = records.filter((r) => r.type === "NSEC");
  if (nsecs.length) {
    const span = nsecs.find((r) => nsecCovers(r, qname));
    if (!span) return fail(`no NSEC spans ${fqdn(qname)}`);
    // The closest encloser: the longest ancestor of qname that the span's owner or next name shares.
    const shared = (other: string) => ancestors(qname).find((a) => isInZone(other, a)) ?? ".";
    const encloser = [shared(span.name), shared(nsecNext(span))].sort((a, b) => b.length - a.length)[0];
    const wildcard = `*.${encloser === "." ? "" : encloser}`;
    if (!nsecs.some((r) => nsecCovers(r, wildcard))) return fail(`no NSEC spans the wildcard ${wildcard}`);
    return ok;
  }
  const nsec3 = usableNsec3(records);
  if (!Array.isArray(nsec3)) return nsec3;
  if (!nsec3.length) return fail("neither NSEC nor NSEC3 records came with the NXDOMAIN");
  const names = [fqdn(qname), ...ancestors(qname)];
  for (let i = 1; i < names.length; i++) {
    if (!matching3(nsec3, names[i])) continue;
    const encloser = names[i];
    const nextCloser = names[i - 1];
    if (!covering3(nsec3, nextCloser)) return fail(`no NSEC3 spans the next closer name ${nextCloser}`);
    const wildcard = `*.${encloser === "." ? "" : encloser}`;
    if (!covering3(nsec3, wildcard)) return fail(`no NSEC3 spans the wildcard ${wildcard}`);
    return ok;
  }
  return fail(`no NSEC3 matches an ancestor of ${fqdn(qname)} (no closest encloser)`);
}

/**
 * An unsigned delegation: the parent proves it has no DS for `child`. The NSEC
 * (or NSEC3) at the child has NS but neither DS nor SOA (RFC 4035 §5.2, RFC 5155 §8.6);
 * with NSEC3 opt-out, a span over the child's hash from an opt-out record also does.
 */
export function proveNoDs(records: DnsRecord[], child: string): Proof {
  const nsec3 = usableNsec3(records);
  if (!Array.isArray(nsec3)) return nsec3;
  const at = records.find((r) => r.type === "NSEC" && same(r.name, child)) ?? matching3(nsec3, child);
  if (!at) {
    const optOut = covering3(nsec3, child);
    if (optOut && (optOut as unknown as { data: Nsec3 }).data.flags & 1) return ok;
    return fail(`no NSEC or NSEC3 at ${fqdn(child)}: the absence of its DS is not proven`);
  }
  const types = typesOf(at);
  if (types.includes("DS")) return fail(`the NSEC says ${fqdn(child)} has a DS`);
  if (!types.includes("NS")) return fail(`the NSEC says ${fqdn(child)} is no delegation`);
  if (types.includes("SOA")) return fail(`the NSEC at ${fqdn(child)} is the child's own, not the parent's`);
  return ok;
}
