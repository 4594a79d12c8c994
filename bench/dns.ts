/**
 * `npm run bench:dns`: DNS figures, each against real peers in the same run, all
 * driven by dnsperf (never a timed test):
 *   1. the authoritative server's queries/s against BIND, NSD, dns2 (npm) and a
 *      bare Node UDP socket answering a canned reply (one Node thread's ceiling);
 *   2. the resolver's queries/s on cached names against Unbound;
 *   3. the load simulator's throughput;
 *   4. amplification factors;
 *   5. DNSSEC signing speed against BIND's dnssec-signzone on the same zone;
 *   6. validated queries/s on cached names against a validating Unbound.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { simulateLoad } from "../lib/src/dns/world/load";
import { syntheticWorld } from "../lib/src/dns/world/synthetic";
import { worldHintsText } from "../lib/src/dns/world/textbook";
import { Authority } from "../lib/src/dns/authoritative/authority";
import { respond } from "../lib/src/dns/authoritative/server";
import { DnsMessage, encodeMessage } from "../lib/src/dns/wire/codec";
import { amplificationOf, floodQuery } from "../lib/src/dns/attacks/amplification";
import { generateZoneKey } from "../lib/src/dns/dnssec/keys";
import { signZone } from "../lib/src/dns/dnssec/sign";
import { formatRecord } from "../lib/src/dns/wire/records";
import { parseZone } from "../lib/src/dns/wire/zone";
import { scratchDir } from "../lib/src/lab/scratch";
import { Peer, ready, startNamed, startNsd, startUnbound, stopPeers } from "../test/interop/dns-peers";

const ROOT = join(__dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ZONE = join(ROOT, "test", "fixtures", "dns", "umass.edu.zone");
const dir = scratchDir("applayer-bench-dns");

/** Ten questions, a mix like the shared recipe's: answers, a CNAME, MX, SOA, NS, TXT, NODATA and NXDOMAIN. */
const AUTH_QUERIES = ["gaia.cs.umass.edu A", "www.cs.umass.edu A", "mail.umass.edu A", "www.umass.edu A", "cs.umass.edu MX",
  "umass.edu SOA", "umass.edu NS", "gaia.cs.umass.edu TXT", "gaia.cs.umass.edu AAAA", "nosuch.umass.edu A"];
const WORLD_QUERIES = ["gaia.cs.umass.edu A", "www.ibm.com A", "www.amazon.com A", "cs.umass.edu MX", "engineering.nyu.edu A",
  "mail.umass.edu A", "www.wikipedia.org A", "umass.edu MX", "mail.nyu.edu A", "www.cs.umass.edu A"];

function node(args: string[]): ChildProcess {
  return spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
}
function listening(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d) => {
      out += d;
      if (/listening on/.test(out)) resolve();
    });
    proc.once("exit", (c) => reject(new Error(`exited ${c} before listening`)));
  });
}
const stop = (proc: ChildProcess) => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once("exit", () => r()), proc.kill("SIGTERM"))));

/** Runs dnsperf for SECONDS against host:port with a query file; returns queries/s, lost share and mean latency. */
function dnsperf(host: string, port: number, queries: string[]): Promise<{ qps: number; lost: number; latencyMs: number }> {
  const file = join(dir, `q-${port}.txt`);
  writeFileSync(file, queries.join("\n") + "\n");
  return new Promise((resolve, reject) => {
    execFile("dnsperf", ["-s", host, "-p", String(port), "-d", file, "-l", String(SECONDS), "-c", "2", "-T", "1", "-q", "100"], (err, out) => {
      if (err) return reject(err);
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
      resolve({ qps: num(/Queries per second:\s+([\d.]+)/), lost: num(/Queries lost:\s+\d+ \(([\d.]+)%\)/), latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000 });
    });
  });
}
const warm = (host: string, port: number, queries: string[]) =>
  Promise.all(queries.map((q) => new Promise((r) => execFile("dig", [`@${host}`, "-p", String(port), ...q.split(" ")], r))));

function row(name: string, r: { qps: number; lost: number; latencyMs: number }, base?: number) {
  const ratio = base ? `${(r.qps / base).toFixed(2)}×` : "";
  console.log(`   ${name.padEnd(34)} ${Math.round(r.qps).toLocaleString("en-US").padStart(9)} q/s   lost ${r.lost.toFixed(2)}%   ${r.latencyMs.toFixed(2)} ms   ${ratio}`);
}

