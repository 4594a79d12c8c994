import { DnsRecord } from "../wire/codec";
import { fqdn } from "../wire/records";
import { Zone } from "../wire/zone";
import { compareNames } from "../dnssec/canonical";
import { dsFromDnskey, generateZoneKey, ZoneKey } from "../dnssec/keys";
import { signZone } from "../dnssec/sign";

/**
 * A hierarchy of zones signed as the real one is: each zone has its own KSK and
 * ZSK, is signed after its children, and publishes their DS records at its
 * delegations, up to the root, whose KSK is the trust anchor. For the lesson,
 * some delegations are left `insecure` (no DS: validators accept the child
 * unvalidated) and some zones `bogus` (the parent's DS names a key the child
 * does not have: validators refuse every answer from it).
 */
export interface SignedHierarchy {
  /** The signed records of each zone, by origin ("." for the root). */
  zones: Map<string, DnsRecord[]>;
  /** The root's key-signing DNSKEY record: the trust anchor. */
  trustAnchor: DnsRecord;
}

const depth = (origin: string) => (origin === "." ? 0 : fqdn(origin).split(".").length - 1);

/** The closest enclosing zone of `origin` among `origins`. */
function parentOf(origin: string, origins: string[]): string | undefined {
  const labels = fqdn(origin).split(".").filter(Boolean);
  for (let i = 1; i <= labels.length; i++) {
    const candidate = i === labels.length ? "." : `${labels.slice(i).join(".")}.`;
    if (origins.includes(candidate)) return candidate;
  }
  return undefined;
}

/** The signature window of a seeded hierarchy: fixed, and wide enough for a course's years. */
export const SEEDED_WINDOW = { inception: new Date("2026-01-01T00:00:00Z"), expiration: new Date("2036-01-01T00:00:00Z") } as const;

/**
 * Signs every zone, children first, with ECDSA P-256 keys (algorithm 13),
 * denying with NSEC, or NSEC3 with `nsec3`.
 *
 * @example const world = signHierarchy(zones, { insecure: ["nyu.edu."], bogus: ["ibm.com."] });
 */
export function signHierarchy(zones: Zone[], options: { insecure?: string[]; bogus?: string[]; now?: Date; nsec3?: boolean; seed?: string } = {}): SignedHierarchy {
  const byOrigin = new Map(zones.map((z) => [z.origin === "" ? "." : fqdn(z.origin), z.records()]));
  const origins = [...byOrigin.keys()].sort((a, b) => depth(b) - depth(a) || compareNames(a, b));
  const insecure = new Set((options.insecure ?? []).map(fqdn));
  const bogus = new Set((options.bogus ?? []).map(fqdn));
  const signed = new Map<string, DnsRecord[]>();
  const keys = new Map<string, ZoneKey>();
  const now = options.now ?? new Date();
  // A seeded hierarchy signs the same bytes on every run: keys from the seed, a fixed window.
  const key = (origin: string, role: string) => generateZoneKey(13, { ksk: role !== "zsk", ...(options.seed !== undefined ? { seed: `${options.seed} ${origin} ${role}` } : {}) });
  const window = options.seed !== undefined ? SEEDED_WINDOW : { inception: new Date(now.getTime() - 3_600_000), expiration: new Date(now.getTime() + 30 * 86_400_000) };
  for (const origin of origins) {
    const ksk = key(origin, "ksk");
    keys.set(origin, ksk);
    // The DS of each signed child goes in at its delegation; a bogus child's DS names another key.
    const children = origins.filter((o) => parentOf(o, origins) === origin && !insecure.has(o));
    const ds = children.map((child) => ({
      name: child, type: "DS", ttl: 86400, class: "IN",
      data: dsFromDnskey(child, bogus.has(child) ? key(child, "another ksk").dnskey : keys.get(child)!.dnskey),
    }) as DnsRecord);
    signed.set(origin, signZone([...byOrigin.get(origin)!, ...ds], {
      origin, ksk, zsk: key(origin, "zsk"), ...window,
      nsec3: options.nsec3 ? {} : undefined, // RFC 9276 §3.1: no salt, no extra iterations
    }));
  }
  const root = keys.get(".");
  if (!root) throw new Error("the hierarchy has no root zone");
  return { zones: signed, trustAnchor: { name: ".", type: "DNSKEY", ttl: 3600, class: "IN", data: root.dnskey } as DnsRecord };
}
