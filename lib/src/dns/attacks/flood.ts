import { SimNetwork } from "../../sim/network";
import { DnsRecord, encodeMessage } from "../wire/codec";
import { floodQuery } from "./amplification";
import { formatRecord } from "../wire/records";
import { Resolver, serveResolver } from "../resolver/resolver";
import { RrlOptions } from "../authoritative/rrl";
import { serveDns } from "../authoritative/server";
import { parseZone } from "../wire/zone";
import { SIM_ROOT_ADDRESS, oneDelegationRoot, simRootHints } from "../world/synthetic";
import { generateZoneKey } from "../dnssec/keys";
import { signZone } from "../dnssec/sign";

/**
 * DNS as a DDoS weapon, measured in a simulated network: an attacker sends small
 * queries whose source address is the victim's, to a server that answers the
 * victim with big replies. Every byte is a real encoded message, through the
 * lib's real servers.
 */

/** Which server reflects the flood. */
export type Reflector = "authoritative" | "open resolver" | "campus resolver";

export interface FloodOptions {
  via: Reflector;
  /** The question the attacker asks, e.g. DNSKEY with DO, or ANY. */
  name?: string;
  type: string;
  dnssec?: boolean;
  /** Response rate limiting on the authoritative server. */
  rrl?: RrlOptions;
  queriesPerSecond?: number;
  seconds?: number;
  seed?: number;
}

export interface FloodResult {
  via: Reflector;
  question: string;
  rrl: boolean;
  /** Bytes the attacker sent (spoofed queries) and the victim received (replies it never asked for). */
  attackerBytes: number;
  victimBytes: number;
  /** victimBytes / attackerBytes: what each byte of the attacker's uplink became. */
  factor: number;
  repliesAtVictim: number;
  queries: number;
}

const ZONE = "example.test.";
const AUTH = "10.0.0.53";
const RESOLVER = "10.1.0.10";
const VICTIM = { host: "10.9.9.9", port: 4444 };
const ATTACKER = "10.6.6.6";

/** The reflecting zone: signed with ECDSA, a TXT record of the size SPF records reach. */
function victimZone(): { records: DnsRecord[]; anchor: DnsRecord } {
  const txt = Array.from({ length: 4 }, (_, i) => `"v=spf1 ${Array.from({ length: 8 }, (_, j) => `ip4:192.0.${i}.${j * 16}/28`).join(" ")} -all"`).join(" ");
  const text = `$ORIGIN ${ZONE}\n$TTL 3600\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A ${AUTH}\nwww A 10.0.0.80\n@ MX 10 mail\nmail A 10.0.0.25\n@ TXT ${txt}\n`;
  const ksk = generateZoneKey(13, { ksk: true });
  const records = signZone(parseZone(text).records(), { origin: ZONE, ksk, zsk: generateZoneKey(13) });
  return { records, anchor: { name: ZONE, type: "DNSKEY", ttl: 3600, class: "IN", data: ksk.dnskey } as DnsRecord };
}

/**
 * Floods the victim through one reflector and counts the bytes on both sides.
 *
 * @example
 * const r = await reflectionFlood({ via: "authoritative", type: "DNSKEY", dnssec: true });
 * r.factor; // about 8 with ECDSA keys
 */
export async function reflectionFlood(options: FloodOptions): Promise<FloodResult> {
  const { via, name = ZONE, type, dnssec = false, queriesPerSecond = 1000, seconds = 2, seed = 1 } = options;
  const sim = new SimNetwork({ seed, link: { latencyMs: 5 } });
  const zone = victimZone();
  const root = oneDelegationRoot(ZONE, AUTH);
  const closers: Array<{ close(): Promise<void> }> = [
    await serveDns({ network: sim, host: SIM_ROOT_ADDRESS, port: 53, zones: [root] }),
    await serveDns({ network: sim, host: AUTH, port: 53, zones: [parseZone(zone.records.map(formatRecord).join("\n"))], rrl: via === "authoritative" ? options.rrl : undefined }),
  ];
  let target = { host: AUTH, port: 53 };
  if (via !== "authoritative") {
    const resolver = new Resolver({
      hints: simRootHints(), network: sim, upstreamPort: 53, sourceHost: RESOLVER, seed,
      trustAnchor: [zone.anchor],
    });
    // An open resolver answers anyone; a campus resolver only its own network (10.1/16 here), as the lib's does by default.
    const served = await serveResolver({ network: sim, host: RESOLVER, port: 53, resolver, allow: via === "open resolver" ? () => true : (h) => h.startsWith("10.1.") });
    closers.push(served);
    target = served.address;
  }
  const victim = sim.bindUdp(VICTIM);
  let victimBytes = 0;
  let repliesAtVictim = 0;
  victim.onMessage((data) => {
    victimBytes += data.length + 28; // with its IPv4 and UDP headers, as the victim's link carries it
    repliesAtVictim++;
  });
  const query = encodeMessage(floodQuery(name, type, { dnssec, recursionDesired: via !== "authoritative" }));
  const queries = Math.round(queriesPerSecond * seconds);
  for (let i = 0; i < queries; i++) {
    sim.clock.setTimer(() => {
      const bytes = Uint8Array.from(query);
      bytes[0] = (i >> 8) & 0xff;
      bytes[1] = i & 0xff;
      sim.spoof(bytes, VICTIM, target, ATTACKER);
    }, (i * 1000) / queriesPerSecond);
  }
  await sim.run({ untilMs: seconds * 1000 + 2000 });
  await Promise.all(closers.map((c) => c.close()));
  const attackerBytes = queries * (query.length + 28);
  return {
    via, question: `${name} ${type}${dnssec ? " +DO" : ""}`, rrl: options.rrl !== undefined && via === "authoritative",
    attackerBytes, victimBytes, factor: Math.round((victimBytes / attackerBytes) * 10) / 10, repliesAtVictim, queries,
  };
}
