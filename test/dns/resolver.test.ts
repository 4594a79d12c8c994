import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SimNetwork } from "../../lib/src/sim/network";
import { serveDns } from "../../lib/src/dns/authoritative/server";
import { parseRecords, parseZone, Zone } from "../../lib/src/dns/wire/zone";
import { Resolver } from "../../lib/src/dns/resolver/resolver";
import { forgeryCheck } from "../../lib/src/dns/transport/client";
import { DnsCache } from "../../lib/src/dns/resolver/cache";
import { decodeMessage, encodeMessage, FLAGS } from "../../lib/src/dns/wire/codec";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { VirtualClock } from "../../lib/src/sim/clock";
import { FIXTURES, fixtureZone } from "./fixtures";

const HINTS = parseRecords(readFileSync(join(FIXTURES, "root.hints"), "utf8"));
const SOA = "@ IN SOA ns h 1 3600 900 604800 60";
const zone = (origin: string, body: string) => parseZone(`$ORIGIN ${origin}\n$TTL 3600\n${SOA}\n${body}\n`);

/** The shared peers' hierarchy (root 127.0.0.2, edu 127.0.0.3, umass.edu 127.0.0.4) on a simulated network. */
async function world(extra: Array<[string, Zone[]]> = [], rootExtra = "", seed = 1) {
  const sim = new SimNetwork({ seed: 1, link: { latencyMs: 10 } });
  const root = rootExtra ? parseZone(readFileSync(join(FIXTURES, "root.zone"), "utf8") + rootExtra) : fixtureZone("root.zone");
  const servers = [
    ["127.0.0.2", [root]],
    ["127.0.0.3", [fixtureZone("edu.zone")]],
    ["127.0.0.4", [fixtureZone("umass.edu.zone")]],
    ...extra,
  ] as Array<[string, Zone[]]>;
  for (const [host, zones] of servers) await serveDns({ network: sim, host, port: 53, zones });
  const resolver = new Resolver({ hints: HINTS, network: sim, timeoutMs: 500, seed });
  const resolve = (name: string, type = "A") => sim.runUntil(resolver.resolve(name, type));
  return { sim, resolver, resolve };
}
const values = (rrs: Array<Parameters<typeof rrTuple>[0]>) => rrs.map((r) => `${rrTuple(r).type} ${rrTuple(r).value}`);

