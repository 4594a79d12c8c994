import { formatAddress } from "../../net/address";
import { ListenOptions } from "../../net/lifecycle";
import { Network, loopback } from "../../net/network";
import { Trace } from "../../lab/trace";
import { SimNetwork } from "../../sim/network";
import { decodeMessage, DnsRecord } from "../wire/codec";
import { summarizeMessage } from "../wire/records";
import { Resolver, ResolverServer, serveResolver } from "../resolver/resolver";
import { DnsServer, serveDns } from "../authoritative/server";
import { Zone, parseRecords, parseZone } from "../wire/zone";
import { SignedHierarchy, signHierarchy } from "./signed";
import { FREE_PORT_ATTEMPTS } from "../transport/endpoint";
import { isAppLayerError } from "../../errors";

/** One authoritative server of the world: which zone, its name, its address. */
export interface WorldServerSpec {
  zone: string;
  name: string;
  address: string;
  level: "root" | "TLD" | "authoritative";
  /** The zone in master-file syntax (what `dns-server --zone` would read). */
  zoneText: string;
}

const SOA = (ns: string) => `@ IN SOA ${ns}. hostmaster.${ns}. ( 2026112401 3600 900 604800 300 )`;
const zoneText = (origin: string, ttl: number, ns: string[], body: string[]) =>
  [`$ORIGIN ${origin}`, `$TTL ${ttl}`, SOA(ns[0]), ...ns.map((n) => `@ IN NS ${n}.`), ...body, ""].join("\n");

/**
 * Who may use the world's local DNS server: its "campus", loopback (real hosts)
 * and 10.0.0.0/8 (the simulator's default hosts). Anyone else gets REFUSED.
 */
export const campusOnly = (host: string) => host.startsWith("127.") || host.startsWith("10.");

/** The address of the world's local DNS server (the resolver a host asks). */
export const WORLD_RESOLVER_ADDRESS = "127.53.0.53";

/**
 * The textbook's DNS hierarchy as data: two root servers; the com, edu and org
 * TLDs; umass.edu with a delegated cs.umass.edu (gaia lives there), nyu.edu with
 * engineering.nyu.edu, amazon.com whose www has four A records (load distribution),
 * ibm.com whose www is a CNAME for servereast.backup2.ibm.com (aliasing), MX
 * records for the mail domains, and a reverse zone for the world's addresses.
 * Every address is in 127.53.0.0/16, so following any record stays on the machine.
 */
