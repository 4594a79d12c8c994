import { Random } from "../../sim/random";
import { Authority } from "../authoritative/authority";
import { DnsRecord } from "../wire/codec";
import { Zone, parseRecords, parseZone } from "../wire/zone";

/**
 * The simulated worlds: hierarchies on 10.x addresses that never open a socket,
 * for the load simulator (./load) and the attack experiments (../attacks). The
 * world of live servers on 127.53.x is ./textbook; its signed copy, ./signed.
 */

/** The simulated experiments' root server (a.root), and the hints that point at it. */
export const SIM_ROOT_ADDRESS = "10.0.0.2";
export const simRootHints = (): DnsRecord[] => parseRecords(`. 3600000 IN NS a.root.\na.root. 3600000 IN A ${SIM_ROOT_ADDRESS}\n`);

/** The smallest hierarchy for an experiment: a root zone that delegates one zone to one server. */
export function oneDelegationRoot(origin: string, nsAddress: string): Zone {
  return parseZone(`$ORIGIN .\n$TTL 86400\n@ SOA a.root. h. 1 3600 900 604800 300\n@ NS a.root.\na.root. A ${SIM_ROOT_ADDRESS}\n${origin} NS ns.${origin}\nns.${origin} A ${nsAddress}\n`);
}

/** A hierarchy for load experiments: many domains and hosts, synthetic but shaped like the real one. */
export interface SyntheticWorld {
  /** Authoritative logic per server address. */
  servers: Map<string, { name: string; level: "root" | "TLD" | "authoritative"; authority: Authority }>;
  hints: DnsRecord[];
  /** Every host name, most popular first (the Zipf ranking). */
  hosts: string[];
}

export interface SyntheticWorldOptions {
  tlds?: string[];
  domainsPerTld?: number;
  hostsPerDomain?: number;
  /** TTL of the hosts' A records (the knob the TTL sweep turns). */
  hostTtl?: number;
  /** TTL of TLD → domain delegations (two days in the real com zone). */
  delegationTtl?: number;
}

/**
 * Builds a hierarchy of one root, a TLD server per TLD and one authoritative
 * server per domain, with `hostsPerDomain` hosts each. Hosts are ranked by a fixed
 * shuffle, so popularity is spread across domains as on the real Internet.
 */
export function syntheticWorld(options: SyntheticWorldOptions = {}): SyntheticWorld {
  const { tlds = ["com", "edu", "org", "net"], domainsPerTld = 250, hostsPerDomain = 10, hostTtl = 3600, delegationTtl = 172800 } = options;
  const servers: SyntheticWorld["servers"] = new Map();
  const soa = (ns: string) => `@ IN SOA ${ns}. h. 1 3600 900 604800 300`;
  const ip = (a: number, b: number, c: number) => `10.${a}.${b}.${c}`;
  const rootLines = ["$ORIGIN .", "$TTL 518400", soa("a.root"), "@ IN NS a.root.", `a.root. IN A ${SIM_ROOT_ADDRESS}`];
  const hosts: string[] = [];
  tlds.forEach((tld, t) => {
    const tldNs = `ns.${tld}`;
    rootLines.push(`${tld}. 172800 IN NS ${tldNs}.`, `${tldNs}. 172800 IN A ${ip(0, 1, t + 1)}`);
    const tldLines = [`$ORIGIN ${tld}.`, "$TTL 86400", soa(tldNs), `@ IN NS ${tldNs}.`, `ns IN A ${ip(0, 1, t + 1)}`];
    for (let d = 0; d < domainsPerTld; d++) {
      const domain = `d${d}.${tld}`;
      const addr = ip(1 + t, d >> 8, d & 255);
      tldLines.push(`d${d} ${delegationTtl} IN NS ns.${domain}.`, `ns.d${d} ${delegationTtl} IN A ${addr}`);
      const lines = [`$ORIGIN ${domain}.`, `$TTL ${hostTtl}`, soa(`ns.${domain}`), `@ IN NS ns.${domain}.`, `ns 86400 IN A ${addr}`];
      for (let h = 0; h < hostsPerDomain; h++) {
        lines.push(`h${h} IN A ${ip(100 + t, d >> 8, (d * hostsPerDomain + h) & 255)}`);
        hosts.push(`h${h}.${domain}`);
      }
      servers.set(addr, { name: `ns.${domain}`, level: "authoritative", authority: new Authority([parseZone(lines.join("\n"))]) });
    }
    servers.set(ip(0, 1, t + 1), { name: tldNs, level: "TLD", authority: new Authority([parseZone(tldLines.join("\n"))]) });
  });
  servers.set(SIM_ROOT_ADDRESS, { name: "a.root", level: "root", authority: new Authority([parseZone(rootLines.join("\n"))]) });
  const rng = new Random(12345);
  for (let i = hosts.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [hosts[i], hosts[j]] = [hosts[j], hosts[i]];
  }
  return { servers, hints: simRootHints(), hosts };
}