describe("Resolver on a simulated hierarchy", () => {
  it("walks root → edu → umass.edu, then answers the same question from its cache", async () => {
    const { resolve } = await world();
    const first = await resolve("gaia.cs.umass.edu");
    expect(first.rcode).toBe("NOERROR");
    expect(values(first.answers)).toEqual(["A 127.0.1.12"]);
    expect(first.hops.map((h) => [h.server, h.outcome])).toEqual([
      ["127.0.0.2", "referral to edu. (dns.edu)"],
      ["127.0.0.3", "referral to umass.edu. (dns.umass.edu)"],
      ["127.0.0.4", "answer"],
    ]);
    expect(first.ms).toBe(60); // three round trips of 2 × 10 ms, in virtual time
    const again = await resolve("gaia.cs.umass.edu");
    expect(again.hops).toEqual([]);
    expect(values(again.answers)).toEqual(["A 127.0.1.12"]);
  });
  it("goes straight to umass.edu's server for a sibling name: the root is rarely visited", async () => {
    const { resolve } = await world();
    await resolve("gaia.cs.umass.edu");
    const next = await resolve("mail.umass.edu");
    expect(next.hops.map((h) => h.server)).toEqual(["127.0.0.4"]);
  });
  it("follows a CNAME to its target", async () => {
    const { resolve } = await world();
    expect(values((await resolve("www.cs.umass.edu")).answers)).toEqual(["CNAME gaia.cs.umass.edu.", "A 127.0.1.12"]);
  });
  it("caches NXDOMAIN for the SOA's negative TTL, then asks again", async () => {
    const { sim, resolve } = await world();
    expect((await resolve("nosuch.umass.edu")).rcode).toBe("NXDOMAIN");
    expect((await resolve("nosuch.umass.edu")).hops).toEqual([]);
    sim.clock.setTimer(() => undefined, 301_000); // past the 300 s negative TTL
    await sim.run();
    expect((await resolve("nosuch.umass.edu")).hops.length).toBe(1);
  });
  it("counts TTLs down in the cache, and forgets records when they expire", async () => {
    const { sim, resolver, resolve } = await world();
    await resolve("gaia.cs.umass.edu");
    sim.clock.setTimer(() => undefined, 1000_000);
    await sim.run();
    const hit = resolver.cache.peek("gaia.cs.umass.edu", "A");
    expect(hit.kind === "records" && (hit.records[0] as { ttl: number }).ttl).toBe(2600);
    sim.clock.setTimer(() => undefined, 2600_000);
    await sim.run();
    expect((await resolve("gaia.cs.umass.edu")).hops.length).toBe(1);
  });
  it("times out on a dead server and retries the zone's other server", async () => {
    const lab = zone("lab.", "@ IN NS ns1\n@ IN NS ns2\nns1 IN A 127.0.9.1\nns2 IN A 127.0.9.2\nhost IN A 127.0.9.80");
    const rootExtra = "lab. IN NS ns1.lab.\nlab. IN NS ns2.lab.\nns1.lab. IN A 127.0.9.1\nns2.lab. IN A 127.0.9.2\n";
    let hitTheDeadOne = 0;
    for (let seed = 1; seed <= 6; seed++) {
      // Only ns2 (127.0.9.2) runs; the seed decides which server is tried first.
      const { resolve } = await world([["127.0.9.2", [lab]]], rootExtra, seed);
      const r = await resolve("host.lab");
      expect(values(r.answers)).toEqual(["A 127.0.9.80"]);
      const last = r.hops.slice(-2).map((h) => [h.server, h.outcome.split(" ")[0]]);
      if (last[0][0] === "127.0.9.1") {
        hitTheDeadOne++;
        expect(last).toEqual([["127.0.9.1", "no"], ["127.0.9.2", "answer"]]);
      }
    }
    expect(hitTheDeadOne).toBeGreaterThan(0);
  });
  it("remembers a server that timed out and asks the other one first next time (RFC 1035 §7.2)", async () => {
    const hosts = ["h1", "h2", "h3", "h4", "h5", "h6"];
    const lab = zone("lab.", `@ IN NS ns1\n@ IN NS ns2\nns1 IN A 127.0.9.1\nns2 IN A 127.0.9.2\nhost IN A 127.0.9.80\n${hosts.map((h) => `${h} IN A 127.0.9.81`).join("\n")}`);
    const rootExtra = "lab. IN NS ns1.lab.\nlab. IN NS ns2.lab.\nns1.lab. IN A 127.0.9.1\nns2.lab. IN A 127.0.9.2\n";
    let remembered = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const { resolve } = await world([["127.0.9.2", [lab]]], rootExtra, seed);
      const first = await resolve("host.lab");
      if (!first.hops.some((h) => h.server === "127.0.9.1")) continue; // this seed asked the live one first
      remembered++;
      // Each later lookup shuffles the zone's two servers afresh: without the memory, half of them would wait out ns1.
      for (const h of hosts) {
        const next = await resolve(`${h}.lab`);
        expect([next.hops.map((x) => [x.server, x.outcome]), next.ms]).toEqual([[["127.0.9.2", "answer"]], 20]);
      }
    }
    expect(remembered).toBeGreaterThan(0);
  });
  it("asks unresponsive servers when no other is left, and trusts one again once it answers", async () => {
    const solo = zone("solo.", "@ IN NS ns1\n@ IN NS ns2\nns1 IN A 127.0.9.5\nns2 IN A 127.0.9.6\nhost IN A 127.0.9.85\nwww IN A 127.0.9.86");
    const rootExtra = "solo. IN NS ns1.solo.\nsolo. IN NS ns2.solo.\nns1.solo. IN A 127.0.9.5\nns2.solo. IN A 127.0.9.6\n";
    for (let seed = 1; seed <= 6; seed++) {
      const { sim, resolve } = await world([], rootExtra, seed);
      expect((await resolve("host.solo")).rcode).toBe("SERVFAIL"); // nobody at either address yet: both marked
      await serveDns({ network: sim, host: "127.0.9.5", port: 53, zones: [solo] }); // ns1 comes back; ns2 stays dead
      expect((await resolve("host.solo")).rcode).toBe("NOERROR"); // both marked, both asked as a last resort
      const next = await resolve("www.solo");
      expect(next.hops.map((h) => [h.server, h.outcome])).toEqual([["127.0.9.5", "answer"]]); // ns1 answered: no longer avoided
    }
  });
  it("ends a glueless NS loop in SERVFAIL after bounded work", async () => {
    const root = "a. IN NS ns.b.\nb. IN NS ns.a.\n"; // each zone's server is named in the other: no glue anywhere
    const { resolve } = await world([], root);
    const r = await resolve("www.a");
    expect(r.rcode).toBe("SERVFAIL");
    expect(r.hops.length).toBeLessThan(40);
  });
  it("ends a CNAME loop across zones in SERVFAIL", async () => {
    const x = zone("x.", "@ IN NS ns\nns IN A 127.0.8.1\nloop IN CNAME loop.y.");
    const y = zone("y.", "@ IN NS ns\nns IN A 127.0.8.2\nloop IN CNAME loop.x.");
    const root = "x. IN NS ns.x.\nns.x. IN A 127.0.8.1\ny. IN NS ns.y.\nns.y. IN A 127.0.8.2\n";
    const { resolve } = await world([["127.0.8.1", [x]], ["127.0.8.2", [y]]], root);
    expect((await resolve("loop.x")).rcode).toBe("SERVFAIL");
  });
  it("does not cache out-of-bailiwick records a server slips in (poisoning)", async () => {
    const { sim, resolver, resolve } = await world([], "evil. IN NS ns.evil.\nns.evil. IN A 127.0.7.1\n");
    // A rogue server for "evil." answers, and adds a record for www.umass.edu, outside its zone.
    const rogue = await sim.openUdp({ host: "127.0.7.1", port: 53 });
    rogue.onMessage((bytes, from) => {
      const q = decodeMessage(bytes).message;
      rogue.send(encodeMessage({
        id: q.id, type: "response", flags: FLAGS.QR | FLAGS.AA, questions: q.questions,
        // The poison rides in the answer section, where a careless resolver would cache it as authoritative.
        answers: [{ name: q.questions![0].name, type: "A", ttl: 60, data: "127.0.7.80" }, { name: "www.umass.edu", type: "A", ttl: 99999, data: "6.6.6.6" }],
      }), from);
    });
    const r = await resolve("www.evil");
    expect(values(r.answers)).toEqual(["A 127.0.7.80"]);
    expect(resolver.cache.peek("www.umass.edu", "A").kind).toBe("miss");
  });
  it("ignores a forged reply with the wrong id and takes the real one", async () => {
    const { sim, resolver } = await world();
    const fake = await sim.openUdp({ host: "127.0.6.1", port: 53 });
    fake.onMessage((bytes, from) => {
      const q = decodeMessage(bytes).message;
      const answer = (id: number, data: string) => encodeMessage({ id, type: "response", flags: FLAGS.QR | FLAGS.AA, questions: q.questions, answers: [{ name: q.questions![0].name, type: "A", ttl: 60, data }] });
      fake.send(answer((q.id! + 1) % 65536, "6.6.6.6"), from); // the attacker's guess: wrong id
      sim.clock.setTimer(() => fake.send(answer(q.id!, "127.0.6.80"), from), 5);
    });
    const hints = parseRecords(". 3600 IN NS fake.\nfake. 3600 IN A 127.0.6.1\n");
    const direct = new Resolver({ hints, network: sim, timeoutMs: 500 });
    const r = await sim.runUntil(direct.resolve("anything", "A"));
    expect(values(r.answers)).toEqual(["A 127.0.6.80"]);
    expect(direct.stats.forged).toBe(1);
    expect(resolver.stats.forged).toBe(0);
  });
});

