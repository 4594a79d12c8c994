/**
 * Starts real DNS servers (BIND, NSD, Knot, Unbound) on loopback for the interop
 * tests, each from a config written here into a temporary directory, each on a
 * port the test picks. Stopped by PID; lo aliases added here are removed again.
 */
import { spawn, ChildProcess, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES } from "../dns/fixtures";
import { run } from "../helpers";

export interface Peer {
  name: string;
  proc: ChildProcess;
  /** Its configuration and files: stopPeers removes it. */
  dir: string;
}

/** Adds 127.0.0.x/32 on lo when missing (BIND only binds configured addresses); returns an undo. */
export function ensureLoopbackAlias(address: string): () => void {
  const shown = execFileSync("ip", ["-4", "addr", "show", "dev", "lo"], { encoding: "utf8" });
  if (shown.includes(`inet ${address}/`)) return () => undefined;
  execFileSync("ip", ["addr", "add", `${address}/32`, "dev", "lo"]);
  return () => execFileSync("ip", ["addr", "del", `${address}/32`, "dev", "lo"]);
}

async function waitForAnswer(host: string, port: number, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await run("dig", [`@${host}`, "-p", String(port), "+norecurse", "+time=1", "+tries=1", name, "SOA"]).catch(() => "");
    if (out.includes("status: NOERROR")) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${host}:${port} never answered ${name} SOA`);
}

function start(name: string, cmd: string, args: string[], dir: string): Peer {
  const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], cwd: dir });
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  proc.once("exit", (code) => code && console.error(`${name} exited ${code}: ${err.slice(-500)}`));
  return { name, proc, dir };
}

/** Stops peers by their PIDs, waits for them to exit, and removes their folders (the benchmarks run outside the tests' TMPDIR). */
export async function stopPeers(peers: Peer[]): Promise<void> {
  await Promise.all(peers.map((p) => new Promise<void>((r) => {
    if (p.proc.exitCode !== null) return r();
    p.proc.once("exit", () => r());
    p.proc.kill("SIGTERM");
  })));
  for (const p of peers) rmSync(p.dir, { recursive: true, force: true });
}

/** A zone for a real server: its origin and its file. */
export interface PeerZone {
  origin: string;
  file: string;
}

const newDir = (what: string) => mkdtempSync(join(tmpdir(), `applayer-${what}-`));

/** BIND's named, authoritative only, serving `zones` on address:port with `threads` worker threads. */
export function startNamed(address: string, port: number, zones: PeerZone[], threads = 1): Peer {
  const dir = newDir("named");
  writeFileSync(join(dir, "named.conf"), `options {
  directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key";
  listen-on port ${port} { ${address}; }; listen-on-v6 { none; };
  recursion no; notify no; dnssec-validation no; minimal-responses no; querylog no;
};
controls { };
${zones.map((z) => `zone "${z.origin}" { type primary; file "${z.file}"; };`).join("\n")}
`);
  return start("named", "named", ["-g", "-u", "root", "-n", String(threads), "-c", join(dir, "named.conf")], dir);
}

/** NSD serving `zones` on address:port, with response-rate limiting off. */
export function startNsd(address: string, port: number, zones: PeerZone[], servers = 1): Peer {
  const dir = newDir("nsd");
  writeFileSync(join(dir, "nsd.conf"), `server:
  ip-address: ${address}@${port}
  do-ip6: no
  username: ""
  chroot: ""
  database: ""
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/nsd-xfrd.state"
  zonelistfile: "${dir}/nsd-zone.list"
  xfrdir: "${dir}"
  logfile: "${dir}/nsd.log"
  server-count: ${servers}
  rrl-ratelimit: 0
remote-control:
  control-enable: no
${zones.map((z) => `zone:\n  name: "${z.origin}"\n  zonefile: "${z.file}"`).join("\n")}
`);
  return start("nsd", "nsd", ["-d", "-c", join(dir, "nsd.conf")], dir);
}

/** Knot serving `zones` on address:port; UPDATE allowed from loopback, kept in memory only. */
export function startKnot(address: string, port: number, zones: PeerZone[]): Peer {
  const dir = newDir("knot");
  mkdirSync(join(dir, "db"));
  writeFileSync(join(dir, "knot.conf"), `server:
  rundir: "${dir}"
  user: root:root
  listen: ${address}@${port}
  pidfile: "${dir}/knot.pid"
  background-workers: 1
  udp-workers: 1
  tcp-workers: 1
control:
  listen: "${dir}/knot.sock"
database:
  storage: "${dir}/db"
acl:
  - id: loopback_update
    address: 127.0.0.0/8
    action: update
template:
  - id: default
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
${zones.map((z) => `  - domain: ${z.origin}\n    file: "${z.file}"\n    acl: loopback_update`).join("\n")}
`);
  return start("knotd", "knotd", ["-c", join(dir, "knot.conf")], dir);
}

/** Waits until a server answers `zone` SOA; stops the peers and throws if it never does. */
export async function ready(peers: Peer[], address: string, port: number, zone: string): Promise<void> {
  try {
    await waitForAnswer(address, port, zone);
  } catch (e) {
    await stopPeers(peers);
    throw e;
  }
}

/**
 * The shared recipe's hierarchy with real servers: BIND for the root on 127.0.0.2,
 * NSD for edu. on 127.0.0.3, Knot for umass.edu. on 127.0.0.4, all on `port`.
 * Zone files are the test fixtures.
 */
export async function startRealHierarchy(port: number): Promise<{ peers: Peer[]; stop: () => Promise<void> }> {
  const zone = (origin: string, file: string) => [{ origin, file: join(FIXTURES, file) }];
  const undo = ensureLoopbackAlias("127.0.0.2");
  const peers = [
    startNamed("127.0.0.2", port, zone(".", "root.zone")),
    startNsd("127.0.0.3", port, zone("edu.", "edu.zone")),
    startKnot("127.0.0.4", port, zone("umass.edu.", "umass.edu.zone")),
  ];
  try {
    await ready(peers, "127.0.0.2", port, ".");
    await ready(peers, "127.0.0.3", port, "edu.");
    await ready(peers, "127.0.0.4", port, "umass.edu.");
  } catch (e) {
    undo();
    throw e;
  }
  return { peers, stop: async () => { await stopPeers(peers); undo(); } };
}

/**
 * Unbound as a recursive resolver on `listen`, starting from a root hints file
 * (named.root format). Root hints cannot carry a port, so the hierarchy it walks
 * must listen on port 53.
 */
export async function startUnbound(listen: { host: string; port: number }, root: { hints: string; trustAnchor?: string; stub?: { zone: string; address: string; port: number } }): Promise<{ stop: () => Promise<void> }> {
  const dir = newDir("unbound");
  writeFileSync(join(dir, "unbound.conf"), `server:
  interface: ${listen.host}@${listen.port}
  outgoing-interface: ${listen.host}
  access-control: 127.0.0.0/8 allow
  do-ip6: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: ""
  do-not-query-localhost: no
  module-config: "${root.trustAnchor ? "validator iterator" : "iterator"}"${root.trustAnchor ? `\n  trust-anchor-file: "${root.trustAnchor}"\n  val-log-level: 2` : ""}
  qname-minimisation: no
  num-threads: 1
  root-hints: "${root.hints}"
  # Unbound answers 127.in-addr.arpa itself (RFC 6303 locally served zones); the world's reverse zone lives there.
  local-zone: "127.in-addr.arpa." nodefault${root.stub ? `\n  # RFC 6761's test. is served locally unless told otherwise.\n  local-zone: "test." nodefault\nstub-zone:\n  name: "${root.stub.zone}"\n  stub-addr: ${root.stub.address}@${root.stub.port}` : ""}
remote-control:
  control-enable: no
`);
  const peer = start("unbound", "unbound", ["-d", "-c", join(dir, "unbound.conf")], dir);
  for (let i = 0; i < 100; i++) {
    const out = await run("dig", [`@${listen.host}`, "-p", String(listen.port), "+time=1", "+tries=1", ".", "SOA"]).catch(() => "");
    if (out.includes("status:")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stop: () => stopPeers([peer]) };
}

/**
 * Signs a zone with BIND's own tools: dnssec-keygen makes an ECDSA P-256 KSK and
 * ZSK, dnssec-signzone signs (one record per line; NSEC3 without salt when asked). Returns the signed zone's text
 * and the KSK's .key file.
 */
export async function signWithBind(zoneText: string, origin: string, options: { nsec3?: boolean } = {}): Promise<{ signed: string; kskFile: string }> {
  const dir = newDir("bind-signed");
  await run("dnssec-keygen", ["-q", "-K", dir, "-a", "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE", origin]);
  await run("dnssec-keygen", ["-q", "-K", dir, "-a", "ECDSAP256SHA256", "-n", "ZONE", origin]);
  writeFileSync(join(dir, "zone"), zoneText);
  await run("dnssec-signzone", ["-q", "-S", "-K", dir, "-d", dir, "-O", "full", ...(options.nsec3 ? ["-3", "-"] : []), "-o", origin, "-f", join(dir, "signed"), join(dir, "zone")], "", { timeoutMs: 60_000 });
  const kskFile = readdirSync(dir).map((f) => join(dir, f)).find((f) => f.endsWith(".key") && readFileSync(f, "utf8").includes("DNSKEY 257"))!;
  return { signed: readFileSync(join(dir, "signed"), "utf8"), kskFile };
}

/** One finding of DNSViz's grok: where in its report, the code (RRSET_TTL_MISMATCH, NO_SEP…) and what it says. */
export interface DnsvizFinding {
  at: string;
  level: "error" | "warning";
  code: string;
  description: string;
}

/**
 * DNSViz's grok, run from Python with its pygraphviz version test turned off:
 * that test imports `pygraphviz.release`, which Debian 12's pygraphviz 1.7 no
 * longer has, so the test says "pygraphviz is required" and exits 2 whenever a
 * trust anchor is given. Grok itself never draws; only `dnsviz graph` needs pygraphviz.
 */
const GROK = 'import sys, logging; logging.basicConfig(level=logging.WARNING, format="%(message)s"); import dnsviz.commands.grok as g; g.test_pygraphviz = lambda: None; g.main(["grok", *sys.argv[1:]])';

/**
 * Probes authoritative servers with DNSViz (`probe -A`, each zone's servers
 * given with `-x zone:name=address:port`, so nothing leaves loopback), assesses
 * the probe with grok against `trustAnchor` (a file of DNSKEY records), and
 * returns every error and warning grok reports, anywhere in its report.
 */
export async function dnsviz(servers: Array<{ zone: string; name: string; address: string; port?: number }>, names: string[], trustAnchor: string): Promise<DnsvizFinding[]> {
  const dir = newDir("dnsviz");
  try {
    const zones = [...new Set(servers.map((s) => s.zone))];
    const server = (s: (typeof servers)[number]) => `${s.name}=${s.address}${s.port ? `:${s.port}` : ""}`;
    const x = zones.flatMap((z) => ["-x", `${z}:${servers.filter((s) => s.zone === z).map(server).join(",")}`]);
    await run("dnsviz", ["probe", "-A", ...x, "-o", join(dir, "probe.json"), ...names], "", { timeoutMs: 120_000 });
    const report = JSON.parse(await run("/usr/bin/python3", ["-c", GROK, "-t", trustAnchor, "-r", join(dir, "probe.json")], "", { timeoutMs: 120_000 }));
    const findings: DnsvizFinding[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
      if (!node || typeof node !== "object") return;
      for (const [k, v] of Object.entries(node)) {
        if ((k === "errors" || k === "warnings") && Array.isArray(v)) {
          for (const f of v as Array<{ code: string; description: string }>) findings.push({ at, level: k === "errors" ? "error" : "warning", code: f.code, description: f.description });
        } else walk(v, `${at}/${k}`);
      }
    };
    walk(report, "");
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
