/**
 * The local DNS server's message cache: an answer given once is given again from
 * its encoded bytes, with the query's id and TTLs aged, until its smallest TTL
 * runs out or the record cache changes; validated answers keep their AD.
 */
import { describe, expect, it } from "vitest";
import { SimNetwork } from "../../lib/src/sim/network";
import { Clock, realClock, sleep } from "../../lib/src/net/clock";
import { VirtualClock } from "../../lib/src/sim/clock";
import { startWorld, WORLD_RESOLVER_ADDRESS } from "../../lib/src/dns/world/textbook";
import { exchange } from "../../lib/src/dns/transport/client";
import { DnsMessage, FLAGS, encodeMessage } from "../../lib/src/dns/wire/codec";
import { MessageCache } from "../../lib/src/dns/resolver/message-cache";

const reply = (ttl: number) =>
  encodeMessage({
    id: 1, type: "response", flags: FLAGS.QR | FLAGS.RA,
    questions: [{ name: "gaia.cs.umass.edu", type: "A", class: "IN" }],
    answers: [{ name: "gaia.cs.umass.edu", type: "A", ttl, class: "IN", data: "127.53.10.12" }],
    additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: 0x8000, options: [] } as never],
  } as DnsMessage);

describe("MessageCache", () => {
  it("answers with the query's id and every TTL lowered by the whole seconds waited, the OPT's flags left alone", () => {
    let time = 0;
    const clock: Clock = { now: () => time, setTimer: realClock.setTimer, clearTimer: realClock.clearTimer };
    const later = (ms: number) => (time += ms);
    const cache = new MessageCache(clock, () => 0);
    const stored = reply(60);
    cache.set("k", stored);
    later(10_500);
    const hit = cache.get("k", Buffer.from([0xbe, 0xef]))!;
    expect(hit.readUInt16BE(0)).toBe(0xbeef);
    const ttlAt = stored.indexOf(Buffer.from([0, 0, 0, 60]));
    expect(hit.readUInt32BE(ttlAt)).toBe(50);
    expect(hit.subarray(hit.length - 11)).toEqual(stored.subarray(stored.length - 11)); // OPT: its TTL field is EDNS flags (DO)
    expect(stored.readUInt32BE(ttlAt)).toBe(60); // the stored copy is untouched
    later(49_500);
    expect(cache.get("k", Buffer.from([0, 1]))).toBeUndefined(); // 60 s after storing: expired
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });

  it("forgets a reply once the record cache has changed, and never keeps one whose TTL is 0", () => {
    let generation = 0;
    const cache = new MessageCache(new VirtualClock(), () => generation);
    cache.set("k", reply(60));
    cache.set("zero", reply(0));
    expect(cache.get("k", Buffer.alloc(2))).toBeDefined();
    generation++;
    expect(cache.get("k", Buffer.alloc(2))).toBeUndefined();
    expect(cache.get("zero", Buffer.alloc(2))).toBeUndefined();
  });
});

describe("the local DNS server's message cache, in the simulated world", () => {
  it("answers a repeated question without resolving, TTLs counting down, and resolves again after a flush", async () => {
    const sim = new SimNetwork({ seed: 4, link: { latencyMs: 5 } });
    const world = await startWorld({ network: sim, port: 53 });
    const engine = world.resolver.resolver;
    const ask = async () => (await sim.runUntil(exchange({ host: WORLD_RESOLVER_ADDRESS, port: 53 }, { name: "gaia.cs.umass.edu", type: "A" }, { network: sim, recursionDesired: true }))).response;
    const first = await ask();
    const resolutions = engine.stats.resolutions;
    await sim.runUntil(sleep(sim.clock, 7_000));
    const second = await ask();
    expect(engine.stats.resolutions).toBe(resolutions); // no Resolution: the encoded answer was copied
    expect(second.answers).toEqual(first.answers!.map((r) => ({ ...r, ttl: (r as { ttl: number }).ttl - 7 })));
    engine.cache.clear();
    await ask();
    expect(engine.stats.resolutions).toBe(resolutions + 1);
    await world.close();
  });

  it("keeps a validated answer as validated: AD again, with no second validation", async () => {
    const sim = new SimNetwork({ seed: 5, link: { latencyMs: 5 } });
    const world = await startWorld({ network: sim, port: 53, dnssec: true });
    const engine = world.resolver.resolver;
    const ask = async () => (await sim.runUntil(exchange({ host: WORLD_RESOLVER_ADDRESS, port: 53 }, { name: "gaia.cs.umass.edu", type: "A" }, { network: sim, recursionDesired: true, dnssec: true }))).response;
    const first = await ask();
    expect((first.flags ?? 0) & FLAGS.AD).toBe(FLAGS.AD);
    const resolutions = engine.stats.resolutions;
    const second = await ask();
    expect((second.flags ?? 0) & FLAGS.AD).toBe(FLAGS.AD);
    expect(second.answers!.map((r) => r.type)).toEqual(first.answers!.map((r) => r.type)); // the RRSIG too (DO)
    expect(engine.stats.resolutions).toBe(resolutions);
    await world.close();
  });
});
