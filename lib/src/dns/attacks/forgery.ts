import { Random } from "../../sim/random";
import { SimNetwork } from "../../sim/network";
import { Resolver } from "../resolver/resolver";
import { AuthoritySection } from "../resolver/resolution";
import { serveDns } from "../authoritative/server";
import { parseZone } from "../wire/zone";
import { fqdn } from "../wire/records";
import { SIM_ROOT_ADDRESS, oneDelegationRoot, simRootHints } from "../world/synthetic";

/**
 * SEED's Kaminsky lab in the simulator, with the forged reply's bytes written
 * by the student: lesson 35's judge. The lib's resolver (at RESOLVER) has
 * bank.test's server cached; the attacker makes it ask bank.test's server for a
 * fresh name, then floods it with `forge(name, id)` for guessed ids, sent with
 * the server's address, to the port the resolver used when the attacker asked
 * it something earlier. The real reply needs 40 ms there and back; the
 * forgeries, 1 ms. Afterwards the lab asks the resolver for www.bank.test: the
 * real server says 10.0.0.80, the attacker's server (10.6.6.6, unknown to the
 * hierarchy) says 10.6.6.6. `kaminskyLab` runs an attack's own loop of races;
 * `forgeryLab` runs the lab's loop with the student's bytes.
 */

export const KAMINSKY_LAB = {
  victim: "bank.test.",
  /** bank.test's real server, and the address it gives www.bank.test. */
  server: "10.0.0.53",
  realWww: "10.0.0.80",
  resolver: "10.0.0.10",
  /** The attacker's host, and its DNS server, which answers every name in bank.test with its own address. */
  attacker: "10.6.6.6",
  /** The resolver's source port when it is fixed (and the first of its range when not). */
  port: 33_000,
} as const;

/** The lab's resolver and its defences. */
export interface KaminskyLabOptions {
  /** Source ports the resolver draws from: 1 is a fixed port, as before 2008; Linux offers about 28,000. */
  ports?: number;
  /** What the resolver takes from beside an answer (default "any": no bailiwick check). */
  authoritySection?: AuthoritySection;
  seed?: number;
}

/** What an attack may do to the lab's resolver: race it, one fresh name at a time. */
export interface KaminskyLab {
  /**
   * One race: makes the resolver look `name` up (type A), sends it each of
   * `forgeries` as from bank.test's server, to the port the attacker saw, and
   * gives what the resolver answered for `name`: an address (10.6.6.6 when a
   * forgery won), or the rcode (NXDOMAIN when the real reply won, or when
   * `name` was cached and nothing was asked upstream).
   */
  race(name: string, forgeries: Iterable<Uint8Array>): Promise<string>;
}

/** What came of an attack on the lab. */
export interface KaminskyLabRun<T> {
  /** What the attack returned. */
  result: T;
  /** The names it raced, in order, as the resolver reads them (lower case, with the final dot). */
  raced: string[];
  /** What the resolver answers for www.bank.test afterwards: an address, or the rcode when it has none. */
  www: string;
}

/** The address a resolution ended with, or its rcode when it has none. */
const addressOf = (r: { answers: Array<{ type: string }>; rcode: string }) => (r.answers.find((a) => a.type === "A") as { data: string } | undefined)?.data ?? r.rcode;

/**
 * Runs `attack` against the lab's resolver (bank.test's server cached), then
 * asks the resolver for www.bank.test: the judge of an attack's loop.
 *
 * @example
 * const run = await kaminskyLab((lab) => myAttack(lab, 40), { ports: 1 });
 * run.www; // "10.6.6.6" when a forgery took bank.test over
 * run.raced; // the fresh names it raced, one per attempt
 */
