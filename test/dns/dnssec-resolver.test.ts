/**
 * The validating resolver in the simulated, signed world: secure, insecure and
 * bogus answers with the chain each walked; a record changed after signing and
 * one added without a signature are each bogus with their own reason; verdicts
 * are cached with the answers; the local DNS server sets AD and sends an
 * Extended DNS Error. And 0x20: a reply must echo the question's letter case.
 */
import { describe, expect, it } from "vitest";
import { DnsRecord, FLAGS, encodeMessage } from "../../lib/src/dns/wire/codec";
import { exchange, forgeryCheck } from "../../lib/src/dns/transport/client";
import { Resolver } from "../../lib/src/dns/resolver/resolver";
import { startWorld } from "../../lib/src/dns/world/textbook";
import { SimNetwork } from "../../lib/src/sim/network";

async function signedWorld() {
  const sim = new SimNetwork({ seed: 3 });
  const world = await sim.runUntil(startWorld({ network: sim, dnssec: true }));
  const zone = (origin: string) => world.servers.find((s) => s.zone === origin)!.server.authority.zoneFor(origin)!;
  const resolve = (name: string, type = "A") => sim.runUntil(world.resolver.resolver.resolve(name, type));
  return { sim, world, zone, resolve };
}

describe("validating in the signed world", () => {
  it("secure down to cs.umass.edu, insecure below nyu.edu's unsigned delegation, bogus at ibm.com", async () => {
    const { resolve } = await signedWorld();
    const gaia = await resolve("gaia.cs.umass.edu");
    expect(gaia.security?.status).toBe("secure");
    expect(gaia.security!.chain.map((s) => `${s.zone} ${s.what.split(" ")[0]}`)).toEqual([
      ". DNSKEY", "edu. DS", "edu. DNSKEY", "umass.edu. DS", "umass.edu. DNSKEY", "cs.umass.edu. DS", "cs.umass.edu. DNSKEY", "cs.umass.edu. gaia.cs.umass.edu.",
    ]);
    expect((await resolve("engineering.nyu.edu")).security).toMatchObject({ status: "insecure" });
    const ibm = await resolve("www.ibm.com");
    expect([ibm.rcode, ibm.answers.length]).toEqual(["SERVFAIL", 0]);
    expect(ibm.security).toMatchObject({ status: "bogus", reason: "NO_ZONE_KEY_MATCHES_DS" });
  });

  it("a record changed after signing is BAD_SIGNATURE; one added without a signature is RRSIGS_MISSING", async () => {
    const { zone, resolve } = await signedWorld();
    const umass = zone("umass.edu.");
    (umass.at("www.umass.edu").find((r) => r.type === "A") as { data: string }).data = "127.53.6.66";
    umass.add({ name: "evil.umass.edu", type: "A", ttl: 60, class: "IN", data: "127.53.6.66" } as DnsRecord);
    expect((await resolve("www.umass.edu")).security).toMatchObject({ status: "bogus", reason: "BAD_SIGNATURE" });
    expect((await resolve("evil.umass.edu")).security).toMatchObject({ status: "bogus", reason: "RRSIGS_MISSING" });
    expect((await resolve("mail.umass.edu")).security?.status).toBe("secure"); // the rest of the zone still validates
  });

  it("a cached answer keeps its verdict: no new validation, no upstream query", async () => {
    const { world, resolve } = await signedWorld();
    const resolver = world.resolver.resolver;
    await resolve("gaia.cs.umass.edu");
    const before = { ...resolver.stats, ...resolver.validator!.stats };
    const again = await resolve("gaia.cs.umass.edu");
    expect(again.security?.status).toBe("secure");
    expect(resolver.stats.upstreamQueries).toBe(before.upstreamQueries);
    expect(resolver.validator!.stats).toEqual({ validations: before.validations, cachedVerdicts: before.cachedVerdicts + 1 });
  });

  it("the local DNS server: AD for a DO client on a secure answer; SERVFAIL with EDE 9 on the bogus zone; CD passes it", async () => {
    const { sim, world } = await signedWorld();
    const ask = (name: string, options: { dnssec?: boolean; checkingDisabled?: boolean } = {}) =>
      sim.runUntil(exchange(world.resolver.address, { name, type: "A" }, { network: sim, recursionDesired: true, edns: true, source: { host: "10.0.0.7" }, ...options }));
    const secure = await ask("gaia.cs.umass.edu", { dnssec: true });
    expect((secure.response.flags ?? 0) & FLAGS.AD).toBe(FLAGS.AD);
    expect(secure.response.answers!.map((r) => r.type).sort()).toEqual(["A", "RRSIG"]);
    const plain = await ask("gaia.cs.umass.edu");
    expect([(plain.response.flags ?? 0) & FLAGS.AD, plain.response.answers!.map((r) => r.type)]).toEqual([0, ["A"]]);
    const bogus = await ask("www.ibm.com", { dnssec: true });
    expect((bogus.response as { rcode?: string }).rcode).toBe("SERVFAIL");
    const ede = ((bogus.response.additionals ?? []).find((r) => r.type === "OPT") as unknown as { options: Array<{ code: number; data: Buffer }> }).options.find((o) => o.code === 15)!;
    expect(ede.data.readUInt16BE(0)).toBe(9);
    expect(ede.data.subarray(2).toString()).toContain("none of 2 DNSKEY(s) matches the DS");
    const cd = await ask("www.ibm.com", { dnssec: true, checkingDisabled: true });
    expect((cd.response as { rcode?: string }).rcode).toBe("NOERROR");
    expect((cd.response.flags ?? 0) & FLAGS.AD).toBe(0);
  });
});

