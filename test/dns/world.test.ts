import { describe, expect, it } from "vitest";
import { SimNetwork } from "../../lib/src/sim/network";
import { linkWorld, startWorld, traceWorld, worldSpec, WORLD_RESOLVER_ADDRESS } from "../../lib/src/dns/world/textbook";
import { exchange, lookup } from "../../lib/src/dns/transport/client";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { rcodeOf } from "../../lib/src/dns/wire/codec";

describe("the DNS world", () => {
  it("has zones that all parse, two roots, and the com, edu and org TLDs", () => {
    const spec = worldSpec();
    for (const s of spec) expect(() => parseZone(s.zoneText, { file: s.zone })).not.toThrow();
    expect(spec.filter((s) => s.level === "root").length).toBe(2);
    expect(spec.filter((s) => s.level === "TLD").map((s) => s.zone)).toEqual(["com.", "edu.", "org."]);
    expect(new Set(spec.map((s) => s.address)).size).toBe(spec.length - 0); // one address per server
  });

  it("answers the textbook's services through its local DNS server (in the simulator)", async () => {
    const sim = new SimNetwork({ seed: 2, link: { latencyMs: 5 } });
    const world = await startWorld({ network: sim, port: 53 });
    const ask = async (name: string, type = "A") => {
      const ex = await sim.runUntil(exchange({ host: WORLD_RESOLVER_ADDRESS, port: 53 }, { name, type: type as never }, { network: sim, recursionDesired: true }));
      return { rcode: rcodeOf(ex.response), answers: (ex.response.answers ?? []).map((r) => `${rrTuple(r).type} ${rrTuple(r).value}`) };
    };
    expect((await ask("gaia.cs.umass.edu")).answers).toEqual(["A 127.53.10.12"]);
    expect((await ask("www.ibm.com")).answers).toEqual(["CNAME servereast.backup2.ibm.com.", "A 127.53.10.90"]); // aliasing
    expect((await ask("umass.edu", "MX")).answers).toEqual(["MX 10 mail.umass.edu."]); // mail-server aliasing
    expect((await ask("www.amazon.com")).answers.length).toBe(4); // load distribution
    expect((await ask("12.10.53.127.in-addr.arpa", "PTR")).answers).toEqual(["PTR gaia.cs.umass.edu."]); // reverse lookup
    expect((await ask("no.such.org")).rcode).toBe("NXDOMAIN");
    // Not an open resolver: a client outside the campus is refused.
    const outsider = await sim.runUntil(exchange({ host: WORLD_RESOLVER_ADDRESS, port: 53 }, { name: "gaia.cs.umass.edu", type: "A" }, { network: sim, recursionDesired: true, source: { host: "192.0.2.1" } }));
    expect(rcodeOf(outsider.response)).toBe("REFUSED");
    const load = world.load();
    expect(load.find((l) => l.server === "dns.cs.umass.edu")!.queries).toBeGreaterThan(0);
    expect(load.filter((l) => l.level === "root").reduce((n, l) => n + l.queries, 0)).toBeGreaterThan(0);
    await world.close();
  });

  it("rotates amazon's four addresses between resolutions once the TTL lets them expire", async () => {
    const sim = new SimNetwork({ seed: 3 });
    const world = await startWorld({ network: sim, port: 53 });
    const first = async () => (await sim.runUntil(world.resolver.resolver.resolve("www.amazon.com", "A"))).answers.map((r) => rrTuple(r).value)[0];
    const a = await first();
    sim.clock.setTimer(() => undefined, 61_000); // amazon.com's TTL is 60 s
    await sim.run();
    expect(await first()).not.toBe(a);
    await world.close();
  });
});

describe("iterated vs recursive resolution in the world", () => {
  const run = async (mode: "iterative" | "recursive") => {
    const sim = new SimNetwork({ seed: 1 });
    const world = await startWorld({ network: sim, port: 53, mode });
    linkWorld(sim, world, { hostToLocal: 1, localToServers: 40, betweenServers: 10 });
    const trace = traceWorld(sim, world);
    const ex = await sim.runUntil(exchange({ host: WORLD_RESOLVER_ADDRESS, port: 53 }, { name: "gaia.cs.umass.edu", type: "A" }, { network: sim, recursionDesired: true }));
    return { ex, trace };
  };
  it("iterated: the local server asks root, TLD and both authoritative servers itself", async () => {
    const { ex, trace } = await run("iterative");
    expect(rrTuple(ex.response.answers![0]).value).toBe("127.53.10.12");
    expect(trace.entries.map((e) => `${e.from} → ${e.to}`)).toEqual([
      "host 10.0.0.1 → local DNS server",
      ...["a.root-servers.net", "dns.edu", "dns.umass.edu", "dns.cs.umass.edu"].flatMap((s) => [`local DNS server → ${s}`, `${s} → local DNS server`]),
      "local DNS server → host 10.0.0.1",
    ]);
    expect(ex.rttMs).toBe(2 * 1 + 4 * 2 * 40); // one round trip to the local server, four far ones
  });
  it("recursive: each server asks the next, and the answer comes back along the chain", async () => {
    const { ex, trace } = await run("recursive");
    expect(rrTuple(ex.response.answers![0]).value).toBe("127.53.10.12");
    const chain = ["local DNS server", "a.root-servers.net", "dns.edu", "dns.umass.edu", "dns.cs.umass.edu"];
    const down = chain.slice(0, -1).map((s, i) => `${s} → ${chain[i + 1]}`);
    const back = [...chain].reverse();
    const up = back.slice(0, -1).map((s, i) => `${s} → ${back[i + 1]}`);
    expect(trace.entries.map((e) => `${e.from} → ${e.to}`)).toEqual(["host 10.0.0.1 → local DNS server", ...down, ...up, "local DNS server → host 10.0.0.1"]);
    expect(trace.messageCounts().get("a.root-servers.net")).toBe(4); // twice the root's work in iterated mode
    expect(ex.rttMs).toBe(2 * 1 + 2 * 40 + 3 * 2 * 10);
  });
});

describe("two worlds on port 0 (two students at once)", () => {
  it("start over on another port when one of the world's addresses already holds the first server's port", async () => {
    const sim = new SimNetwork({ seed: 1 });
    // The simulator hands out ports in order from 32768: hold 32768 on umass.edu's address, as another world would.
    const squatter = sim.bindUdp({ host: "127.53.2.1", port: 32768 });
    const world = await startWorld({ network: sim, port: 0 });
    expect(world.port).not.toBe(32768);
    expect(world.servers.every((s) => s.server.address.port === world.port)).toBe(true);
    expect((await sim.runUntil(lookup("gaia.cs.umass.edu", "A", { server: world.resolver.address, network: sim }))).records.at(-1)?.value).toBe("127.53.10.12");
    await squatter.close();
    await world.close();
  });
  it("a fixed port that is taken is an error, not a silent move", async () => {
    const sim = new SimNetwork({ seed: 1 });
    sim.bindUdp({ host: "127.53.2.1", port: 5300 });
    await expect(startWorld({ network: sim, port: 5300 })).rejects.toThrow(/already bound/);
  });
});