export async function kaminskyLab<T>(attack: (lab: KaminskyLab) => Promise<T>, options: KaminskyLabOptions = {}): Promise<KaminskyLabRun<T>> {
  const o = { ports: 1, authoritySection: "any" as AuthoritySection, seed: 1, ...options };
  const L = KAMINSKY_LAB;
  const sim = new SimNetwork({ seed: o.seed });
  sim.link(L.resolver, L.server, { latencyMs: 20 });
  sim.link(L.attacker, L.resolver, { latencyMs: 1, bandwidthBps: 1e10 });
  const zone = `$ORIGIN ${L.victim}\n$TTL 3600\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A ${L.server}\nwww A ${L.realWww}\n`;
  const evil = `$ORIGIN ${L.victim}\n$TTL 3600\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\n* A ${L.attacker}\n`;
  const servers = [
    await serveDns({ network: sim, host: SIM_ROOT_ADDRESS, port: 53, zones: [oneDelegationRoot(L.victim, L.server)] }),
    await serveDns({ network: sim, host: L.server, port: 53, zones: [parseZone(zone)] }),
    await serveDns({ network: sim, host: L.attacker, port: 53, zones: [parseZone(evil)] }),
  ];
  try {
    const resolver = new Resolver({
      hints: simRootHints(), network: sim, upstreamPort: 53, sourceHost: L.resolver, seed: o.seed + 1,
      sourcePorts: { first: L.port, count: o.ports }, authoritySection: o.authoritySection,
    });
    await sim.runUntil(resolver.resolve(`ns.${L.victim}`, "A")); // bank.test's server is cached: each race is with it
    const raced: string[] = [];
    const lab: KaminskyLab = {
      async race(name, forgeries) {
        raced.push(fqdn(name.toLowerCase()));
        const pending = resolver.resolve(name, "A");
        for (const forged of forgeries) sim.spoof(forged, { host: L.server, port: 53 }, { host: L.resolver, port: L.port }, L.attacker);
        const r = await sim.runUntil(pending);
        await sim.run({ untilMs: sim.clock.now() + 50 }); // the real reply and the rest of the flood land
        return addressOf(r);
      },
    };
    const result = await attack(lab);
    return { result, raced, www: addressOf(await sim.runUntil(resolver.resolve(`www.${L.victim}`, "A"))) };
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

export interface ForgeryLabOptions extends KaminskyLabOptions {
  /** The forged reply to the query for `name`, with id `id`: DNS message bytes. */
  forge: (name: string, id: number) => Uint8Array;
  /** Races the attacker runs at most (it stops at the first forgery the resolver believes). */
  races?: number;
  /** Forgeries per race, with consecutive ids from a random start. */
  forgeriesPerRace?: number;
}

/** What came of the attack, judged by the resolver. */
export interface ForgeryLabResult {
  /** Races run: up to the first one a forgery won. */
  races: number;
  /** The resolver believed a forged answer for the fresh name. */
  forgeryBelieved: boolean;
  /** What the resolver answers for www.bank.test afterwards: an address, or the rcode when it has none. */
  www: string;
}

/**
 * Runs the attack, each race with a fresh name, and asks the resolver for
 * www.bank.test afterwards.
 *
 * @example
 * const r = await forgeryLab({ forge: myForgedReply, ports: 1 });
 * r.www; // "10.6.6.6" when the forgery took bank.test over
 */
export async function forgeryLab(options: ForgeryLabOptions): Promise<ForgeryLabResult> {
  const o = { races: 12, forgeriesPerRace: 16_384, seed: 1, ...options };
  const rng = new Random(o.seed + 2);
  const run = await kaminskyLab(async (lab) => {
    let races = 0;
    let forgeryBelieved = false;
    while (races < o.races && !forgeryBelieved) {
      races++;
      const name = `${Array.from({ length: 10 }, () => String.fromCharCode(97 + rng.int(26))).join("")}.${KAMINSKY_LAB.victim}`;
      const start = rng.int(65_536);
      const flood = Array.from({ length: o.forgeriesPerRace }, (_, f) => o.forge(name, (start + f) & 0xffff));
      forgeryBelieved = (await lab.race(name, flood)) === KAMINSKY_LAB.attacker;
    }
    return { races, forgeryBelieved };
  }, o);
  return { ...run.result, www: run.www };
}