export function worldSpec(): WorldServerSpec[] {
  const delegate = (zone: string, ns: string, addr: string, ttl = 172800) => [`${zone}. ${ttl} IN NS ${ns}.`, `${ns}. ${ttl} IN A ${addr}`];
  const roots = [["a.root-servers.net", "127.53.0.1"], ["b.root-servers.net", "127.53.0.2"]];
  const root = zoneText(".", 518400, roots.map((r) => r[0]), [
    ...roots.map(([n, a]) => `${n}. IN A ${a}`),
    ...delegate("com", "dns.com", "127.53.1.1"),
    ...delegate("edu", "dns.edu", "127.53.1.2"),
    ...delegate("org", "dns.org", "127.53.1.3"),
    ...delegate("53.127.in-addr.arpa", "dns.53.127.in-addr.arpa", "127.53.1.4"),
  ]);
  const tld = (name: string, children: string[][]) => zoneText(`${name}.`, 86400, [`dns.${name}`], [
    `dns IN A ${({ com: "127.53.1.1", edu: "127.53.1.2", org: "127.53.1.3" } as Record<string, string>)[name]}`,
    ...children.flatMap(([zone, ns, addr]) => delegate(zone, ns, addr)),
  ]);
  return [
    ...roots.map(([name, address]) => ({ zone: ".", name, address, level: "root" as const, zoneText: root })),
    { zone: "com.", name: "dns.com", address: "127.53.1.1", level: "TLD", zoneText: tld("com", [["amazon.com", "ns1.amazon.com", "127.53.2.4"], ["ibm.com", "ns.ibm.com", "127.53.2.5"]]) },
    { zone: "edu.", name: "dns.edu", address: "127.53.1.2", level: "TLD", zoneText: tld("edu", [["umass.edu", "dns.umass.edu", "127.53.2.1"], ["nyu.edu", "dns.nyu.edu", "127.53.2.3"]]) },
    { zone: "org.", name: "dns.org", address: "127.53.1.3", level: "TLD", zoneText: tld("org", [["wikipedia.org", "ns0.wikipedia.org", "127.53.2.6"]]) },
    {
      zone: "umass.edu.", name: "dns.umass.edu", address: "127.53.2.1", level: "authoritative",
      zoneText: zoneText("umass.edu.", 3600, ["dns.umass.edu"], [
        "dns IN A 127.53.2.1", "@ IN MX 10 mail.umass.edu.", "mail IN A 127.53.10.25", "www IN A 127.53.10.80",
        "cs IN NS dns.cs.umass.edu.", "dns.cs IN A 127.53.2.2",
      ]),
    },
    {
      zone: "cs.umass.edu.", name: "dns.cs.umass.edu", address: "127.53.2.2", level: "authoritative",
      zoneText: zoneText("cs.umass.edu.", 3600, ["dns.cs.umass.edu"], [
        "dns IN A 127.53.2.2", "gaia IN A 127.53.10.12", "gaia IN TXT \"the textbook's gaia.cs.umass.edu\"", "www IN CNAME gaia",
        "@ IN MX 10 mail.cs.umass.edu.", "@ IN MX 20 mail.umass.edu.", "mail IN A 127.53.10.26",
      ]),
    },
    {
      zone: "nyu.edu.", name: "dns.nyu.edu", address: "127.53.2.3", level: "authoritative",
      zoneText: zoneText("nyu.edu.", 3600, ["dns.nyu.edu"], ["dns IN A 127.53.2.3", "engineering IN A 127.53.10.40", "@ IN MX 10 mail.nyu.edu.", "mail IN A 127.53.10.41"]),
    },
    {
      zone: "amazon.com.", name: "ns1.amazon.com", address: "127.53.2.4", level: "authoritative",
      zoneText: zoneText("amazon.com.", 60, ["ns1.amazon.com"], ["ns1 3600 IN A 127.53.2.4", ...[80, 81, 82, 83].map((h) => `www IN A 127.53.10.${h}`), "@ IN MX 10 mail.amazon.com.", "mail IN A 127.53.10.84"]),
    },
    {
      zone: "ibm.com.", name: "ns.ibm.com", address: "127.53.2.5", level: "authoritative",
      zoneText: zoneText("ibm.com.", 3600, ["ns.ibm.com"], ["ns IN A 127.53.2.5", "www IN CNAME servereast.backup2.ibm.com.", "servereast.backup2 IN A 127.53.10.90"]),
    },
    {
      zone: "wikipedia.org.", name: "ns0.wikipedia.org", address: "127.53.2.6", level: "authoritative",
      zoneText: zoneText("wikipedia.org.", 3600, ["ns0.wikipedia.org"], [
        "ns0 IN A 127.53.2.6", "www IN A 127.53.10.100",
        // A record set too big for a 512-byte UDP reply: the truncation (TC) lesson.
        ...Array.from({ length: 6 }, (_, i) => `big IN TXT "${String(i).repeat(100)}"`),
      ]),
    },
    {
      zone: "53.127.in-addr.arpa.", name: "dns.53.127.in-addr.arpa", address: "127.53.1.4", level: "authoritative",
      zoneText: zoneText("53.127.in-addr.arpa.", 3600, ["dns.53.127.in-addr.arpa"], [
        "dns IN A 127.53.1.4", "12.10 IN PTR gaia.cs.umass.edu.", "25.10 IN PTR mail.umass.edu.", "26.10 IN PTR mail.cs.umass.edu.",
        "40.10 IN PTR engineering.nyu.edu.", "90.10 IN PTR servereast.backup2.ibm.com.",
      ]),
    },
  ];
}

/** The world's deliberately unsigned delegation and its deliberately broken one, for the DNSSEC lesson. */
export const WORLD_INSECURE = ["nyu.edu."];
export const WORLD_BOGUS = ["ibm.com."];

