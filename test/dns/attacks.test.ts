/**
 * The DNS attacks of the security lesson, measured in the simulator with the
 * lib's real servers and resolver: the poisoning race against RFC 5452's odds,
 * what a won race leaves in the cache, DNSSEC against it; reflection floods with
 * and without RRL; DDoS on the root and on a TLD.
 */
import { describe, expect, it } from "vitest";
import { kaminskyRace, raceOdds } from "../../lib/src/dns/attacks/poisoning";
import { reflectionFlood } from "../../lib/src/dns/attacks/flood";
import { simulateLoad } from "../../lib/src/dns/world/load";
import { syntheticWorld } from "../../lib/src/dns/world/synthetic";

/** True when `wins` of `n` is within 4 standard deviations of n·p (plus 2 for small counts). */
const plausible = (wins: number, n: number, p: number) => Math.abs(wins - n * p) <= 4 * Math.sqrt(n * p * (1 - p)) + 2;

describe("the poisoning race", () => {
  it("RFC 5452's odds: forgeries over ids × ports × letter cases, and over many attempts", () => {
    expect(raceOdds({ forgeries: 1000 })).toBeCloseTo(1000 / 65536, 10);
    expect(raceOdds({ forgeries: 1000, ports: 28_000, letters: 10 })).toBeCloseTo(1000 / (65536 * 28_000 * 1024), 20);
    expect(raceOdds({ forgeries: 1000, attempts: 100 })).toBeCloseTo(1 - (1 - 1000 / 65536) ** 100, 10);
    expect(raceOdds({ forgeries: 1e6 })).toBe(1);
  });

  it("id only: wins as often as the formula says; the won answer is cached, its out-of-zone and NS payload is not", { timeout: 60_000 }, async () => {
    const r = await kaminskyRace({ defence: "id", spoofsPerAttempt: 2000, attempts: 300, seed: 5 });
    expect(r.predicted).toBeCloseTo(2000 / 65536, 6);
    expect(r.wins).toBeGreaterThan(0);
    expect(plausible(r.wins, 300, r.predicted)).toBe(true);
    expect(r.afterWin).toMatchObject({ answerCached: true, outOfZoneCached: false, delegationChanged: false });
    expect(r.timeline.at(-1)).toMatchObject({ attempt: 300, wins: r.wins });
  });

  it("random ports divide the odds by the ports; 0x20 by 2 per letter (no win in the same flood)", { timeout: 60_000 }, async () => {
    const ports = await kaminskyRace({ defence: "id+port", ports: 8, spoofsPerAttempt: 2000, attempts: 300, seed: 6 });
    expect(ports.space).toBe(65536 * 8);
    expect(plausible(ports.wins, 300, ports.predicted)).toBe(true);
    const mixed = await kaminskyRace({ defence: "id+port+0x20", ports: 8, spoofsPerAttempt: 2000, attempts: 100, seed: 7 });
    expect(mixed.space).toBe(65536 * 8 * 2 ** 18); // 10 letters of the random label and bank.test's 8
    expect(mixed.wins).toBe(0);
  });

  it("DNSSEC: the forgery still wins the race, but the validator calls it bogus and no client gets it", { timeout: 60_000 }, async () => {
    const r = await kaminskyRace({ defence: "id", spoofsPerAttempt: 4000, attempts: 60, dnssec: true, seed: 8 });
    expect(r.wins).toBeGreaterThan(0);
    expect(r.poisonedAnswers).toBe(0);
    expect(r.afterWin?.validation).toMatchObject({ status: "bogus", reason: "RRSIGS_MISSING" });
  });
});

describe("reflection floods", () => {
  it("an authoritative server amplifies DNSKEY+DO and TXT, minimal ANY much less; RRL leaves the victim a fraction", { timeout: 60_000 }, async () => {
    const dnskey = await reflectionFlood({ via: "authoritative", type: "DNSKEY", dnssec: true });
    const txt = await reflectionFlood({ via: "authoritative", type: "TXT" });
    const any = await reflectionFlood({ via: "authoritative", type: "ANY" });
    expect(dnskey.factor).toBeGreaterThan(4);
    expect(txt.factor).toBeGreaterThan(8);
    expect(any.factor).toBeLessThan(txt.factor / 3);
    const limited = await reflectionFlood({ via: "authoritative", type: "DNSKEY", dnssec: true, rrl: { responsesPerSecond: 5 } });
    expect(limited.victimBytes).toBeLessThan(dnskey.victimBytes / 8);
    expect(limited.factor).toBeLessThan(1);
  });

  it("an open resolver reflects as well as the authoritative server; a campus-only one answers REFUSED, no bigger than the query", { timeout: 60_000 }, async () => {
    const open = await reflectionFlood({ via: "open resolver", type: "TXT" });
    const campus = await reflectionFlood({ via: "campus resolver", type: "TXT" });
    expect(open.factor).toBeGreaterThan(8);
    expect(campus.factor).toBeLessThanOrEqual(1.1);
  });
});

describe("DDoS on the root and on a TLD", () => {
  const world = syntheticWorld({ domainsPerTld: 100 });
  it("three hours without the root fail no lookup once caches hold the TLDs' servers; without com, lookups of uncached com domains fail", () => {
    const root = simulateLoad(world, { queries: 60_000, durationS: 8 * 3600, outage: { target: "root", startS: 3600, durationS: 3 * 3600 } });
    expect(root.outage!.lookups).toBeGreaterThan(5_000);
    expect(root.outage!.failed).toBe(0);
    const com = simulateLoad(world, { queries: 60_000, durationS: 8 * 3600, outage: { target: "com", startS: 3600, durationS: 3 * 3600 } });
    expect(com.outage!.failedShare).toBeGreaterThan(0);
  });
  it("a TLD outage hurts more when delegations expire sooner, and when it strikes cold caches", () => {
    const run = (delegationTtl: number, startS: number) =>
      simulateLoad(syntheticWorld({ domainsPerTld: 100, delegationTtl }), { queries: 60_000, durationS: 8 * 3600, outage: { target: "com", startS, durationS: 3 * 3600 } }).outage!.failedShare;
    expect(run(3600, 3600)).toBeGreaterThan(run(172_800, 3600));
    expect(run(172_800, 0)).toBeGreaterThan(run(172_800, 4 * 3600));
  });
});
