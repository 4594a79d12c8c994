/**
 * judgeChain, lesson 36's judge: a parent that publishes its child's DS, both
 * served from one server on loopback, checked by BIND's delv and the lib's
 * validator from the parent's key alone. A DS for another key, a record changed
 * after signing break the chain for both validators; a DS left out makes the
 * child insecure.
 */
import { describe, expect, it } from "vitest";
import { judgeChain } from "../../lib/src/dns/world/chain-judge";
import { dsFromDnskey, generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { SEEDED_WINDOW } from "../../lib/src/dns/world/signed";

const SOA = "$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\nns A 10.0.0.1\n";
const [pksk, pzsk] = [generateZoneKey(13, { ksk: true, seed: "test. KSK" }), generateZoneKey(13, { seed: "test. ZSK" })];
const [ksk, zsk] = [generateZoneKey(13, { ksk: true, seed: "shop.test. KSK" }), generateZoneKey(13, { seed: "shop.test. ZSK" })];
const sign = (text: string, origin: string, k: typeof ksk, z: typeof zsk) => signZone(parseZone(text).records(), { origin, ksk: k, zsk: z, ...SEEDED_WINDOW }).map(formatRecord).join("\n");
const child = sign(`$ORIGIN shop.test.\n${SOA}www A 10.0.0.80\nwww A 10.0.0.81\n`, "shop.test.", ksk, zsk);
const parent = (dsLine: string) => sign(`$ORIGIN test.\n${SOA}shop NS ns.shop\nns.shop A 10.0.0.1\n${dsLine}`, "test.", pksk, pzsk);
const dsOf = (key: typeof ksk) => {
  const d = dsFromDnskey("shop.test.", key.dnskey);
  return `shop DS ${d.keyTag} ${d.algorithm} ${d.digestType} ${d.digest.toString("hex")}\n`;
};
const fromTest = (zones: string[], name = "www.shop.test.") => judgeChain({ zones, anchorZone: "test.", anchor: pksk.dnskey, name, type: "A" });

describe("judgeChain: delv and the lib's validator from the parent's key", () => {
  it("the DS of the child's KSK: fully validated, secure, both addresses", { timeout: 60_000 }, async () => {
    expect(await fromTest([parent(dsOf(ksk)), child])).toEqual({ delv: "fully validated", delvAddresses: ["10.0.0.80", "10.0.0.81"], validator: "secure" });
    expect(await fromTest([child, parent(dsOf(ksk))], "nothere.shop.test.")).toMatchObject({ delv: "negative response, fully validated", validator: "secure" });
  });

  it("the DS of another key, a record changed after signing: bogus for both, no address", { timeout: 60_000 }, async () => {
    for (const zones of [[parent(dsOf(zsk)), child], [parent(dsOf(ksk)), child.replace("10.0.0.80", "10.6.6.6")]]) {
      const j = await fromTest(zones);
      expect(j.delv).not.toContain("fully validated");
      expect(j.delvAddresses).toEqual([]);
      expect(j.validator).toBe("bogus");
    }
  });

  it("no DS at all: the parent's NSEC proves it, so the child is insecure, its answer unsigned but given", { timeout: 60_000 }, async () => {
    expect(await fromTest([parent(""), child])).toEqual({ delv: "unsigned answer", delvAddresses: ["10.0.0.80", "10.0.0.81"], validator: "insecure" });
  });

  it("a verdict line carries no port number (the same question judged twice reads the same)", { timeout: 60_000 }, async () => {
    const broken = [parent(dsOf(ksk)).replace(/^shop\.test\.\s.*\sDS\s.*$/m, ""), child];
    expect((await fromTest(broken)).delv).toBe((await fromTest(broken)).delv);
    expect((await fromTest(broken)).delv).not.toMatch(/#\d+/);
  });
});
