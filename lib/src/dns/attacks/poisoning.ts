import { Random } from "../../sim/random";
import { SimNetwork } from "../../sim/network";
import { DnsRecord, FLAGS, encodeMessage } from "../wire/codec";
import { formatRecord } from "../wire/records";
import { Resolver } from "../resolver/resolver";
import { serveDns } from "../authoritative/server";
import { parseZone } from "../wire/zone";
import { SIM_ROOT_ADDRESS, oneDelegationRoot, simRootHints } from "../world/synthetic";
import { generateZoneKey } from "../dnssec/keys";
import { signZone } from "../dnssec/sign";
import { Validation } from "../dnssec/validate";

/**
 * Kaminsky's cache-poisoning race (2008), measured in a simulated network with
 * the lib's own resolver and authoritative server. The attacker asks the
 * resolver for a fresh random name under the victim's zone, so nothing is
 * cached and every attempt is a new race, then floods the resolver with forged
 * replies that claim to come from the zone's server. A forgery wins when it
 * guesses the query's id, its source port and (with 0x20) the letter case of its
 * name before the real reply arrives.
 */

/** What the resolver randomises: the id only (a fixed port, as before 2008), the id and the port, or also 0x20. */
export type RaceDefence = "id" | "id+port" | "id+port+0x20";

export interface RaceOptions {
  defence: RaceDefence;
  /** Forged replies sent per attempt. */
  spoofsPerAttempt: number;
  attempts: number;
  /** Source ports the resolver draws from for "id+port" (Linux offers about 28,000; fewer here, so wins can be counted). */
  ports?: number;
  /** The round trip between the resolver and the zone's server: the window the forgeries must land in. */
  rttMs?: number;
  /** The attacker's uplink: it limits how many forgeries fit in the window. */
  attackerBps?: number;
  /** The victim zone is signed and the resolver validates from the zone's key. */
  dnssec?: boolean;
  seed?: number;
}

/** The odds of one attempt and what came of the race. */
export interface RaceResult {
  options: Required<Omit<RaceOptions, "dnssec">> & { dnssec: boolean };
  /** Attempts in which a forgery was accepted (before DNSSEC validation). */
  wins: number;
  /** Wins that reached the client: a validating resolver turns a forged answer into SERVFAIL. */
  poisonedAnswers: number;
  /** Forged replies that arrived at an open port while the query was outstanding, on average per attempt. */
  spoofsInWindow: number;
  /** The space a forger guesses from: ids × ports × letter-case patterns. */
  space: number;
  /** RFC 5452 §7's odds per attempt: forgeries in the window over the space. */
  predicted: number;
  measured: number;
  /** After the first win: did the forged answer enter the cache, and did the records beside it? */
  afterWin?: { answerCached: boolean; outOfZoneCached: boolean; delegationChanged: boolean; validation?: Validation };
  /** The cumulative wins after each attempt, with its virtual time. */
  timeline: Array<{ attempt: number; atMs: number; wins: number }>;
}

const VICTIM = "bank.test.";
const AUTH = "10.0.0.53";
const RESOLVER = "10.0.0.10";
const ATTACKER = "10.6.6.6";
const EVIL = "10.6.6.6";
const FIRST_PORT = 33_000;

/** The forger's guesses beyond id and port: one per letter of the question name under 0x20. */
export const caseBits = (name: string): number => (name.match(/[a-z]/gi) ?? []).length;

/**
 * RFC 5452 §7: one forged reply matches with probability 1 / (N·P·I) for N ids,
 * P ports and I servers to impersonate (×2 per letter under 0x20); F distinct
 * forgeries in one window win with F / (N·P·I), at most 1. Over Q attempts:
 * 1 − (1 − p)^Q.
 *
 * @example raceOdds({ forgeries: 1000, ports: 1 }) // 0.0153: id only
 */
export function raceOdds(o: { forgeries: number; ids?: number; ports?: number; servers?: number; letters?: number; attempts?: number }): number {
  const space = (o.ids ?? 65_536) * (o.ports ?? 1) * (o.servers ?? 1) * 2 ** (o.letters ?? 0);
  const p = Math.min(1, o.forgeries / space);
  // 1 − (1 − p)^Q, computed so that a p of 1e-15 does not vanish in 1 − p.
  return o.attempts === undefined ? p : -Math.expm1(o.attempts * Math.log1p(-p));
}

/** Writes `name`'s letters into a query's question (offset 12) with the case bits of `pattern`. */
function writeCase(bytes: Uint8Array, name: string, pattern: number): void {
  let at = 12;
  let bit = 0;
  for (const label of name.replace(/\.$/, "").split(".")) {
    at++; // the length byte
    for (const ch of label) {
      const lower = ch.toLowerCase();
      bytes[at++] = (lower >= "a" && lower <= "z" ? ((pattern >>> bit++) & 1 ? lower.toUpperCase() : lower) : ch).charCodeAt(0);
    }
  }
}

/**
 * Runs the race `attempts` times and counts the wins.
 *
 * @example
 * const r = await kaminskyRace({ defence: "id", spoofsPerAttempt: 2000, attempts: 100 });
 * [r.measured, r.predicted]; // about 0.03 each
 */
