/**
 * What the authoritative server proves in a signed zone, checked by the lib's
 * validator (ChainValidator, anchored at the zone's KSK, asking the Authority
 * directly), with NSEC and with NSEC3: wildcard answers with the proof that no
 * closer name exists and the RRSIG of the wildcard (labels field), wildcard
 * NODATA, NODATA at an empty non-terminal (the covering NSEC), NXDOMAIN proving
 * the name and the wildcard absent; RRSIG TTLs equal to their RRsets' in
 * negative answers (RFC 4034 §3). And the validator refuses a wildcard answer
 * whose proof is missing or proves nothing (RFC 4035 §5.3.4); the validating
 * resolver keeps that proof with the cached answer, and asks again once it expires.
 */
import { describe, expect, it } from "vitest";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { DO_BIT, DnsMessage, DnsRecord } from "../../lib/src/dns/wire/codec";
import { ChainValidator, ChainLookupResult } from "../../lib/src/dns/dnssec/chain";
import { dsFromDnskey, generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { signHierarchy } from "../../lib/src/dns/world/signed";
import { proveNodata } from "../../lib/src/dns/dnssec/denial";
import { Zone, parseZone, parseRecords } from "../../lib/src/dns/wire/zone";
import { worldSpec } from "../../lib/src/dns/world/textbook";
import { Resolver } from "../../lib/src/dns/resolver/resolver";
import { serveDns } from "../../lib/src/dns/authoritative/server";
import { SimNetwork } from "../../lib/src/sim/network";
import { sleep } from "../../lib/src/net/clock";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { fixtureZone } from "./fixtures";

const ORIGIN = "wild.test.";
const dataOf = <T>(r: DnsRecord) => (r as unknown as { data: T }).data;
const ttl = (r: DnsRecord) => (r as { ttl?: number }).ttl;

/** A DO query to an Authority, as the ChainLookup a validator takes. */
function lookupIn(auth: Authority) {
  return async (name: string, type: string): Promise<ChainLookupResult & { response: DnsMessage }> => {
    const query = { id: 1, type: "query", flags: 0, questions: [{ name, type, class: "IN" }], additionals: [{ type: "OPT", name: ".", udpPayloadSize: 4096, flags: DO_BIT }] } as DnsMessage;
    const { response } = auth.answer(query);
    return { rcode: (response as { rcode?: string }).rcode ?? "NOERROR", answers: response.answers ?? [], authorities: response.authorities ?? [], response };
  };
}

function signedWildZone(chain: string) {
  const ksk = generateZoneKey(13, { ksk: true });
  const zone = new Zone(ORIGIN, signZone(fixtureZone("wild.test.zone").records(), { origin: ORIGIN, ksk, zsk: generateZoneKey(13), nsec3: chain === "NSEC3" ? {} : undefined }));
  const lookup = lookupIn(new Authority([zone]));
  const validator = () => new ChainValidator({ zone: ORIGIN, ds: [dsFromDnskey(ORIGIN, ksk.dnskey)] }, lookup, () => ORIGIN);
  const check = async (name: string, type: string, tamper: (r: ChainLookupResult) => ChainLookupResult = (r) => r) => {
    const r = await lookup(name, type);
    return { r, verdict: await validator().validate(name, type, tamper(r)) };
  };
  return { lookup, check };
}

describe.each(["NSEC", "NSEC3"])("a signed zone with wildcards and empty non-terminals, %s", (chain) => {
  const { check } = signedWildZone(chain);

  it("a wildcard answer: owned by the name asked, the wildcard's RRSIG (labels 3), and the proof no closer name exists: secure", async () => {
    const { r, verdict } = await check("host.wild.wild.test.", "A");
    expect(verdict.status, JSON.stringify(verdict)).toBe("secure");
    const sig = r.answers.find((a) => a.type === "RRSIG")!;
    expect([sig.name, dataOf<{ labels: number }>(sig).labels]).toEqual(["host.wild.wild.test.", 3]);
    expect(r.authorities.some((a) => a.type === chain)).toBe(true);
    expect(verdict.chain.some((s) => s.what.includes("from a wildcard") && s.status === "secure")).toBe(true);
  });
  it.each([
    ["a wildcard NODATA", "host.wild.wild.test.", "MX", "NOERROR"],
    ["NODATA at an empty non-terminal", "ent.wild.test.", "A", "NOERROR"],
    ["NODATA at an owner", "www.wild.test.", "TXT", "NOERROR"],
    ["NXDOMAIN below a name that exists (no wildcard reaches it)", "x.sub.wild.wild.test.", "A", "NXDOMAIN"],
    ["NXDOMAIN below an empty non-terminal", "x.b.ent.wild.test.", "A", "NXDOMAIN"],
    ["a wildcard CNAME, then its target", "foo.cname.wild.test.", "A", "NOERROR"],
  ])("%s (%s %s): %s, secure", async (_what, name, type, rcode) => {
    const { r, verdict } = await check(name, type);
    expect(r.rcode).toBe(rcode);
    expect(verdict.status, JSON.stringify(verdict)).toBe("secure");
  });
  it("negative answers: the SOA at the negative TTL (300) and its RRSIG at the same TTL; the denial records and their RRSIGs too (RFC 4034 §3, RFC 9077)", async () => {
    const { r } = await check("nothere.wild.test.", "A");
    for (const type of ["SOA", chain]) {
      const set = r.authorities.filter((a) => a.type === type);
      const sigs = r.authorities.filter((a) => a.type === "RRSIG" && dataOf<{ typeCovered: string }>(a).typeCovered === type);
      expect(set.length && sigs.length).toBeGreaterThan(0);
      expect(new Set([...set, ...sigs].map(ttl))).toEqual(new Set([300]));
    }
  });
  it("the validator refuses a wildcard answer without its proof, or with a proof for another name (RFC 4035 §5.3.4)", async () => {
    const stripped = await check("host.wild.wild.test.", "A", (r) => ({ ...r, authorities: [] }));
    expect(stripped.verdict).toMatchObject({ status: "bogus", reason: "NSEC_MISSING" });
    const other = await (await signedWildZone(chain)).lookup("www.wild.test.", "TXT"); // another zone's keys: bogus either way
    const { verdict } = await check("host.wild.wild.test.", "A", (r) => ({ ...r, authorities: other.authorities.filter((a) => a.type !== "SOA") }));
    expect(verdict.status).toBe("bogus");
    // The same zone's NODATA proof for www (signed, valid) proves nothing about host.wild.
    const own = await check("www.wild.test.", "TXT");
    const wrong = await check("host.wild.wild.test.", "A", (r) => ({ ...r, authorities: own.r.authorities.filter((a) => a.type !== "SOA" && (a.type !== "RRSIG" || dataOf<{ typeCovered: string }>(a).typeCovered !== "SOA")) }));
    expect(wrong.verdict).toMatchObject({ status: "bogus", reason: "NSEC_MISSING" });
  });
});

describe("NODATA at an empty non-terminal of the signed world (NSEC)", () => {
  const world = signHierarchy([...new Map(worldSpec().map((s) => [s.zone, s.zoneText])).values()].map((text) => parseZone(text)));
  const root = new Authority([new Zone(".", world.zones.get(".")!)]);
  it("arpa. DS at the root: the covering NSEC (its next name below arpa.) and its RRSIG, which prove the NODATA", async () => {
    const r = await lookupIn(root)("arpa.", "DS");
    expect(r.rcode).toBe("NOERROR");
    const nsec = r.authorities.filter((a) => a.type === "NSEC");
    expect(nsec.map((n) => `${n.name} ${dataOf<{ nextDomain: string }>(n).nextDomain}`)).toEqual([". 53.127.in-addr.arpa."]);
    expect(r.authorities.some((a) => a.type === "RRSIG" && dataOf<{ typeCovered: string }>(a).typeCovered === "NSEC")).toBe(true);
    expect(proveNodata(nsec, "arpa.", "DS")).toEqual({ ok: true });
  });
});

describe("the validating resolver and a wildcard answer in its cache", () => {
  it("validates it from the cache with the proof kept beside it, and asks again once the proof (TTL 300) expires before the answer (TTL 3600)", async () => {
    const sim = new SimNetwork({ seed: 4 });
    const ksk = generateZoneKey(13, { ksk: true });
    const zone = new Zone(ORIGIN, signZone(fixtureZone("wild.test.zone").records(), { origin: ORIGIN, ksk }));
    await sim.runUntil(serveDns({ network: sim, host: "10.9.0.1", port: 53, zones: [zone] }));
    const resolver = new Resolver({
      network: sim, upstreamPort: 53, hints: parseRecords(". 3600 IN NS ns.wild.test.\nns.wild.test. 3600 IN A 10.9.0.1\n"),
      trustAnchor: parseRecords(formatRecord({ name: ORIGIN, type: "DNSKEY", ttl: 3600, class: "IN", data: ksk.dnskey } as DnsRecord)),
    });
    const resolve = () => sim.runUntil(resolver.resolve("host.wild.wild.test", "A"));
    expect((await resolve()).security?.status).toBe("secure");
    const asked = resolver.stats.upstreamQueries;
    await sim.runUntil(sleep(sim.clock, 301_000));
    const later = await resolve();
    expect(later.security?.status, JSON.stringify(later.security)).toBe("secure");
    expect(resolver.stats.upstreamQueries).toBeGreaterThan(asked); // the answer was still cached; its proof was not
  });
});