describe("0x20 (mixed-case queries)", () => {
  const query = { id: 7, type: "query" as const, flags: 0, questions: [{ name: "wWw.UmAsS.eDu", type: "A" as const, class: "IN" as const }] };
  const server = { host: "10.0.0.2", port: 53 };
  const reply = (name: string) => encodeMessage({ id: 7, type: "response", flags: FLAGS.QR, questions: [{ name, type: "A", class: "IN" }] });
  it("with exactCase, a reply that does not echo the case is refused as forged; without it, accepted", () => {
    expect(forgeryCheck(query, server, server, reply("www.umass.edu"), true)).toMatch(/letter case differs/);
    expect(forgeryCheck(query, server, server, reply("wWw.UmAsS.eDu"), true)).toBeUndefined();
    expect(forgeryCheck(query, server, server, reply("www.umass.edu"))).toBeUndefined();
  });
  it("a resolver with mixedCase resolves in the world: the servers echo the case they were asked", async () => {
    const sim = new SimNetwork({ seed: 4 });
    const world = await sim.runUntil(startWorld({ network: sim }));
    const resolver = new Resolver({ hints: world.hints, network: sim, upstreamPort: world.port, mixedCase: true, sourceHost: "10.0.0.9", seed: 9 });
    const r = await sim.runUntil(resolver.resolve("gaia.cs.umass.edu", "A"));
    expect(r.rcode).toBe("NOERROR");
    expect(r.hops.map((h) => h.query!.questions![0].name).some((n) => n !== n.toLowerCase())).toBe(true);
    expect(resolver.stats.forged).toBe(0);
  });
});

describe("a forged denial", () => {
  it("a real, signed NSEC replayed to deny a name it does not cover is bogus: NSEC_MISSING; so is a denial stripped of its proof", async () => {
    const { world, zone, resolve } = await signedWorld();
    await resolve("www.umass.edu"); // the keys of umass.edu are trusted and cached
    const umass = zone("umass.edu.").records();
    // The NSEC of umass.edu's apex, and its signature: genuine, but it speaks of the apex, not of www.
    const nsec = umass.filter((r) => (r.type === "NSEC" || (r.type === "RRSIG" && (r as unknown as { data: { typeCovered: string } }).data.typeCovered === "NSEC")) && r.name.replace(/\.$/, "") === "umass.edu");
    const soa = umass.filter((r) => (r.type === "SOA" || (r.type === "RRSIG" && (r as unknown as { data: { typeCovered: string } }).data.typeCovered === "SOA")));
    expect(nsec).toHaveLength(2);
    const verdict = await world.resolver.resolver.validator!.validate("www.umass.edu", "A", { rcode: "NXDOMAIN", answers: [], authorities: [...soa, ...nsec] });
    expect(verdict).toMatchObject({ status: "bogus", reason: "NSEC_MISSING" });
    const unsigned = await world.resolver.resolver.validator!.validate("mail.umass.edu", "A", { rcode: "NXDOMAIN", answers: [], authorities: soa.filter((r) => r.type === "SOA") });
    expect(unsigned).toMatchObject({ status: "bogus", reason: "NSEC_MISSING", detail: "a negative answer without NSEC or NSEC3 records" }); // the proof stripped
  });
});