describe("forgeryCheck", () => {
  const query = { id: 100, type: "query", questions: [{ name: "gaia.cs.umass.edu", type: "A", class: "IN" }] } as never;
  const server = { host: "127.0.0.4", port: 53 };
  const reply = (over: Record<string, unknown> = {}) => encodeMessage({ id: 100, type: "response", flags: FLAGS.QR, questions: [{ name: "GAIA.cs.umass.edu", type: "A", class: "IN" }], ...over } as never);
  it.each([
    ["the genuine reply (names compare case-insensitively)", server, reply(), undefined],
    ["another source address", { host: "127.0.0.5", port: 53 }, reply(), "source"],
    ["another source port", { host: "127.0.0.4", port: 5353 }, reply(), "source"],
    ["a wrong id", server, reply({ id: 101 }), "id"],
    ["another question", server, reply({ questions: [{ name: "www.umass.edu", type: "A", class: "IN" }] }), "question"],
    ["a query instead of a reply", server, encodeMessage({ id: 100, type: "query", questions: [] } as never), "type"],
    ["bytes that are not DNS", server, Buffer.from("nope"), "garbage"],
  ])("%s", (_what, from, bytes, kind) => {
    const why = forgeryCheck(query, server, from, bytes);
    expect(why === undefined ? undefined : kind).toBe(kind);
    if (kind) expect(why).toBeTruthy();
  });
});

