import { DnsRecord, nameKey } from "./codec";
import { Zone } from "./zone";

/**
 * Wildcards (RFC 4592): a record owned by `*.wild.example.` answers for names
 * under `wild.example.` that do not exist. Pure functions over a {@link Zone}:
 * the closest encloser of a name, the wildcard that could synthesise an answer
 * for it (its source of synthesis), and the synthesised records.
 */

/** The label that makes an owner a wildcard (RFC 4592 §2.1.1). */
export const WILDCARD_LABEL = "*";

/** The wildcard name directly below `name`: `*.name` (the root's is `*`). */
export const wildcardAt = (name: string): string => (nameKey(name) === "" ? WILDCARD_LABEL : `${WILDCARD_LABEL}.${nameKey(name)}`);

/**
 * The closest encloser of `name` (RFC 4592 §3.3.1): its longest ancestor, or
 * itself, that exists in the zone, an empty non-terminal included (RFC 8020).
 * Canonical form: lower case, no trailing dot, "" for the root.
 *
 * @example closestEncloser(zone, "a.b.wild.example.test") // "wild.example.test" when only *.wild exists below it
 */
export function closestEncloser(zone: Zone, name: string): string {
  for (let n = nameKey(name); ; n = n.slice(n.indexOf(".") + 1)) {
    if (zone.exists(n)) return n;
    if (!n.includes(".")) return zone.origin;
  }
}

/**
 * The next closer name (RFC 5155 §1.3): the ancestor of `name` one label longer
 * than its closest encloser `encloser`.
 */
export function nextCloser(name: string, encloser: string): string {
  const labels = nameKey(name).split(".");
  const keep = nameKey(encloser) === "" ? 1 : nameKey(encloser).split(".").length + 1;
  return labels.slice(labels.length - keep).join(".");
}

/**
 * The wildcard that synthesises answers for `name`, if any (RFC 4592 §3.3.1):
 * only for a name that does not exist, and only the wildcard directly below its
 * closest encloser. So a wildcard never reaches across a name that exists (an
 * owner or an empty non-terminal): `x.sub.wild` is not answered by `*.wild`
 * when `sub.wild` exists.
 *
 * @example sourceOfSynthesis(zone, "host.wild.example.test") // "*.wild.example.test"
 */
export function sourceOfSynthesis(zone: Zone, name: string): string | undefined {
  if (zone.exists(name)) return undefined;
  const source = wildcardAt(closestEncloser(zone, name));
  return zone.exists(source) ? source : undefined;
}

/**
 * The wildcard's records as the answer for `name` (RFC 4592 §3.3.1 step 3c):
 * the same data and TTL, owned by the name asked.
 */
export function synthesize(records: DnsRecord[], name: string): DnsRecord[] {
  return records.map((r) => ({ ...r, name }) as DnsRecord);
}
