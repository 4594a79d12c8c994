import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseAddress } from "../net/address";
import { serveDns } from "../dns/server";
import { parseZone } from "../dns/zone";
import { Command, serveUntilSignalled } from "./command";

/** The DNS lesson's commands. */
export const dnsCommands: Command[] = [
  {
    name: "dns-server",
    summary: "authoritative DNS server, UDP and TCP (try: dig @127.0.0.1 -p N NAME +norecurse)",
    usage: "--zone FILE [--zone FILE …] --listen H:N",
    options: { zone: { type: "string", multiple: true }, listen: { type: "string" } },
    async run(v) {
      const files = (v.zone as string[] | undefined) ?? [];
      if (!files.length) throw new Error("give at least one --zone FILE (an RFC 1035 master file)");
      // The zone's origin comes from the file's $ORIGIN, else from its name (umass.edu.zone → umass.edu.).
      const zones = files.map((f) => parseZone(readFileSync(f, "utf8"), { file: f, origin: `${basename(f).replace(/\.zone$/, "")}.` }));
      const where = parseAddress(String(v.listen ?? "127.0.0.1:5300"));
      const server = await serveDns({ zones, host: where.host, port: where.port });
      for (const z of zones) console.error(`serving ${z.origin || "."} (${z.records().length} records)`);
      return serveUntilSignalled([{ address: server.address, server }]);
    },
  },
];
