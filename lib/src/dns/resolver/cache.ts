import { Clock, realClock } from "../../net/clock";
import { DnsRecord, nameKey } from "../wire/codec";
import { MAX_CACHE_ENTRIES, MAX_CACHE_TTL_S } from "../wire/limits";

/**
 * How much a cached record is trusted (RFC 2181 §5.4.1): an authoritative answer
 * beats a referral's NS, which beats glue. A record arriving with a lower rank
 * never replaces a live one with a higher rank — one defence against poisoning.
 */
export const CREDIBILITY = { glue: 1, referral: 2, answer: 3 } as const;
export type Credibility = keyof typeof CREDIBILITY;

/** What the cache knows about one (name, type). */
export type CacheResult =
  | { kind: "records"; records: DnsRecord[] }
  | { kind: "nxdomain" | "nodata"; soa?: DnsRecord; proof?: DnsRecord[] }
  | { kind: "miss" };

interface Entry {
  /** The name (its nameKey) and the type (or RRSIG:type) it is held under. */
  name: string;
  type: string;
  expires: number;
  rank: number;
  records?: DnsRecord[];
  negative?: "nxdomain" | "nodata";
  soa?: DnsRecord;
  /** A negative answer's NSEC/NSEC3 records and signatures, for DNSSEC clients. */
  proof?: DnsRecord[];
  /** The last answer given from it, TTLs counted down: reused until a second passes. */
  view?: { remaining: number; result: CacheResult };
}

const MISS: CacheResult = Object.freeze({ kind: "miss" });

/**
 * A resolver's cache of RRsets with TTLs. Time comes from a {@link Clock}, so a
 * lesson can fast-forward a simulated hour. A record read from the cache carries
 * its *remaining* TTL, as a resolver passes it on. Negative answers (NXDOMAIN,
 * NODATA) are cached for the SOA's negative TTL (RFC 2308 §5). An RRSIG is kept
 * beside the RRset it covers: ask for (name, "RRSIG:A") to get the signatures of
 * the A RRset.
 *
 * @example
 * const cache = new DnsCache(sim.clock);
 * cache.put([{ name: "gaia.cs.umass.edu", type: "A", ttl: 60, data: "127.0.1.12" }], "answer");
 * cache.get("gaia.cs.umass.edu", "A"); // { kind: "records", records: [... ttl: 60] }
 */
export class DnsCache {
  /**
   * Entries by type, then nameKey: a lookup builds no key string, and the
   * few per-type maps stay in the CPU's cache (the load simulator's lookups were
   * bound by memory latency, each a chain of cache misses).
   */
  private readonly index = new Map<string, Map<string, Entry>>();
  /** Every entry, oldest stored first: the eviction order. */
  private readonly order = new Set<Entry>();
  readonly stats = { hits: 0, misses: 0, evictions: 0 };
  private changes = 0;

  constructor(private readonly clock: Clock = realClock, readonly maxEntries = MAX_CACHE_ENTRIES) {}

  /** Caches records, grouped into RRsets by (name, type). */
  put(records: DnsRecord[], credibility: Credibility): void {
    const sets = new Map<string, { name: string; type: string; set: DnsRecord[] }>();
    for (const r of records) {
      if (r.type === "OPT") continue;
      const name = nameKey(r.name);
      const type = r.type === "RRSIG" ? signatureKey((r as unknown as { data: { typeCovered: string } }).data.typeCovered) : r.type;
      const key = `${name}\u0000${type}`;
      const group = sets.get(key);
      if (group) group.set.push(r);
      else sets.set(key, { name, type, set: [r] });
    }
    for (const { name, type, set } of sets.values()) {
      const ttl = Math.min(...set.map((r) => (r as { ttl?: number }).ttl ?? 0), MAX_CACHE_TTL_S);
      this.store({ name, type, expires: this.clock.now() + ttl * 1000, rank: CREDIBILITY[credibility], records: set });
    }
  }

  /** Caches "no such name" or "no such type", for the SOA's negative TTL (RFC 2308 §5). */
  putNegative(name: string, type: string, kind: "nxdomain" | "nodata", soa: DnsRecord | undefined, proof?: DnsRecord[]): void {
    const s = soa as (DnsRecord & { ttl: number; data: { minimum: number } }) | undefined;
    const ttl = s ? Math.min(s.ttl, s.data.minimum, MAX_CACHE_TTL_S) : 0;
    if (ttl <= 0) return;
    this.store({ name: nameKey(name), type, expires: this.clock.now() + ttl * 1000, rank: CREDIBILITY.answer, negative: kind, soa, proof });
  }

