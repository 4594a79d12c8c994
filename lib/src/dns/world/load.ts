import { Random } from "../../sim/random";
import { VirtualClock } from "../../sim/clock";
import { DnsCache } from "../resolver/cache";
import { DnsMessage } from "../wire/codec";
import { Resolution } from "../resolver/resolution";
import { SyntheticWorld } from "./synthetic";

/**
 * DNS load at scale: millions of client queries through local DNS servers into a
 * hierarchy, in seconds. It runs the same code as the live servers — Resolution
 * and DnsCache in each local server, Authority in each authoritative one — but
 * hands message objects across instead of encoding them, and moves a virtual
 * clock from query to query (so TTLs expire as they would over a simulated day).
 */

/** Picks ranks 0..n-1 with probability ∝ 1/(rank+1)^s: a few names are very popular, most are rare. */
export class Zipf {
  private readonly cdf: Float64Array;
  constructor(readonly n: number, readonly s = 1, private readonly rng = new Random(1)) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) this.cdf[i] = sum += 1 / Math.pow(i + 1, s);
    for (let i = 0; i < n; i++) this.cdf[i] /= sum;
  }
  next(): number {
    const u = this.rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface LoadOptions {
  queries: number;
  /** Simulated span of the workload (default one day). */
  durationS?: number;
  /** Vary the rate over the day: busiest mid-afternoon, quietest before dawn. */
  diurnal?: boolean;
  /** Zipf exponent of name popularity (default 1). */
  zipf?: number;
  /** How many local DNS servers (ISPs, campuses) share the clients; each has its own cache. */
  localServers?: number;
  /** Without caching every query walks from the root (what DNS would be without caches). */
  caching?: boolean;
  seed?: number;
  /** Called now and then with the number of queries done (for a progress bar). */
  onProgress?: (done: number) => void;
  /**
   * A DDoS: the root servers, or one TLD's servers ("com"), answer nothing from
   * `startS` for `durationS` seconds of simulated time. Lookups that need them fail.
   */
  outage?: Outage;
}

/** Which servers a DDoS takes offline, and when. */
export interface Outage {
  target: "root" | string;
  startS: number;
  durationS: number;
}

/** The levels of the hierarchy, in the order the hourly counts keep them. */
const LEVELS = ["root", "TLD", "authoritative"] as const;

/** Where the queries landed. */
export interface LoadResult {
  queries: number;
  /** Queries answered by each server, by name. */
  byServer: Record<string, number>;
  byLevel: { root: number; TLD: number; authoritative: number };
  /** Client queries the local servers answered from cache. */
  cacheHitRatio: number;
  /** Queries per hour of simulated time at each level (for the day chart). */
  hourly: Array<{ hour: number; level: string; queries: number }>;
  /** With an outage: client lookups made while it lasted, and how many of them failed (SERVFAIL). */
  outage?: { lookups: number; failed: number; failedShare: number; byHour: Array<{ hour: number; lookups: number; failed: number }> };
  wallMs: number;
}

/**
 * Runs `queries` client lookups of Zipf-popular hosts through `localServers`
 * caching resolvers into the hierarchy, and counts the queries each server gets.
 *
 * @example
 * const r = simulateLoad(syntheticWorld(), { queries: 1_000_000 });
 * r.byLevel; // { root: …, TLD: …, authoritative: … } — the root sees a tiny share
 */
export function simulateLoad(world: SyntheticWorld, options: LoadOptions): LoadResult {
  const started = Date.now();
  const { queries, durationS = 86_400, diurnal = true, zipf = 1, localServers = 10, caching = true, seed = 1 } = options;
  const rng = new Random(seed);
  const clock = new VirtualClock();
  const caches = Array.from({ length: localServers }, () => new DnsCache(clock));
  const popularity = new Zipf(world.hosts.length, zipf, new Random(seed + 1));
  const byServer: Record<string, number> = {};
  const byLevel = { root: 0, TLD: 0, authoritative: 0 };
  const hours = Math.ceil(durationS / 3600);
  /** Queries per hour and level, at hour * 3 + the level's index in LEVELS. */
  const hourly = new Float64Array(hours * LEVELS.length);
  let hits = 0;
  const meanGapMs = (durationS * 1000) / queries;
  const rate = (t: number) => (diurnal ? 1 + 0.6 * Math.sin((2 * Math.PI * (t / 86_400_000 - 0.375))) : 1);
  const query: DnsMessage = { id: 0, type: "query", flags: 0, questions: [] };
  // A server's zones never change during a run and every query is the same but for its question,
  // so each server answers a question once; the answer is handed out again (nothing changes it).
  const answered = new Map<string, DnsMessage>();
  const outage = options.outage;
  const outageNs = outage && `ns.${outage.target}`;
  const down = (name: string, level: string, t: number) =>
    outage !== undefined && t >= outage.startS * 1000 && t < (outage.startS + outage.durationS) * 1000 &&
    (outage.target === "root" ? level === "root" : level === "TLD" && name === outageNs);
  const during = { lookups: 0, failed: 0, byHour: new Map<number, { lookups: number; failed: number }>() };
  const countDuring = (t: number, failed: number) => {
    during.lookups++;
    during.failed += failed;
    const hour = Math.floor(t / 3_600_000);
    const h = during.byHour.get(hour) ?? { lookups: 0, failed: 0 };
    h.lookups++;
    h.failed += failed;
    during.byHour.set(hour, h);
  };

  let t = 0;
  for (let i = 0; i < queries; i++) {
    t += rng.exponential(meanGapMs) / rate(t);
    clock.setTimer(() => undefined, t - clock.now());
    clock.runNext(); // the virtual clock moves to this query's time: TTLs expire as they would
    const cache = caching ? caches[rng.int(localServers)] : new DnsCache(clock);
    const name = world.hosts[popularity.next()];
    // A cached answer needs no Resolution (the one it would make would finish at once, from the same lookup).
    if (caching && cache.kindOf(name, "A") === "records") {
      hits++;
      if (outage && t >= outage.startS * 1000 && t < (outage.startS + outage.durationS) * 1000) countDuring(t, 0);
      if (options.onProgress && (i & 0xffff) === 0) options.onProgress(i);
      continue;
    }
    const task = new Resolution({ name, type: "A", class: "IN" }, cache, world.hints, { random: () => rng.next() });
    let upstream = 0;
    for (let step = task.next(); step.kind === "query"; step = task.next()) {
      upstream++;
      const server = world.servers.get(step.server);
      if (!server || down(server.name, server.level, t)) {
        task.receive(undefined);
        continue;
      }
      byServer[server.name] = (byServer[server.name] ?? 0) + 1;
      byLevel[server.level]++;
      hourly[Math.min(hours - 1, Math.floor(t / 3_600_000)) * LEVELS.length + LEVELS.indexOf(server.level)]++;
      const key = `${step.server}\u0000${step.question.type}\u0000${step.question.name}`;
      let response = answered.get(key);
      if (!response) {
        query.questions = [step.question];
        answered.set(key, (response = server.authority.answer(query).response));
      }
      task.receive(response);
    }
    if (upstream === 0) hits++;
    if (outage && t >= outage.startS * 1000 && t < (outage.startS + outage.durationS) * 1000) countDuring(t, task.done?.rcode === "SERVFAIL" ? 1 : 0);
    if (options.onProgress && (i & 0xffff) === 0) options.onProgress(i);
  }
  options.onProgress?.(queries);
  return {
    queries,
    byServer,
    byLevel,
    cacheHitRatio: hits / queries,
    hourly: [...hourly.keys()].filter((i) => hourly[i] > 0).map((i) => ({ hour: Math.floor(i / LEVELS.length), level: LEVELS[i % LEVELS.length], queries: hourly[i] })),
    outage: outage && {
      lookups: during.lookups, failed: during.failed, failedShare: during.lookups ? during.failed / during.lookups : 0,
      byHour: [...during.byHour].map(([hour, h]) => ({ hour, ...h })),
    },
    wallMs: Date.now() - started,
  };
}

