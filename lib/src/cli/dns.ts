import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { formatAddress, parseAddress } from "../net/address";
import { serveDns } from "../dns/authoritative/server";
import { parseRecords, parseZone } from "../dns/wire/zone";
import { Resolver, serveResolver } from "../dns/resolver/resolver";
import { exchange } from "../dns/transport/client";
import { formatMessage, formatRecord } from "../dns/wire/records";
import { describeWorld, startWorld, worldHintsText } from "../dns/world/textbook";
import { Command, intOption, portOption, serveUntilSignalled } from "./command";
import { AppLayerError } from "../errors";
import { DNSSEC_ALGORITHMS, DnssecAlgorithm, dsFromDnskey } from "../dns/dnssec/keys";
import { zoneKeys } from "../dns/dnssec/keyfiles";
import { signZone } from "../dns/dnssec/sign";
import { DnsRecord, rcodeOf } from "../dns/wire/codec";
import { ChainValidator, EDE_CODES, Verdict, trustAnchorFrom } from "../dns/dnssec/chain";

/** A signature time: YYYYMMDDHHmmSS (UTC, as dnssec-signzone takes it) or +SECONDS from now. */
function signatureTime(v: unknown, flag: string, fallback: Date): Date {
  if (v === undefined) return fallback;
  const s = String(v);
  const rel = /^\+(\d+)$/.exec(s);
  if (rel) return new Date(Date.now() + Number(rel[1]) * 1000);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (m) return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  throw new AppLayerError("BAD_ARGUMENT", `--${flag} must be YYYYMMDDHHmmSS or +SECONDS, not "${s}"`);
}

const readHints = (file: unknown) => {
  if (typeof file !== "string") throw new Error("--root-hints FILE is required (named.root format: . NS …, and the roots' A records)");
  return parseRecords(readFileSync(file, "utf8"), { file });
};

/** DS or DNSKEY records in zone-file syntax, as Unbound's trust-anchor-file holds them (a $TTL is supplied). */
const readTrustAnchor = (file: unknown): DnsRecord[] | undefined => {
  if (file === undefined) return undefined;
  const text = readFileSync(String(file), "utf8");
  const records = parseRecords(/^\$TTL/m.test(text) ? text : `$TTL 3600\n${text}`, { file: String(file) });
  trustAnchorFrom(records); // refuses a file without a usable DS or DNSKEY, naming it
  return records;
};

/** Prints a validation verdict and the chain of trust it walked, one step per line. */
function printVerdict(v: Verdict): void {
  console.log(`\n;; DNSSEC: ${v.status}${v.status === "bogus" ? ` (${v.reason}, EDE ${EDE_CODES[v.reason]}): ${v.detail}` : v.status === "insecure" ? `: ${v.reason}` : ""}`);
  for (const s of v.chain) console.log(`;;   ${s.status.padEnd(8)} ${s.zone.padEnd(18)} ${s.what}${s.detail && s.status !== "secure" ? `  (${s.detail})` : ""}`);
}

