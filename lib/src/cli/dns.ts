import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { formatAddress, parseAddress } from "../net/address";
import { serveDns } from "../dns/server";
import { parseRecords, parseZone } from "../dns/zone";
import { Resolver, serveResolver } from "../dns/resolver";
import { exchange } from "../dns/client";
import { formatMessage, formatRecord } from "../dns/records";
import { describeWorld, startWorld, worldHintsText } from "../dns/world";
import { writeFileSync } from "node:fs";
import { Command, portOption, serveUntilSignalled } from "./command";

const readHints = (file: unknown) => {
  if (typeof file !== "string") throw new Error("--root-hints FILE is required (named.root format: . NS …, and the roots' A records)");
  return parseRecords(readFileSync(file, "utf8"), { file });
};

/** The DNS lesson's commands. */
export const dnsCommands: Command[] = [
  {
    name: "dns-server",
    summary: "authoritative DNS server, UDP and TCP (try: dig @127.0.0.1 -p N NAME +norecurse)",
    usage: "--zone FILE [--zone FILE …] --listen H:N [--allow-update]",
    options: { zone: { type: "string", multiple: true }, listen: { type: "string" }, "allow-update": { type: "boolean" } },
    async run(v) {
      const files = (v.zone as string[] | undefined) ?? [];
      if (!files.length) throw new Error("give at least one --zone FILE (an RFC 1035 master file)");
      // The zone's origin comes from the file's $ORIGIN, else from its name (umass.edu.zone → umass.edu.).
      const zones = files.map((f) => parseZone(readFileSync(f, "utf8"), { file: f, origin: `${basename(f).replace(/\.zone$/, "")}.` }));
      const where = parseAddress(String(v.listen ?? "127.0.0.1:5300"));
      const server = await serveDns({ zones, host: where.host, port: where.port, allowUpdate: Boolean(v["allow-update"]) });
      for (const z of zones) console.error(`serving ${z.origin || "."} (${z.records().length} records)`);
      return serveUntilSignalled([{ address: server.address, server }]);
    },
  },
  {
    name: "dns-resolver",
    summary: "local DNS server: recursive for loopback clients, iterative from the root hints, with a cache",
    usage: "--listen H:N --root-hints FILE [--upstream-port N]",
    options: { listen: { type: "string" }, "root-hints": { type: "string" }, "upstream-port": { type: "string" } },
    async run(v) {
      const resolver = new Resolver({ hints: readHints(v["root-hints"]), upstreamPort: portOption(v["upstream-port"], "upstream-port", 53) });
      const where = parseAddress(String(v.listen ?? "127.0.0.1:5353"));
      const server = await serveResolver({ resolver, host: where.host, port: where.port });
      return serveUntilSignalled([{ address: server.address, server }]);
    },
  },
  {
    name: "dns-world",
    summary: "the lesson's whole DNS hierarchy: 2 roots, com/edu/org, umass.edu, nyu.edu, amazon.com, ibm.com, … + a local DNS server",
    usage: "[--port N] [--hints-out FILE]",
    options: { port: { type: "string" }, "hints-out": { type: "string" } },
    async run(v) {
      const world = await startWorld({ port: portOption(v.port, "port", 53) });
      console.error(describeWorld(world));
      if (typeof v["hints-out"] === "string") {
        writeFileSync(v["hints-out"], worldHintsText());
        console.error(`root hints written to ${v["hints-out"]}`);
      }
      console.error(`\ntry: dig @${world.resolver.address.host} -p ${world.port} www.ibm.com`);
      return serveUntilSignalled([{ name: "resolver", address: world.resolver.address, server: world }]);
    },
  },
  {
    name: "dig",
    summary: "a dig-like client: ask a server (recursive), or walk the hierarchy yourself (--iterative)",
    usage: "NAME [TYPE] [@H:N] [--norecurse] [--tcp] | NAME [TYPE] --iterative --root-hints FILE [--upstream-port N]",
    positionals: true,
    options: {
      iterative: { type: "boolean" }, "root-hints": { type: "string" }, "upstream-port": { type: "string" },
      norecurse: { type: "boolean" }, tcp: { type: "boolean" },
    },
    async run(v, args) {
      const at = args.find((a) => a.startsWith("@"));
      const [name, type = "A"] = args.filter((a) => !a.startsWith("@"));
      if (!name) throw new Error("which name? e.g. applayer dig gaia.cs.umass.edu A @127.0.0.1:5353");
      if (v.iterative) {
        const resolver = new Resolver({ hints: readHints(v["root-hints"]), upstreamPort: portOption(v["upstream-port"], "upstream-port", 53) });
        const r = await resolver.resolve(name, type.toUpperCase());
        for (const h of r.hops) console.log(`${h.at.toFixed(1).padStart(7)} ms  ${h.serverName.padEnd(22)} ${h.server.padEnd(12)} ${h.question.padEnd(28)} → ${h.outcome}`);
        console.log(`\n;; status: ${r.rcode}, ${r.hops.length} queries, ${r.ms.toFixed(1)} ms`);
        for (const rr of [...r.answers, ...r.authorities]) console.log(formatRecord(rr));
        return r.rcode === "SERVFAIL" ? 1 : 0;
      }
      const server = parseAddress((at ?? "@127.0.0.1:53").slice(1));
      const ex = await exchange(server, { name, type: type.toUpperCase() as never }, { recursionDesired: !v.norecurse, tcp: Boolean(v.tcp), edns: true });
      console.log(formatMessage(ex.response));
      console.log(`\n;; SERVER: ${formatAddress(server)} (${ex.transport.toUpperCase()}${ex.retriedOverTcp ? ", after a truncated UDP reply" : ""})\n;; Query time: ${ex.rttMs.toFixed(1)} ms\n;; MSG SIZE  rcvd: ${ex.responseBytes.length}`);
      return 0;
    },
  },
];
