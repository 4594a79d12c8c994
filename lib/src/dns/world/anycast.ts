import { SimNetwork } from "../../sim/network";
import { serveDns } from "../authoritative/server";
import { exchange } from "../transport/client";
import { encodeMessage, rcodeOf } from "../wire/codec";
import { SIM_ROOT_ADDRESS, oneDelegationRoot } from "./synthetic";

/**
 * One root server address, served by instances in several cities (anycast), under
 * a flood from bots all over the world: where the flood lands, which instance
 * answers a client in each city, and how long its round trip takes. Every query
 * and reply is a real encoded message, through the lib's real servers, on a
 * simulated network whose links have the latency of the distance they cover.
 */

/** The cities of the experiment, with a host for each role in each. */
export const ANYCAST_CITIES = ["Amherst", "Amsterdam", "São Paulo", "Tokyo", "Sydney"] as const;
export type AnycastCity = (typeof ANYCAST_CITIES)[number];

/**
 * Round-trip times between the cities, in ms: of the order public RTT tables show
 * between them today, not a measurement of any one network. Within a city: 2 ms.
 */
const RTT_MS: Record<string, number> = {
  "Amherst|Amsterdam": 80, "Amherst|São Paulo": 120, "Amherst|Tokyo": 170, "Amherst|Sydney": 210,
  "Amsterdam|São Paulo": 190, "Amsterdam|Tokyo": 230, "Amsterdam|Sydney": 250,
  "São Paulo|Tokyo": 260, "São Paulo|Sydney": 310, "Tokyo|Sydney": 110,
};

/**
 * The round-trip time between two of the cities.
 *
 * @example cityRttMs("Amherst", "Sydney") // 210
 */
export function cityRttMs(a: AnycastCity, b: AnycastCity): number {
  return a === b ? 2 : RTT_MS[`${a}|${b}`] ?? RTT_MS[`${b}|${a}`];
}

/** The flood's queries per second from the bots in each city (default: more where more people are online). */
export const DEFAULT_FLOOD: Record<AnycastCity, number> = { Amherst: 1500, Amsterdam: 1250, "São Paulo": 1000, Tokyo: 750, Sydney: 500 };

export interface AnycastOptions {
  /** The cities with an instance of the root server (default: all of them). */
  sites?: readonly AnycastCity[];
  /** Queries per second from the bots in each city. */
  flood?: Partial<Record<AnycastCity, number>>;
  /** How long the flood lasts; each city's client asks once, halfway through. */
  seconds?: number;
  seed?: number;
}

export interface AnycastResult {
  sites: AnycastCity[];
  /** Each instance: the flood's queries it received, and its share of them. */
  instances: Array<{ site: AnycastCity; floodQueries: number; share: number }>;
  /** The client in each city: the instance that answered it, and its round trip. */
  clients: Array<{ city: AnycastCity; answeredBy: AnycastCity | undefined; rttMs: number | undefined; rcode: string }>;
  floodQueries: number;
}

const siteHost = (i: number) => `10.20.${i}.1`;
const clientHost = (i: number) => `10.30.${i}.1`;
const botHost = (i: number) => `10.40.${i}.1`;

/**
 * Floods the root address (a.root, 10.0.0.2) from bots in every city while it is
 * announced from `sites`, and lets a client in each city ask it one question.
 *
 * @example
 * const spread = await anycastRoot();                        // five instances
 * const central = await anycastRoot({ sites: ["Amherst"] }); // one server for everyone
 * central.clients.find((c) => c.city === "Sydney")!.rttMs;   // 210: a trip across the world
 */
export async function anycastRoot(options: AnycastOptions = {}): Promise<AnycastResult> {
  const { sites = ANYCAST_CITIES, seconds = 1, seed = 1 } = options;
  const flood = { ...DEFAULT_FLOOD, ...options.flood };
  const sim = new SimNetwork({ seed });
  const cityOf = new Map<string, AnycastCity>();
  ANYCAST_CITIES.forEach((city, i) => {
    for (const h of [siteHost(i), clientHost(i), botHost(i)]) cityOf.set(h, city);
    // Every host reaches every site over a link as slow as the distance between their cities.
    ANYCAST_CITIES.forEach((other, j) => {
      for (const h of [clientHost(i), botHost(i)]) sim.link(h, siteHost(j), { latencyMs: cityRttMs(city, other) / 2 });
    });
  });
  const siteHosts = sites.map((s) => siteHost(ANYCAST_CITIES.indexOf(s)));
  sim.anycast(SIM_ROOT_ADDRESS, siteHosts);
  const root = oneDelegationRoot("com.", "10.0.1.1");
  const servers = await Promise.all(siteHosts.map((host) => serveDns({ network: sim, host, port: 53, zones: [root] })));

  const received = new Map<string, number>();
  const answeredBy = new Map<string, AnycastCity>();
  sim.onPacket((e) => {
    if (e.site === undefined || e.fate !== "delivered") return;
    if (e.from.host.startsWith("10.40.")) received.set(e.site, (received.get(e.site) ?? 0) + 1);
    else answeredBy.set(e.from.host, cityOf.get(e.site)!);
  });
  // The bots: each city's share of the flood, evenly spaced, a fresh name under com in each query.
  let floodQueries = 0;
  ANYCAST_CITIES.forEach((city, i) => {
    const bot = sim.bindUdp({ host: botHost(i) });
    const count = Math.round((flood[city] ?? 0) * seconds);
    floodQueries += count;
    for (let q = 0; q < count; q++) {
      sim.clock.setTimer(() => {
        const query = encodeMessage({ id: q & 0xffff, type: "query", flags: 0, questions: [{ name: `x${q}.bot${i}.com`, type: "A", class: "IN" }] });
        bot.send(query, { host: SIM_ROOT_ADDRESS, port: 53 });
      }, (q * 1000) / (flood[city] ?? 1));
    }
  });
  const halfway = new Promise<void>((r) => sim.clock.setTimer(r, (seconds * 1000) / 2));
  const asked = ANYCAST_CITIES.map((city, i) =>
    halfway.then(() => exchange({ host: SIM_ROOT_ADDRESS, port: 53 }, { name: "www.amazon.com", type: "A" }, { network: sim, source: { host: clientHost(i) }, id: i + 1, timeoutMs: 1000 }))
      .then((x) => ({ city, answeredBy: answeredBy.get(clientHost(i)), rttMs: x.rttMs, rcode: rcodeOf(x.response) }))
      .catch(() => ({ city, answeredBy: undefined, rttMs: undefined, rcode: "no answer" })));
  const clients = await sim.runUntil(Promise.all(asked));
  await sim.run({ untilMs: seconds * 1000 + 1000 });
  await Promise.all(servers.map((s) => s.close()));
  return {
    sites: [...sites],
    instances: sites.map((site, k) => {
      const n = received.get(siteHosts[k]) ?? 0;
      return { site, floodQueries: n, share: floodQueries ? n / floodQueries : 0 };
    }),
    clients,
    floodQueries,
  };
}
