import { DnsRecord, isInZone } from "../wire/codec";
import { fqdn } from "../wire/records";
import { MAX_NSEC3_ITERATIONS } from "../wire/limits";
import { compareNames } from "./canonical";
import { Nsec3 } from "../wire/nsec3-rdata";
import { nsec3Covers, nsec3Hash, nsec3Matches } from "./nsec3";

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

/** The wildcard directly below `encloser`. */
const wildcardOf = (encloser: string) => `*.${encloser === "." ? "" : encloser}`;

/**
 * The closest encloser an NSEC that covers `qname` reveals: the longest ancestor
 * of `qname` that its owner or its next name lies in (RFC 4592 §3.3.1; Unbound's
 * nsec_closest_encloser does the same).
 */
function nsecEncloser(span: DnsRecord, qname: string): string {
  const shared = (other: string) => ancestors(qname).find((a) => isInZone(other, a)) ?? ".";
  return [shared(span.name), shared(nsecNext(span))].sort((a, b) => b.length - a.length)[0];
}

/** The types an NSEC or NSEC3 lists, checked for `type` and CNAME: NODATA holds when it has neither. */
function lacks(at: DnsRecord, owner: string, type: string): Proof {
  const types = typesOf(at);
  if (types.includes(type)) return fail(`the NSEC says ${fqdn(owner)} has ${type}`);
  if (types.includes("CNAME")) return fail(`the NSEC says ${fqdn(owner)} is a CNAME`);
  return ok;
}

/**
 * The closest encloser proof (RFC 5155 §8.3): the longest ancestor of `qname`
 * whose hash an NSEC3 matches, and an NSEC3 spanning the next closer name.
 */
function closestEncloser3(nsec3: DnsRecord[], qname: string): { encloser: string } | Proof {
  const names = [fqdn(qname), ...ancestors(qname)];
  for (let i = 1; i < names.length; i++) {
    if (!matching3(nsec3, names[i])) continue;
    if (!covering3(nsec3, names[i - 1])) return fail(`no NSEC3 spans the next closer name ${names[i - 1]}`);
    return { encloser: names[i] };
  }
  return fail(`no NSEC3 matches an ancestor of ${fqdn(qname)} (no closest encloser)`);
}

/**
 * NODATA: the name exists but has no record of `type`. The NSEC (or NSEC3) at the
 * name lists its types, and neither `type` nor CNAME is among them. An empty
 * non-terminal owns no NSEC: an NSEC spanning it whose next name lies below it
 * proves it exists with no types (RFC 4035 §3.1.3.2, RFC 7129 §3.2). A wildcard
 * NODATA (RFC 4035 §3.1.3.4, RFC 5155 §8.7): no closer name exists (an NSEC
 * spanning the name, or the closest encloser proof) and the wildcard at the
 * closest encloser lacks the type.
 */
export function proveNodata(records: DnsRecord[], qname: string, type: string): Proof {
  const nsecs = records.filter((r) => r.type === "NSEC");
  const nsec3 = usableNsec3(records);
  if (!Array.isArray(nsec3)) return nsec3;
  const at = nsecs.find((r) => same(r.name, qname)) ?? matching3(nsec3, qname);
  if (at) return lacks(at, qname, type);
  if (nsecs.length) {
    const span = nsecs.find((r) => nsecCovers(r, qname));
    if (!span) return fail(`no NSEC at or spanning ${fqdn(qname)}`);
    if (isInZone(nsecNext(span), qname) && !same(nsecNext(span), qname)) return ok; // an empty non-terminal
    const wildcard = wildcardOf(nsecEncloser(span, qname));
    const source = nsecs.find((r) => same(r.name, wildcard));
    if (!source) return fail(`no NSEC at ${fqdn(qname)}, and none at the wildcard ${wildcard} that would answer for it`);
    return lacks(source, wildcard, type);
  }
  if (!nsec3.length) return fail(`no NSEC or NSEC3 at ${fqdn(qname)}`);
  const encloser = closestEncloser3(nsec3, qname);
  if ("ok" in encloser) return encloser;
  const wildcard = wildcardOf(encloser.encloser);
  const source = matching3(nsec3, wildcard);
  if (!source) return fail(`no NSEC3 at ${fqdn(qname)}, and none at the wildcard ${wildcard} that would answer for it`);
  return lacks(source, wildcard, type);
}

/**
 * A wildcard answer (RFC 4035 §5.3.4, RFC 5155 §8.8): the RRSIG's labels field
 * says the records came from the wildcard below `encloser`, the ancestor of
 * `qname` with that many labels; the denial records must prove that no name
 * closer to `qname` exists (an NSEC spanning `qname`; an NSEC3 spanning the next
 * closer name), or the wildcard should not have answered.
 *
 * @example proveNoCloserName(authorityNsecs, "host.wild.wild.test.", 3) // { ok: true } when an NSEC spans host.wild.wild.test.
 */
export function proveNoCloserName(records: DnsRecord[], qname: string, labels: number): Proof {
  const names = [fqdn(qname), ...ancestors(qname)];
  const depth = names.length - 1; // labels in qname
  if (labels >= depth) return fail(`the RRSIG's labels field (${labels}) says ${fqdn(qname)} is no wildcard expansion`);
  const encloser = names[depth - labels];
  const nextCloser = names[depth - labels - 1];
  const nsecs = records.filter((r) => r.type === "NSEC");
  if (nsecs.length) {
    const span = nsecs.find((r) => nsecCovers(r, qname));
    if (!span) return fail(`no NSEC spans ${fqdn(qname)}: a closer name than the wildcard at ${encloser} may exist`);
    if (nsecEncloser(span, qname).length > encloser.length) return fail(`the NSEC shows ${nsecEncloser(span, qname)} exists, closer than the wildcard's encloser ${encloser}`);
    return ok;
  }
  const nsec3 = usableNsec3(records);
  if (!Array.isArray(nsec3)) return nsec3;
  if (!covering3(nsec3, nextCloser)) return fail(`no NSEC3 spans the next closer name ${nextCloser}: a closer name than the wildcard may exist`);
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
    const wildcard = wildcardOf(nsecEncloser(span, qname));
    if (!nsecs.some((r) => nsecCovers(r, wildcard))) return fail(`no NSEC spans the wildcard ${wildcard}`);
    return ok;
  }
  const nsec3 = usableNsec3(records);
  if (!Array.isArray(nsec3)) return nsec3;
  if (!nsec3.length) return fail("neither NSEC nor NSEC3 records came with the NXDOMAIN");
  const encloser = closestEncloser3(nsec3, qname);
  if ("ok" in encloser) return encloser;
  const wildcard = wildcardOf(encloser.encloser);
  if (!covering3(nsec3, wildcard)) return fail(`no NSEC3 spans the wildcard ${wildcard}`);
  return ok;
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