/** The DNS lesson's commands. */
export const dnsCommands: Command[] = [
  {
    name: "dnssec",
    summary: "sign a zone file: DNSKEYs, RRSIGs and an NSEC (or NSEC3) chain (check it with dnssec-verify)",
    usage: "sign ZONE --origin O -o SIGNED [--algorithm 13|15|8] [--nsec3] [--keys DIR] [--ds-out FILE] [--inception T] [--expiration T]",
    positionals: true,
    options: {
      origin: { type: "string" }, output: { type: "string", short: "o" }, algorithm: { type: "string" }, keys: { type: "string" }, nsec3: { type: "boolean" },
      "ds-out": { type: "string" }, inception: { type: "string" }, expiration: { type: "string" },
    },
    async run(v, [action, file]) {
      if (action !== "sign" || !file) throw new AppLayerError("BAD_ARGUMENT", "dnssec sign ZONE --origin O -o SIGNED");
      if (typeof v.origin !== "string" || typeof v.output !== "string") throw new AppLayerError("BAD_ARGUMENT", "--origin and -o SIGNED are required");
      const algorithm = Number(v.algorithm ?? 13) as DnssecAlgorithm;
      if (!(algorithm in DNSSEC_ALGORITHMS)) throw new AppLayerError("BAD_ARGUMENT", `--algorithm must be one of ${Object.keys(DNSSEC_ALGORITHMS).join(", ")}, not ${String(v.algorithm)}`);
      const zone = parseZone(readFileSync(file, "utf8"), { file, origin: v.origin });
      const { ksk, zsk, made } = zoneKeys(v.keys as string | undefined, v.origin, algorithm);
      for (const m of made) console.error(`made key ${m}`);
      const inception = signatureTime(v.inception, "inception", new Date(Date.now() - 3_600_000));
      const expiration = signatureTime(v.expiration, "expiration", new Date(Date.now() + 30 * 86_400_000));
      const signed = signZone(zone.records(), { origin: v.origin, ksk, zsk, inception, expiration, nsec3: v.nsec3 ? {} : undefined });
      writeFileSync(v.output, `${signed.map(formatRecord).join("\n")}\n`);
      if (typeof v["ds-out"] === "string") {
        writeFileSync(v["ds-out"], `${formatRecord({ name: v.origin, type: "DS", ttl: 3600, class: "IN", data: dsFromDnskey(v.origin, ksk.dnskey) } as DnsRecord)}\n`);
      }
      console.log(`signed ${v.origin} with ${DNSSEC_ALGORITHMS[algorithm]}: ${signed.filter((r) => r.type === "RRSIG").length} signatures, ${signed.filter((r) => r.type === (v.nsec3 ? "NSEC3" : "NSEC")).length} ${v.nsec3 ? "NSEC3" : "NSEC"} records → ${v.output}`);
      return 0;
    },
  },
  {
    name: "dns-server",
    summary: "authoritative DNS server, UDP and TCP (try: dig @127.0.0.1 -p N NAME +norecurse)",
    usage: "--zone FILE [--zone FILE …] --listen H:N [--allow-update] [--rrl RESPONSES_PER_SECOND [--rrl-slip N]]",
    options: { zone: { type: "string", multiple: true }, listen: { type: "string" }, "allow-update": { type: "boolean" }, rrl: { type: "string" }, "rrl-slip": { type: "string" } },
    async run(v) {
      const files = (v.zone as string[] | undefined) ?? [];
      if (!files.length) throw new Error("give at least one --zone FILE (an RFC 1035 master file)");
      // The zone's origin comes from the file's $ORIGIN, else from its name (umass.edu.zone → umass.edu.).
      const zones = files.map((f) => parseZone(readFileSync(f, "utf8"), { file: f, origin: `${basename(f).replace(/\.zone$/, "")}.` }));
      const where = parseAddress(String(v.listen ?? "127.0.0.1:5300"));
      if (v["rrl-slip"] !== undefined && v.rrl === undefined) throw new AppLayerError("BAD_ARGUMENT", "--rrl-slip needs --rrl RESPONSES_PER_SECOND");
      const rrl = v.rrl === undefined ? undefined : { responsesPerSecond: intOption(v.rrl, "rrl"), slip: intOption(v["rrl-slip"], "rrl-slip", 2) };
      if (rrl && rrl.responsesPerSecond === 0) throw new AppLayerError("BAD_ARGUMENT", "--rrl must be at least 1 response per second");
      const server = await serveDns({ zones, host: where.host, port: where.port, allowUpdate: Boolean(v["allow-update"]), rrl });
      for (const z of zones) console.error(`serving ${z.origin || "."} (${z.records().length} records)`);
      return serveUntilSignalled([{ address: server.address, server }]);
    },
  },
  {
    name: "dns-resolver",
    summary: "local DNS server: recursive for loopback clients, iterative from the root hints, with a cache",
    usage: "--listen H:N --root-hints FILE [--upstream-port N] [--trust-anchor FILE] [--mixed-case]",
    options: { listen: { type: "string" }, "root-hints": { type: "string" }, "upstream-port": { type: "string" }, "trust-anchor": { type: "string" }, "mixed-case": { type: "boolean" } },
    async run(v) {
      const resolver = new Resolver({
        hints: readHints(v["root-hints"]), upstreamPort: portOption(v["upstream-port"], "upstream-port", 53),
        trustAnchor: readTrustAnchor(v["trust-anchor"]), mixedCase: Boolean(v["mixed-case"]),
      });
      const where = parseAddress(String(v.listen ?? "127.0.0.1:5353"));
      const server = await serveResolver({ resolver, host: where.host, port: where.port });
      return serveUntilSignalled([{ address: server.address, server }]);
    },
  },
  {
    name: "dns-world",
    summary: "the lesson's whole DNS hierarchy: 2 roots, com/edu/org, umass.edu, nyu.edu, amazon.com, ibm.com, … + a local DNS server",
    usage: "[--port N] [--hints-out FILE] [--dnssec --trust-anchor-out FILE]",
    options: { port: { type: "string" }, "hints-out": { type: "string" }, dnssec: { type: "boolean" }, "trust-anchor-out": { type: "string" } },
    async run(v) {
      if (v["trust-anchor-out"] !== undefined && !v.dnssec) throw new AppLayerError("BAD_ARGUMENT", "--trust-anchor-out needs --dnssec (an unsigned world has no trust anchor)");
      const world = await startWorld({ port: portOption(v.port, "port", 53), dnssec: Boolean(v.dnssec) });
      console.error(describeWorld(world));
      if (typeof v["hints-out"] === "string") {
        writeFileSync(v["hints-out"], worldHintsText());
        console.error(`root hints written to ${v["hints-out"]}`);
      }
      if (typeof v["trust-anchor-out"] === "string") {
        // Zone-file syntax, as Unbound's trust-anchor-file and BIND's tools read it.
        writeFileSync(v["trust-anchor-out"], `${formatRecord(world.trustAnchor!)}\n`);
        console.error(`the root's key (trust anchor) written to ${v["trust-anchor-out"]}; nyu.edu is insecure and ibm.com bogus, on purpose`);
      }
      console.error(`\ntry: dig @${world.resolver.address.host} -p ${world.port} www.ibm.com`);
      return serveUntilSignalled([{ name: "resolver", address: world.resolver.address, server: world }]);
    },
  },
  {
    name: "dig",
    summary: "a dig-like client: ask a server (recursive), or walk the hierarchy yourself (--iterative)",
    usage: "NAME [TYPE] [@H:N] [--norecurse] [--tcp] [--dnssec --trust-anchor FILE] | NAME [TYPE] --iterative --root-hints FILE [--upstream-port N] [--dnssec --trust-anchor FILE]",
    positionals: true,
    options: {
      iterative: { type: "boolean" }, "root-hints": { type: "string" }, "upstream-port": { type: "string" },
      norecurse: { type: "boolean" }, tcp: { type: "boolean" }, dnssec: { type: "boolean" }, "trust-anchor": { type: "string" },
    },
    async run(v, args) {
      const at = args.find((a) => a.startsWith("@"));
      const [name, type = "A"] = args.filter((a) => !a.startsWith("@"));
      if (!name) throw new Error("which name? e.g. applayer dig gaia.cs.umass.edu A @127.0.0.1:5353");
      if (v.dnssec && v["trust-anchor"] === undefined) throw new AppLayerError("BAD_ARGUMENT", "--dnssec needs --trust-anchor FILE (DS or DNSKEY records; dns-world --dnssec --trust-anchor-out writes one)");
      const trustAnchor = v.dnssec ? readTrustAnchor(v["trust-anchor"]) : undefined;
      if (v.iterative) {
        const resolver = new Resolver({ hints: readHints(v["root-hints"]), upstreamPort: portOption(v["upstream-port"], "upstream-port", 53), trustAnchor });
        const r = await resolver.resolve(name, type.toUpperCase());
        for (const h of r.hops) console.log(`${h.at.toFixed(1).padStart(7)} ms  ${h.serverName.padEnd(22)} ${h.server.padEnd(12)} ${h.question.padEnd(28)} → ${h.outcome}`);
        console.log(`\n;; status: ${r.rcode}, ${r.hops.length} queries, ${r.ms.toFixed(1)} ms`);
        for (const rr of [...r.answers, ...r.authorities]) console.log(formatRecord(rr));
        if (r.security) printVerdict(r.security);
        return r.rcode === "SERVFAIL" ? 1 : 0;
      }
      const server = parseAddress((at ?? "@127.0.0.1:53").slice(1));
      const ask = (n: string, t: string) => exchange(server, { name: n, type: t as never }, { recursionDesired: !v.norecurse, tcp: Boolean(v.tcp), edns: true, dnssec: Boolean(v.dnssec), checkingDisabled: Boolean(v.dnssec) });
      const ex = await ask(name, type.toUpperCase());
      console.log(formatMessage(ex.response));
      console.log(`\n;; SERVER: ${formatAddress(server)} (${ex.transport.toUpperCase()}${ex.retriedOverTcp ? ", after a truncated UDP reply" : ""})\n;; Query time: ${ex.rttMs.toFixed(1)} ms\n;; MSG SIZE  rcvd: ${ex.responseBytes.length}`);
      if (!trustAnchor) return 0;
      // Validate as delv does: ask the same server (with CD, so it hides nothing) for every DS and DNSKEY on the way.
      const result = (m: typeof ex.response) => ({ rcode: rcodeOf(m), answers: m.answers ?? [], authorities: m.authorities ?? [] });
      const soa = await ask(name, "SOA");
      const zone = [...(soa.response.answers ?? []), ...(soa.response.authorities ?? [])].find((r) => r.type === "SOA")?.name ?? ".";
      const chain = new ChainValidator(trustAnchorFrom(trustAnchor), async (n, t) => result((await ask(n, t)).response), () => zone);
      const verdict = await chain.validate(name, type.toUpperCase(), result(ex.response));
      printVerdict(verdict);
      return verdict.status === "bogus" ? 1 : 0;
    },
  },
];