describe("DnsCache", () => {
  const a = (ttl: number, data = "127.0.0.1") => ({ name: "x.test", type: "A", ttl, class: "IN", data }) as never;
  it("keeps an authoritative answer over later glue for the same name (RFC 2181 §5.4.1)", () => {
    const cache = new DnsCache(new VirtualClock());
    cache.put([a(60, "1.1.1.1")], "answer");
    cache.put([a(60, "6.6.6.6")], "glue");
    const hit = cache.peek("x.test", "A");
    expect(hit.kind === "records" && (hit.records[0] as { data: string }).data).toBe("1.1.1.1");
  });
  it("kindOf says what get() would find, and counts it as get() does", () => {
    const clock = new VirtualClock();
    const cache = new DnsCache(clock);
    cache.put([a(60)], "answer");
    cache.putNegative("gone.test", "A", "nxdomain", { name: "test", type: "SOA", ttl: 30, class: "IN", data: { minimum: 30 } } as never);
    expect([cache.kindOf("X.test.", "A"), cache.kindOf("gone.test", "A"), cache.kindOf("x.test", "AAAA")]).toEqual(["records", "nxdomain", "miss"]);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1 });
    clock.setTimer(() => undefined, 61_000);
    clock.runNext();
    expect([cache.kindOf("x.test", "A"), cache.kindOf("gone.test", "A"), cache.size]).toEqual(["miss", "miss", 0]); // expired, and dropped
  });
  it("data gives a live RRset's stored records, counts nothing, and nothing for a negative or expired entry", () => {
    const clock = new VirtualClock();
    const cache = new DnsCache(clock);
    cache.put([a(60, "1.1.1.1"), a(60, "2.2.2.2")], "answer");
    cache.putNegative("gone.test", "A", "nxdomain", { name: "test", type: "SOA", ttl: 30, class: "IN", data: { minimum: 30 } } as never);
    clock.setTimer(() => undefined, 10_000);
    clock.runNext();
    expect(cache.data("X.test.", "A")?.map((r) => [(r as { data: string }).data, (r as { ttl: number }).ttl])).toEqual([["1.1.1.1", 60], ["2.2.2.2", 60]]);
    expect([cache.data("gone.test", "A"), cache.data("x.test", "AAAA"), cache.stats]).toEqual([undefined, undefined, { hits: 0, misses: 0, evictions: 0 }]);
    clock.setTimer(() => undefined, 51_000);
    clock.runNext();
    expect([cache.data("x.test", "A"), cache.size]).toEqual([undefined, 1]); // expired and dropped; the NXDOMAIN waits for its own lookup
  });
  it("holds exactly maxEntries RRsets and evicts the oldest one past it", () => {
    const cache = new DnsCache(new VirtualClock(), 2);
    for (const n of ["a", "b"]) cache.put([{ ...(a(60) as object), name: `${n}.test` } as never], "answer");
    expect([cache.size, cache.stats.evictions]).toEqual([2, 0]);
    cache.put([{ ...(a(60) as object), name: "c.test" } as never], "answer");
    expect([cache.size, cache.stats.evictions, cache.peek("a.test", "A").kind]).toEqual([2, 1, "miss"]);
  });
});