async function authoritative(): Promise<void> {
  console.log(`\n1. Authoritative: umass.edu zone, dnsperf ${SECONDS} s each, 2 clients, 100 outstanding, 10 query types (single worker each)`);
  const results: Array<[string, Awaited<ReturnType<typeof dnsperf>>]> = [];
  const ours = node([join(ROOT, "lib", "dist", "cli", "main.js"), "dns-server", "--zone", ZONE, "--listen", "127.0.0.1:5501"]);
  await listening(ours);
  results.push(["applayer dns-server (node, 1 thread)", await dnsperf("127.0.0.1", 5501, AUTH_QUERIES)]);
  await stop(ours);
  const dns2 = node(["--import", "tsx", join(ROOT, "bench", "dns2-server.ts"), ZONE, "umass.edu.", "5502"]);
  await listening(dns2);
  results.push(["dns2 3.0 (npm, node)", await dnsperf("127.0.0.1", 5502, AUTH_QUERIES)]);
  await stop(dns2);
  for (const [name, peer] of [["BIND 9.18 (named -n 1)", () => startNamed("127.0.0.1", 5503, [{ origin: "umass.edu.", file: ZONE }])], ["NSD 4.6 (server-count 1)", () => startNsd("127.0.0.1", 5503, [{ origin: "umass.edu.", file: ZONE }])]] as const) {
    const p: Peer = peer();
    await ready([p], "127.0.0.1", 5503, "umass.edu.");
    results.push([name, await dnsperf("127.0.0.1", 5503, AUTH_QUERIES)]);
    await stopPeers([p]);
  }
  // The ceiling for one Node thread: a bare socket answering every query with one canned reply (our reply to the first question).
  const canned = respond(new Authority([parseZone(readFileSync(ZONE, "utf8"), { origin: "umass.edu." })]), encodeMessage({ id: 0, type: "query", flags: 0, questions: [{ name: "gaia.cs.umass.edu", type: "A", class: "IN" }] } as DnsMessage), "udp").reply!;
  const bare = node(["--import", "tsx", join(ROOT, "bench", "udp-ceiling.ts"), canned.toString("hex"), "5504"]);
  await listening(bare);
  results.push(["bare node UDP, canned reply (ceiling)", await dnsperf("127.0.0.1", 5504, AUTH_QUERIES)]);
  await stop(bare);
  const dns2qps = results[1][1].qps;
  for (const [name, r] of results) row(name, r, dns2qps);
  const [mine, , bind, , ceiling] = results.map(([, r]) => r.qps);
  console.log(`   applayer = ${(mine / dns2qps).toFixed(1)}× dns2, ${(mine / bind).toFixed(2)}× BIND, ${(mine / ceiling).toFixed(2)}× the bare Node ceiling (bar: ≥ 0.8× BIND, ≥ 0.8× the ceiling)`);
}

/**
 * The world's local DNS server against Unbound on the same cached names, both
 * plain or both validating from the world's trust anchor.
 */
async function compareResolvers(validating: boolean): Promise<void> {
  const anchor = join(dir, "root.key");
  const world = node([join(ROOT, "lib", "dist", "cli", "main.js"), "dns-world", "--port", "53", ...(validating ? ["--dnssec", "--trust-anchor-out", anchor] : [])]);
  await listening(world);
  const hints = join(dir, "world.hints");
  writeFileSync(hints, worldHintsText());
  const unbound = await startUnbound({ host: "127.53.0.99", port: 53 }, { hints, trustAnchor: validating ? anchor : undefined });
  const queries = validating ? WORLD_QUERIES.filter((q) => !q.startsWith("www.ibm.com")) : WORLD_QUERIES; // signed, ibm.com is bogus: SERVFAIL
  await warm("127.53.0.53", 53, queries);
  await warm("127.53.0.99", 53, queries);
  const ours = await dnsperf("127.53.0.53", 53, queries);
  const theirs = await dnsperf("127.53.0.99", 53, queries);
  row(`Unbound 1.17${validating ? ", validating" : ""} (1 thread)`, theirs);
  row(`applayer local DNS server${validating ? ", validating" : ""}`, ours, theirs.qps);
  await unbound.stop();
  await stop(world);
}

async function resolver(): Promise<void> {
  console.log(`\n2. Resolver on cached names: the DNS world on port 53, dnsperf ${SECONDS} s each`);
  await compareResolvers(false);
}

/** Validated answers from cache: the signed world's local DNS server against Unbound validating from the same anchor. */
async function validated(): Promise<void> {
  console.log(`\n6. Validating resolvers on cached names: the signed DNS world on port 53, dnsperf ${SECONDS} s each (secure and insecure names)`);
  await compareResolvers(true);
}

function simulator(): void {
  console.log("\n3. Load simulator: 1,000,000 client queries, 10 caching local servers, 1,005-server hierarchy");
  const world = syntheticWorld();
  const r = simulateLoad(world, { queries: 1_000_000 });
  console.log(`   ${r.wallMs} ms wall → ${Math.round(1_000_000 / (r.wallMs / 1000)).toLocaleString("en-US")} client queries/s simulated (root ${r.byLevel.root}, TLD ${r.byLevel.TLD}, authoritative ${r.byLevel.authoritative})`);
}

