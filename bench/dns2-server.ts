/**
 * The dns2 (npm) baseline for bench/dns.ts: dns2 decodes and encodes every
 * message; the answers come from the same zone file the other servers serve.
 * Usage: node --import tsx bench/dns2-server.ts ZONEFILE ORIGIN PORT
 */
import { readFileSync } from "node:fs";
import { parseZone } from "../lib/src/dns/wire/zone";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dns2 = require("dns2");
const { Packet } = dns2;
const [file, origin, port] = process.argv.slice(2);
const zone = parseZone(readFileSync(file, "utf8"), { origin });

/** A zone record in dns2's shape. */
function toDns2(r: { name: string; type: string; ttl?: number; data: unknown }) {
  const base = { name: r.name, type: Packet.TYPE[r.type], class: Packet.CLASS.IN, ttl: r.ttl ?? 0 };
  const d = r.data as Record<string, unknown> & string;
  switch (r.type) {
    case "A": return { ...base, address: d };
    case "CNAME": return { ...base, domain: d };
    case "NS": return { ...base, ns: d };
    case "MX": return { ...base, exchange: d.exchange, priority: d.preference };
    case "TXT": return { ...base, data: (d as unknown as string[]).join("") };
    case "SOA": return { ...base, primary: d.mname, admin: d.rname, serial: d.serial, refresh: d.refresh, retry: d.retry, expiration: d.expire, minimum: d.minimum };
    default: return undefined;
  }
}

const server = dns2.createServer({
  udp: true,
  handle: (request: { questions: Array<{ name: string; type: number }> }, send: (r: unknown) => void) => {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    const type = Object.keys(Packet.TYPE).find((k) => Packet.TYPE[k] === q.type);
    const records = zone.at(q.name).filter((r) => r.type === type || r.type === "CNAME");
    response.header.aa = 1;
    if (!zone.exists(q.name)) response.header.rcode = 3;
    for (const r of records) {
      const rr = toDns2(r as never);
      if (rr) response.answers.push(rr);
    }
    send(response);
  },
});
server.on("listening", () => console.log(`listening on 127.0.0.1:${port}`));
server.listen({ udp: { port: Number(port), address: "127.0.0.1" } });
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