  /**
   * Keeps the NSEC (NSEC3) records that came with a wildcard answer, proving no
   * closer name exists (RFC 4035 §5.3.4), beside that answer for their own TTL:
   * ask for (name, proofKey(type)). A validator needs them with the answer.
   *
   * @example cache.putProof("host.wild.wild.test", "A", nsecs); cache.peek("host.wild.wild.test", proofKey("A"))
   */
  putProof(name: string, type: string, proof: DnsRecord[]): void {
    const ttl = Math.min(...proof.map((r) => (r as { ttl?: number }).ttl ?? 0), MAX_CACHE_TTL_S);
    this.store({ name: nameKey(name), type: proofKey(type), expires: this.clock.now() + ttl * 1000, rank: CREDIBILITY.answer, records: proof });
  }

  /** Looks up (name, type), counting a hit or a miss. Expired entries are misses. */
  get(name: string, type: string): CacheResult {
    const r = this.peek(name, type);
    if (r.kind === "miss") this.stats.misses++;
    else this.stats.hits++;
    return r;
  }

  /**
   * What get() would find, and counted as get() counts it, without making the
   * records (the load simulator only asks whether a lookup is answered from cache:
   * counting down each record's TTL for it was most of its garbage).
   */
  kindOf(name: string, type: string): CacheResult["kind"] {
    const e = this.live(name, type);
    if (e) this.stats.hits++;
    else this.stats.misses++;
    return e ? (e.negative ?? "records") : "miss";
  }

  /** Like get(), without touching the hit/miss counters (for the resolver's own bookkeeping). */
  peek(name: string, type: string): CacheResult {
    const e = this.live(name, type);
    if (!e) return MISS;
    const now = this.clock.now();
    const remaining = Math.max(0, Math.floor((e.expires - now) / 1000));
    // Records with their TTL counted down are made once per second of age, not once per lookup (callers do not change them).
    if (e.view?.remaining !== remaining) {
      const result: CacheResult = e.negative ? { kind: e.negative, soa: e.soa, proof: e.proof } : { kind: "records", records: e.records!.map((r) => ({ ...r, ttl: remaining }) as DnsRecord) };
      e.view = { remaining, result };
    }
    return e.view.result;
  }

  /**
   * The live RRset of (name, type) as it was stored, TTLs uncounted, without
   * touching the counters: for a resolver that needs only the data (the names of
   * a zone's servers, a server's address), at no allocation.
   */
  data(name: string, type: string): readonly DnsRecord[] | undefined {
    const e = this.live(name, type);
    return e?.negative ? undefined : e?.records;
  }

  /** The entry for (name, type), if it has not expired (an expired one is dropped). */
  private live(name: string, type: string): Entry | undefined {
    const e = this.index.get(type)?.get(nameKey(name));
    if (e && e.expires <= this.clock.now()) {
      this.remove(e);
      return undefined;
    }
    return e;
  }

  /** Forgets everything (a restarted resolver). */
  clear(): void {
    this.index.clear();
    this.order.clear();
    this.changes++;
  }

  /** Counts every change to what the cache holds: answers built from it earlier stay true while it stands still. */
  get generation(): number {
    return this.changes;
  }

  /** RRsets currently held, expired or not yet swept. */
  get size(): number {
    return this.order.size;
  }

  private store(entry: Entry): void {
    const old = this.index.get(entry.type)?.get(entry.name);
    if (old && old.expires > this.clock.now() && old.rank > entry.rank) return; // keep the more credible data
    if (old) this.remove(old);
    let byName = this.index.get(entry.type);
    if (!byName) this.index.set(entry.type, (byName = new Map()));
    byName.set(entry.name, entry);
    this.order.add(entry); // at the end: the Set's order is our eviction order
    this.changes++;
    while (this.order.size > this.maxEntries) {
      this.remove(this.order.values().next().value!);
      this.stats.evictions++;
    }
  }

  private remove(e: Entry): void {
    this.order.delete(e);
    this.index.get(e.type)?.delete(e.name);
  }
}

/** The type under which the signatures over `type`'s RRset are cached. */
export const signatureKey = (type: string): string => `RRSIG:${type}`;

/** The type under which a wildcard answer's proof for `type` is cached (see DnsCache.putProof). */
export const proofKey = (type: string): string => `PROOF:${type}`;