/** Amplification factors of the lib's server, from really encoded queries and replies. */
function amplification(): void {
  console.log("\n4. Amplification: UDP reply bytes over query bytes (EDNS 4096; DO where marked), a signed zone");
  const zone = `$ORIGIN example.test.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\n@ MX 10 mail\nns A 127.0.0.9\nmail A 127.0.0.11\nwww A 127.0.0.10\ntxt TXT "${"x".repeat(200)}" "${"y".repeat(200)}"\n`;
  for (const algorithm of [13, 8] as const) {
    const records = signZone(parseZone(zone).records(), { origin: "example.test.", ksk: generateZoneKey(algorithm, { ksk: true }), zsk: generateZoneKey(algorithm) });
    const authority = new Authority([parseZone(records.map(formatRecord).join("\n"))]);
    const cases: Array<[string, string, boolean]> = [["www.example.test", "A", false], ["txt.example.test", "TXT", false], ["example.test", "ANY", false], ["example.test", "DNSKEY", true], ["www.example.test", "A", true]];
    for (const [name, type, dnssec] of cases) {
      const a = amplificationOf(authority, floodQuery(name, type, { dnssec }));
      console.log(`   ${algorithm === 13 ? "ECDSA" : "RSA  "} ${`${a.question}${dnssec ? " +DO" : ""}`.padEnd(28)} ${String(a.queryBytes).padStart(4)} → ${String(a.replyBytes).padStart(5)} bytes  ×${a.factor}`);
    }
  }
}

/** Runs a command to its end; resolves with its wall time in ms. */
function timed(cmd: string, args: string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => execFile(cmd, args, { maxBuffer: 1 << 26 }, (e) => (e ? reject(e) : resolve(performance.now() - start))));
}

/** Signing a 10,000-host zone (ECDSA P-256, NSEC): the lib, in process and as a command, against dnssec-signzone. */
async function signing(): Promise<void> {
  const hosts = 10_000;
  console.log(`\n5. DNSSEC signing: a zone of ${hosts.toLocaleString("en-US")} hosts (A and TXT each), ECDSA P-256 KSK + ZSK, NSEC`);
  const text = [`$ORIGIN bench.test.`, `$TTL 3600`, `@ SOA ns hostmaster 1 7200 3600 604800 300`, `@ NS ns`, `ns A 10.0.0.1`,
    ...Array.from({ length: hosts }, (_, i) => `h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\nh${i} TXT "host ${i}"`)].join("\n") + "\n";
  const zoneFile = join(dir, "bench.test.zone");
  writeFileSync(zoneFile, text);
  const records = parseZone(text).records();
  const start = performance.now();
  const signed = signZone(records, { origin: "bench.test.", ksk: generateZoneKey(13, { ksk: true }), zsk: generateZoneKey(13) });
  const ms = performance.now() - start;
  const rrsets = signed.filter((r) => r.type === "RRSIG").length;
  const perSecond = (n: number, t: number) => Math.round(n / (t / 1000)).toLocaleString("en-US");
  await timed("dnssec-keygen", ["-q", "-K", dir, "-a", "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE", "bench.test."]);
  await timed("dnssec-keygen", ["-q", "-K", dir, "-a", "ECDSAP256SHA256", "-n", "ZONE", "bench.test."]);
  const bind1 = await timed("dnssec-signzone", ["-q", "-S", "-K", dir, "-d", dir, "-n", "1", "-o", "bench.test.", "-f", join(dir, "bind.signed"), zoneFile]);
  const bindAll = await timed("dnssec-signzone", ["-q", "-S", "-K", dir, "-d", dir, "-o", "bench.test.", "-f", join(dir, "bind.signed"), zoneFile]);
  const cli = await timed(process.execPath, [join(ROOT, "lib", "dist", "cli", "main.js"), "dnssec", "sign", zoneFile, "--origin", "bench.test.", "-o", join(dir, "ours.signed")]);
  console.log(`   ${"applayer signZone (in process)".padEnd(36)} ${ms.toFixed(0).padStart(6)} ms   ${perSecond(rrsets, ms).padStart(8)} RRsets/s`);
  console.log(`   ${"applayer dnssec sign (command)".padEnd(36)} ${cli.toFixed(0).padStart(6)} ms   ${perSecond(rrsets, cli).padStart(8)} RRsets/s`);
  console.log(`   ${"dnssec-signzone -n 1 (BIND 9.18)".padEnd(36)} ${bind1.toFixed(0).padStart(6)} ms   ${perSecond(rrsets, bind1).padStart(8)} RRsets/s`);
  console.log(`   ${"dnssec-signzone (all cores)".padEnd(36)} ${bindAll.toFixed(0).padStart(6)} ms   ${perSecond(rrsets, bindAll).padStart(8)} RRsets/s`);
  console.log(`   the command = ${(bind1 / cli).toFixed(2)}× dnssec-signzone -n 1's speed (${rrsets.toLocaleString("en-US")} RRsets signed each)`);
}

/** The sections, by number: `node --import tsx bench/dns.ts 5 6` runs only those. */
const SECTIONS: Array<() => void | Promise<void>> = [authoritative, resolver, simulator, amplification, signing, validated];

async function main(): Promise<void> {
  console.log(`applayer DNS benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  const only = process.argv.slice(2).map(Number).filter((n) => n >= 1 && n <= SECTIONS.length);
  for (const [i, section] of SECTIONS.entries()) if (!only.length || only.includes(i + 1)) await section();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