/** Each zone of the world once (the root has two servers). */
function uniqueZones(specs: WorldServerSpec[]): Zone[] {
  return [...new Map(specs.map((s) => [s.zone, s] as [string, WorldServerSpec])).values()].map((s) => parseZone(s.zoneText, { file: s.zone }));
}

/** The root hints of the world, in named.root format. */
export function worldHintsText(): string {
  const roots = worldSpec().filter((s) => s.level === "root");
  return [
    "; root hints for the applayer DNS world (named.root format)",
    ...roots.map((r) => `.                        3600000  NS  ${r.name}.`),
    ...roots.map((r) => `${r.name}.`.padEnd(25) + `3600000  A   ${r.address}`),
    "",
  ].join("\n");
}

/** A running world: every authoritative server, the local DNS server, and their counters. */
export interface World {
  servers: Array<WorldServerSpec & { server: DnsServer }>;
  resolver: ResolverServer;
  hints: DnsRecord[];
  port: number;
  /** With dnssec: the root's key-signing DNSKEY, to give validators as their trust anchor. */
  trustAnchor?: DnsRecord;
  /** Queries answered so far by each server, for load charts. */
  load(): Array<{ server: string; zone: string; level: string; queries: number }>;
  close(): Promise<void>;
}

/** How to start the world: see {@link startWorld}. */
export interface WorldOptions {
  network?: Network;
  port?: number;
  trace?: Trace;
  seed?: number;
  resolverHost?: ListenOptions["host"];
  /** "recursive": the local server asks the root with RD, and each server asks the next (textbook Figure 2.20). */
  mode?: "iterative" | "recursive";
  /** Let the authoritative servers accept dynamic UPDATEs from loopback clients. */
  allowUpdate?: boolean;
  /** Records every query and reply each server sees (see the lab's Capture; on a SimNetwork, use capture.watch(sim)). */
  capture?: ListenOptions["capture"];
  /**
   * Sign every zone (DNSSEC), children first, DS records in the parents, the root's
   * KSK as the trust anchor (world.trustAnchor). For the lesson, nyu.edu is an
   * insecure delegation (no DS) and ibm.com is bogus (its DS names another key).
   * The local DNS server validates from that anchor.
   */
  dnssec?: boolean;
  /** With dnssec: every zone's keys made from this seed, signed over a fixed window, so that each run signs the same bytes (a graded lesson compares runs). */
  keySeed?: string;
  /** With dnssec: deny with NSEC3 (hashed names, RFC 5155) instead of NSEC. */
  nsec3?: boolean;
}

/**
 * Starts the world of {@link worldSpec} on a network (real loopback by default, or
 * a SimNetwork), every server on its own 127.53.x address and the same `port`,
 * plus the local DNS server at {@link WORLD_RESOLVER_ADDRESS}.
 *
 * @example
 * const world = await startWorld({ port: 5300 });
 * // dig @127.53.0.53 -p 5300 gaia.cs.umass.edu
 */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const network = options.network ?? loopback;
  const specs = worldSpec();
  const signed = options.dnssec ? signHierarchy(uniqueZones(specs), { insecure: WORLD_INSECURE, bogus: WORLD_BOGUS, nsec3: options.nsec3, seed: options.keySeed }) : undefined;
  // Port 0: the first server takes a free port and the others the same number on their own addresses. Another
  // world (another student's) may hold that number on one of those addresses: then start over on a new port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await bindWorld(options, network, specs, signed);
    } catch (e) {
      if (options.port !== 0 || !isAppLayerError(e, "BAD_ADDRESS") || attempt >= FREE_PORT_ATTEMPTS) throw e;
    }
  }
}