export async function kaminskyRace(options: RaceOptions): Promise<RaceResult> {
  const o = { ports: 64, rttMs: 40, attackerBps: 1e9, seed: 1, dnssec: false, ...options };
  const sim = new SimNetwork({ seed: o.seed });
  sim.link(RESOLVER, AUTH, { latencyMs: o.rttMs / 2 });
  sim.link(ATTACKER, RESOLVER, { latencyMs: 1, bandwidthBps: o.attackerBps });
  const rng = new Random(o.seed + 1);

  const zoneText = `$ORIGIN ${VICTIM}\n$TTL 3600\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A ${AUTH}\nwww A 10.0.0.80\n`;
  const ksk = o.dnssec ? generateZoneKey(13, { ksk: true }) : undefined;
  const zoneRecords = ksk ? signZone(parseZone(zoneText).records(), { origin: VICTIM, ksk }) : parseZone(zoneText).records();
  const root = oneDelegationRoot(VICTIM, AUTH);
  const servers = [
    await serveDns({ network: sim, host: SIM_ROOT_ADDRESS, port: 53, zones: [root] }),
    await serveDns({ network: sim, host: AUTH, port: 53, zones: [parseZone(zoneRecords.map(formatRecord).join("\n"))] }),
  ];
  const resolver = new Resolver({
    hints: simRootHints(),
    network: sim, upstreamPort: 53, sourceHost: RESOLVER, seed: o.seed + 2,
    sourcePorts: { first: FIRST_PORT, count: o.defence === "id" ? 1 : o.ports },
    mixedCase: o.defence === "id+port+0x20",
    trustAnchor: ksk && [{ name: VICTIM, type: "DNSKEY", ttl: 3600, class: "IN", data: ksk.dnskey } as DnsRecord],
  });
  await sim.runUntil(resolver.resolve(`www.${VICTIM}`, "A")); // the zone's servers are cached: each race is with bank.test's server

  const portCount = o.defence === "id" ? 1 : o.ports;
  let wins = 0;
  let poisonedAnswers = 0;
  let inWindow = 0;
  let letters = 0;
  let afterWin: RaceResult["afterWin"];
  const timeline: RaceResult["timeline"] = [];
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    // A fresh name each time (nothing cached: a new race), ten random letters long.
    const name = `${Array.from({ length: 10 }, () => String.fromCharCode(97 + rng.int(26))).join("")}.${VICTIM}`;
    letters = caseBits(name);
    const forged = encodeMessage({
      id: 0, type: "response", flags: FLAGS.QR | FLAGS.AA,
      questions: [{ name, type: "A", class: "IN" }],
      answers: [{ name, type: "A", ttl: 86400, class: "IN", data: EVIL }],
      // Kaminsky's payload: take over the zone's delegation, and (out of bailiwick) a name elsewhere.
      authorities: [{ name: VICTIM, type: "NS", ttl: 86400, class: "IN", data: "ns.evil.example." }],
      additionals: [{ name: "ns.evil.example.", type: "A", ttl: 86400, class: "IN", data: EVIL }, { name: "www.paypal.example.", type: "A", ttl: 86400, class: "IN", data: EVIL }],
    });
    const pending = resolver.resolve(name, "A");
    const outstandingUntil = sim.clock.now() + o.rttMs;
    const idStart = rng.int(65_536);
    for (let f = 0; f < o.spoofsPerAttempt; f++) {
      const bytes = new Uint8Array(forged);
      const id = (idStart + f) & 0xffff; // distinct guesses
      bytes[0] = id >> 8;
      bytes[1] = id & 0xff;
      if (o.defence === "id+port+0x20") writeCase(bytes, name, rng.int(2 ** 30));
      const port = FIRST_PORT + rng.int(portCount);
      sim.spoof(bytes, { host: AUTH, port: 53 }, { host: RESOLVER, port }, ATTACKER);
    }
    inWindow += Math.min(o.spoofsPerAttempt, Math.floor(((o.rttMs - 1) / 1000) * o.attackerBps / (forged.length * 8)));
    const r = await sim.runUntil(pending);
    await sim.run({ untilMs: outstandingUntil + 5 }); // the rest of the flood lands on closed ports
    const hop = r.hops[r.hops.length - 1];
    const tookForgery = hop?.response?.answers?.some((a) => (a as { data: unknown }).data === EVIL) ?? false;
    if (tookForgery) {
      wins++;
      if (r.answers.some((a) => (a as { data: unknown }).data === EVIL)) poisonedAnswers++;
      if (!afterWin) {
        const cached = resolver.cache.peek(name, "A");
        const ns = resolver.cache.peek(VICTIM, "NS");
        afterWin = {
          answerCached: cached.kind === "records" && (cached.records[0] as { data: unknown }).data === EVIL,
          outOfZoneCached: resolver.cache.peek("www.paypal.example", "A").kind !== "miss",
          delegationChanged: ns.kind !== "records" || ns.records.some((x) => String((x as { data: unknown }).data).includes("evil")),
          validation: r.security,
        };
      }
    }
    timeline.push({ attempt, atMs: sim.clock.now(), wins });
  }
  await Promise.all(servers.map((s) => s.close()));
  const space = 65_536 * portCount * (o.defence === "id+port+0x20" ? 2 ** letters : 1);
  const spoofsInWindow = inWindow / o.attempts;
  return {
    options: o, wins, poisonedAnswers, spoofsInWindow, space,
    predicted: raceOdds({ forgeries: spoofsInWindow, ports: portCount, letters: o.defence === "id+port+0x20" ? letters : 0 }),
    measured: wins / o.attempts, afterWin, timeline,
  };
}
