/**
 * Validation: a zone signed by BIND's dnssec-signzone validates as secure from
 * its DS and is bogus once a record is changed; zones signed by the lib give
 * each kind of bogus answer its own reason; an unsigned delegation is insecure.
 */
import { describe, expect, it } from "vitest";
import { Dnskey, Ds, dsFromDnskey, generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { publicKeyOf, rrsetOf, rrsigsOf, serialLte, validateRrset, validateZoneKeys } from "../../lib/src/dns/dnssec/validate";
import { parseRecords, parseZone } from "../../lib/src/dns/wire/zone";
import { DnsRecord } from "../../lib/src/dns/wire/codec";
import { run } from "../helpers";
import { signWithBind } from "../interop/dns-peers";

const ORIGIN = "example.test.";
const ZONE = `$ORIGIN example.test.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\nns A 127.0.0.9\nwww A 127.0.0.10\nwww A 127.0.0.11\nsub NS ns.sub\nns.sub A 127.0.0.13\n`;
const dataOf = <T>(r: DnsRecord) => (r as unknown as { data: T }).data;
const DAY = 86_400_000;

describe("a zone signed by BIND's dnssec-signzone", () => {
  it("validates as secure from its DS, and turns bogus when a record is changed", { timeout: 60_000 }, async () => {
    const { signed, kskFile } = await signWithBind(ZONE, ORIGIN);
    const records = parseRecords(signed);
    const ds = dataOf<Ds>(parseRecords(`$TTL 60\n${await run("dnssec-dsfromkey", ["-2", kskFile])}`)[0]);
    const { validation, keys } = validateZoneKeys(ORIGIN, records, [ds]);
    expect(validation).toEqual({ status: "secure" });
    for (const [name, type] of [["www.example.test.", "A"], [ORIGIN, "SOA"], [ORIGIN, "NS"], ["ns.example.test.", "NSEC"], ["sub.example.test.", "NSEC"]]) {
      expect(validateRrset(rrsetOf(records, name, type), rrsigsOf(records, name, type), keys), `${name} ${type}`).toEqual({ status: "secure" });
    }
    const www = rrsetOf(records, "www.example.test.", "A").map((r) => ({ ...r, data: "127.0.0.99" }) as DnsRecord);
    expect(validateRrset(www, rrsigsOf(records, "www.example.test.", "A"), keys)).toMatchObject({ status: "bogus", reason: "BAD_SIGNATURE" });
  });
});

describe("bogus answers, each with its reason", () => {
  const sign = (options: { inception?: Date; expiration?: Date } = {}) => {
    const ksk = generateZoneKey(13, { ksk: true });
    const records = signZone(parseZone(ZONE).records(), { origin: ORIGIN, ksk, ...options });
    return { ksk, records, ds: dsFromDnskey(ORIGIN, ksk.dnskey) };
  };
  const www = (records: DnsRecord[]) => [rrsetOf(records, "www.example.test.", "A"), rrsigsOf(records, "www.example.test.", "A")] as const;

  it("an expired signature, and one not valid yet", () => {
    const old = sign({ inception: new Date(Date.now() - 10 * DAY), expiration: new Date(Date.now() - DAY) });
    expect(validateRrset(...www(old.records), [old.ksk.dnskey])).toMatchObject({ status: "bogus", reason: "SIGNATURE_EXPIRED" });
    const early = sign({ inception: new Date(Date.now() + DAY), expiration: new Date(Date.now() + 10 * DAY) });
    expect(validateRrset(...www(early.records), [early.ksk.dnskey])).toMatchObject({ status: "bogus", reason: "SIGNATURE_NOT_YET_VALID" });
  });
  it("a signature from a key the zone does not publish, and stripped signatures", () => {
    const z = sign();
    const stranger: Dnskey = generateZoneKey(13).dnskey;
    expect(validateRrset(...www(z.records), [stranger])).toMatchObject({ status: "bogus", reason: "DNSKEY_MISSING" });
    expect(validateRrset(www(z.records)[0], [], [z.ksk.dnskey])).toMatchObject({ status: "bogus", reason: "RRSIGS_MISSING" });
  });
  it("a DS naming a key the zone does not have; no DS at all is insecure, not bogus", () => {
    const z = sign();
    const other = dsFromDnskey(ORIGIN, generateZoneKey(13, { ksk: true }).dnskey);
    expect(validateZoneKeys(ORIGIN, z.records, [other]).validation).toMatchObject({ status: "bogus", reason: "NO_ZONE_KEY_MATCHES_DS" });
    expect(validateZoneKeys(ORIGIN, z.records, []).validation).toMatchObject({ status: "insecure" });
    expect(validateZoneKeys(ORIGIN, z.records, [z.ds]).validation).toEqual({ status: "secure" });
  });
  it("compares signature times in serial arithmetic (RFC 1982), across the 2106 wrap", () => {
    expect([serialLte(0xffffff00, 0x10), serialLte(0x10, 0xffffff00), serialLte(5, 5)]).toEqual([true, false, true]);
  });
  it("a key whose bytes lie about their length is no key (not a crash)", () => {
    expect(publicKeyOf({ flags: 256, algorithm: 13, key: Buffer.alloc(63) })).toBeUndefined();
    expect(publicKeyOf({ flags: 256, algorithm: 8, key: Buffer.from([200, 1, 2]) })).toBeUndefined();
  });
});