/** Binds every server of the world and its local DNS server; on failure, closes what it bound. */
async function bindWorld(options: WorldOptions, network: Network, specs: WorldServerSpec[], signed: SignedHierarchy | undefined): Promise<World> {
  const recursive = options.mode === "recursive";
  let port = options.port ?? 53;
  const servers: World["servers"] = [];
  const closeAll = () => Promise.all(servers.map((s) => s.server.close()));
  let resolver: ResolverServer;
  try {
    for (const spec of specs) {
      const plain = parseZone(spec.zoneText, { file: spec.zone });
      const zone = signed ? new Zone(plain.origin, signed.zones.get(spec.zone)!) : plain;
      const server = await serveDns({ network, host: spec.address, port, zones: [zone], name: spec.name, recursive, allowUpdate: options.allowUpdate, capture: options.capture });
      port = server.address.port; // port 0 → the first server's free port, then the same port for all
      servers.push({ ...spec, server });
    }
    resolver = await serveResolver({
      network,
      host: options.resolverHost ?? WORLD_RESOLVER_ADDRESS,
      port,
      resolver: new Resolver({
        hints: parseRecords(worldHintsText()), network, upstreamPort: port, trace: options.trace, seed: options.seed, name: "local DNS server",
        recursionDesired: recursive, sourceHost: options.resolverHost ?? WORLD_RESOLVER_ADDRESS,
        trustAnchor: signed && [signed.trustAnchor],
      }),
      trace: options.trace,
      capture: options.capture,
      allow: campusOnly,
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
  const hints = resolver.resolver.options.hints;
  return {
    servers,
    resolver,
    hints,
    port,
    trustAnchor: signed?.trustAnchor,
    load: () => servers.map((s) => ({ server: s.name, zone: s.zone, level: s.level, queries: s.server.stats.total })),
    async close() {
      await Promise.all([resolver.close(), closeAll()]);
    },
  };
}

/** `zone  server  address:port` lines, for printing the world. */
export function describeWorld(world: World): string {
  const rows = world.servers.map((s) => [s.zone, s.name, formatAddress(s.server.address), s.level]);
  rows.push(["(any)", "local DNS server", formatAddress(world.resolver.address), "resolver"]);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 6));
  return [["zone", "server", "address", "level"], ...rows].map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c)).join("  ")).join("\n");
}

/** One name per address of a world, for traces: its servers, its local DNS server, and "host" for the rest. */
function worldNames(world: World): Map<string, string> {
  const names = new Map(world.servers.map((s) => [s.address, s.name] as [string, string]));
  names.set(world.resolver.address.host, "local DNS server");
  return names;
}

/**
 * Records every DNS message the simulated network carries between the world's
 * machines, named by role, as a {@link Trace}: the sequence diagram is then drawn
 * from what really crossed the (simulated) wire, whoever sent it.
 *
 * @example const trace = traceWorld(sim, world); … await show(sequenceDiagram(trace));
 */
export function traceWorld(sim: SimNetwork, world: World): Trace {
  const trace = new Trace(sim.clock);
  const names = worldNames(world);
  const who = (host: string) => names.get(host) ?? `host ${host}`;
  sim.onPacket((p) => {
    if (p.fate !== "delivered") return;
    let label: string;
    try {
      label = summarizeMessage(decodeMessage(p.data).message);
    } catch {
      label = `${p.bytes} bytes (not DNS)`;
    }
    trace.record(who(p.from.host), who(p.to.host), label);
  });
  return trace;
}

/**
 * Places the world on a map of latencies (one way, in ms): hosts are near their
 * local DNS server, the local server is far from the hierarchy, and the servers
 * of the hierarchy are near one another — the layout where the two resolution
 * modes differ most.
 */
export function linkWorld(sim: SimNetwork, world: World, ms: { hostToLocal?: number; localToServers?: number; betweenServers?: number; hosts?: string[] } = {}): void {
  const servers = world.servers.map((s) => s.address);
  const local = world.resolver.address.host;
  for (const h of ms.hosts ?? ["10.0.0.1"]) sim.link(h, local, { latencyMs: ms.hostToLocal ?? 1 });
  for (const s of servers) sim.link(local, s, { latencyMs: ms.localToServers ?? 40 });
  for (const a of servers) for (const b of servers) if (a < b) sim.link(a, b, { latencyMs: ms.betweenServers ?? 10 });
}

/** Messages sent and received by each level of the hierarchy in a trace of the world (for load charts). */
export function messagesByLevel(trace: Trace, world: World): Record<"root" | "TLD" | "authoritative", number> {
  const level = new Map(world.servers.map((s) => [s.name, s.level]));
  const out = { root: 0, TLD: 0, authoritative: 0 };
  for (const [who, n] of trace.messageCounts()) {
    const l = level.get(who);
    if (l) out[l] += n;
  }
  return out;
}
