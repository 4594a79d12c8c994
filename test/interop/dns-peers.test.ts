/**
 * Interop with real DNS servers: the lib's resolver resolves through BIND (root),
 * NSD (edu.) and Knot (umass.edu.); and the lib's authoritative server, given the
 * same zone files, answers what BIND and Knot answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as net from "node:net";
import { Resolver } from "../../lib/src/dns/resolver/resolver";
import { serveDns, DnsServer } from "../../lib/src/dns/authoritative/server";
import { parseRecords } from "../../lib/src/dns/wire/zone";
import { exchange } from "../../lib/src/dns/transport/client";
import { rcodeOf, DnsMessage, FLAGS } from "../../lib/src/dns/wire/codec";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { FIXTURES, fixtureZone } from "../dns/fixtures";
import { startRealHierarchy } from "./dns-peers";

let port = 0;
let stopReal: () => Promise<void>;
let ours: DnsServer[] = [];

beforeAll(async () => {
  // A free port on 127.0.0.1 may be taken on 127.0.0.2–4 by the time the daemons bind it
  // (parallel tests' sockets): try again on another port rather than fail the file.
  for (let attempt = 1; ; attempt++) {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    try {
      stopReal = (await startRealHierarchy(port)).stop;
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      console.warn(`real DNS hierarchy on port ${port} did not come up (${(e as Error).message}); retrying`);
    }
  }
  // Ours: the same zones, on 127.0.0.1 with three ports in a row.
  ours = [await serveDns({ zones: [fixtureZone("root.zone")] }), await serveDns({ zones: [fixtureZone("umass.edu.zone")] })];
}, 120_000);
afterAll(async () => {
  await Promise.all(ours.map((s) => s.close()));
  await stopReal?.();
});

const values = (rrs: DnsMessage["answers"]) => (rrs ?? []).map((r) => { const t = rrTuple(r); return `${t.name} ${t.type} ${t.value}`; }).sort();

describe("the lib's resolver through BIND → NSD → Knot", () => {
  const hints = () => parseRecords(readFileSync(join(FIXTURES, "root.hints"), "utf8"));
  it("resolves gaia.cs.umass.edu in three hops, then from cache", async () => {
    const resolver = new Resolver({ hints: hints(), upstreamPort: port });
    const r = await resolver.resolve("gaia.cs.umass.edu", "A");
    expect(values(r.answers)).toEqual(["gaia.cs.umass.edu. A 127.0.1.12"]);
    expect(r.hops.map((h) => h.server)).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    expect((await resolver.resolve("gaia.cs.umass.edu", "A")).hops).toEqual([]);
  });
  it("follows Knot's CNAME, reads its MX set, and gets its NXDOMAIN", async () => {
    const resolver = new Resolver({ hints: hints(), upstreamPort: port });
    expect(values((await resolver.resolve("www.cs.umass.edu", "A")).answers)).toEqual(["gaia.cs.umass.edu. A 127.0.1.12", "www.cs.umass.edu. CNAME gaia.cs.umass.edu."]);
    expect(values((await resolver.resolve("cs.umass.edu", "MX")).answers)).toEqual(["cs.umass.edu. MX 10 mail.cs.umass.edu.", "cs.umass.edu. MX 20 mail.umass.edu."]);
    const nx = await resolver.resolve("nosuch.cs.umass.edu", "A");
    expect(nx.rcode).toBe("NXDOMAIN");
    expect(nx.authorities.map((r) => r.type)).toEqual(["SOA"]);
  });
});

describe("the lib's authoritative server answers what the real servers answer", () => {
  const ask = async (server: { host: string; port: number }, name: string, type: string) => {
    const m = (await exchange(server, { name, type: type as never })).response;
    const aa = Boolean((m.flags ?? 0) & FLAGS.AA);
    // The NS set in the authority section matters in a referral. In a positive answer it is optional:
    // BIND (minimal-responses no) adds it, Knot and the lib leave it out (RFC 1034 §4.3.2 allows both).
    const ns = aa ? "optional" : values((m.authorities ?? []).filter((r) => r.type === "NS"));
    return { rcode: rcodeOf(m), aa, answers: values(m.answers), ns, soa: (m.authorities ?? []).some((r) => r.type === "SOA") };
  };
  it.each([
    ["gaia.cs.umass.edu", "A"],
    ["gaia.cs.umass.edu", "TXT"],
    ["www.cs.umass.edu", "A"],
    ["cs.umass.edu", "MX"],
    ["umass.edu", "SOA"],
    ["nosuch.umass.edu", "A"],
    ["gaia.cs.umass.edu", "MX"],
    ["cs.umass.edu", "A"],
  ])("Knot and the lib agree on %s %s", async (name, type) => {
    expect(await ask(ours[1].address, name, type)).toEqual(await ask({ host: "127.0.0.4", port }, name, type));
  });
  it.each([
    ["gaia.cs.umass.edu", "A"],
    ["edu", "NS"],
    ["nosuch.example", "A"],
    ["a.root-servers.net", "A"],
    [".", "NS"], // a resolver's priming query
    [".", "SOA"],
  ])("BIND and the lib agree on %s %s at the root", async (name, type) => {
    expect(await ask(ours[0].address, name, type)).toEqual(await ask({ host: "127.0.0.2", port }, name, type));
  });
});
