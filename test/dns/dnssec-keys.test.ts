/**
 * DNSSEC keys against BIND's own tools: the key tag in the name dnssec-keygen
 * gives a key file, the DS records dnssec-dsfromkey computes, both for BIND's
 * keys and for ours (algorithms 13, 15 and 8; digests SHA-256 and SHA-384).
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DnssecAlgorithm, Dnskey, Ds, dsFromDnskey, generateZoneKey, keyTag } from "../../lib/src/dns/dnssec/keys";
import { canonicalName } from "../../lib/src/dns/dnssec/canonical";
import { formatRdata } from "../../lib/src/dns/wire/records";
import { parseRecords } from "../../lib/src/dns/wire/zone";
import { DnsRecord } from "../../lib/src/dns/wire/codec";
import { isAppLayerError } from "../../lib/src/errors";
import { run } from "../helpers";
import { sign, verify } from "node:crypto";
import { publicKeyOf } from "../../lib/src/dns/dnssec/validate";

const ZONE = "example.test.";
const BIND_NAMES: Record<DnssecAlgorithm, string[]> = { 13: ["-a", "ECDSAP256SHA256"], 15: ["-a", "ED25519"], 8: ["-a", "RSASHA256", "-b", "2048"] };
const dataOf = <T>(text: string, type: string): T => (parseRecords(`$TTL 3600\n${text}`).find((r) => r.type === type) as DnsRecord & { data: T }).data;

describe.each([13, 15, 8] as DnssecAlgorithm[])("algorithm %i", (algorithm) => {
  it("BIND's key: our key tag is the one in its file name, our DS records are dnssec-dsfromkey's", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-keygen-"));
    const name = (await run("dnssec-keygen", ["-K", dir, ...BIND_NAMES[algorithm], "-f", "KSK", "-n", "ZONE", ZONE], "", { timeoutMs: 60_000 })).trim();
    const file = join(dir, `${name}.key`);
    const key = dataOf<Dnskey>(readFileSync(file, "utf8"), "DNSKEY");
    expect(keyTag(key)).toBe(Number(/\+(\d+)$/.exec(name)![1]));
    for (const [flag, digestType] of [["SHA-256", 2], ["SHA-384", 4]] as const) {
      const bind = dataOf<Ds>(await run("dnssec-dsfromkey", ["-a", flag, file]), "DS");
      expect(dsFromDnskey(ZONE, key, digestType)).toEqual(bind);
    }
  });

  it("our key: dnssec-dsfromkey reads it from a zone file and computes our DS", { timeout: 60_000 }, async () => {
    const ksk = generateZoneKey(algorithm, { ksk: true });
    expect(ksk.dnskey.flags).toBe(257);
    const dir = mkdtempSync(join(tmpdir(), "applayer-ourkey-"));
    writeFileSync(join(dir, "zone"), `${ZONE} 3600 IN DNSKEY ${formatRdata({ name: ZONE, type: "DNSKEY", ttl: 3600, class: "IN", data: ksk.dnskey } as DnsRecord)}\n`);
    const bind = dataOf<Ds>(await run("dnssec-dsfromkey", ["-2", "-f", join(dir, "zone"), ZONE]), "DS");
    expect(dsFromDnskey(ZONE, ksk.dnskey)).toEqual(bind);
    expect(readdirSync(dir)).toEqual(["zone"]);
  });
});

describe("keys, pure", () => {
  it("a zone-signing key has flags 256, and the key sizes each algorithm's RFC gives", () => {
    expect(generateZoneKey(13).dnskey.flags).toBe(256);
    expect([generateZoneKey(13).dnskey.key.length, generateZoneKey(15).dnskey.key.length]).toEqual([64, 32]); // RFC 6605 §4, RFC 8080 §3
  });
  it("the owner name is hashed in canonical form: lowercase, uncompressed", () => {
    expect(canonicalName("WWW.Example.TEST.")).toEqual(Buffer.from("\x03www\x07example\x04test\x00", "latin1"));
    const k = generateZoneKey(13, { ksk: true }).dnskey;
    expect(dsFromDnskey("Example.TEST.", k)).toEqual(dsFromDnskey("example.test", k));
    expect(isAppLayerError((() => { try { canonicalName(`${"a".repeat(64)}.test.`); } catch (e) { return e; } })(), "DNS_NAME")).toBe(true);
  });
  it("zone files refuse a DNSKEY with the wrong protocol or a key that is not base64, and a DS digest that is not hex", () => {
    for (const bad of ["x. 60 IN DNSKEY 257 2 13 AAAA", "x. 60 IN DNSKEY 257 3 13 not*base64", "x. 60 IN DS 1 13 2 XYZ"]) {
      expect(isAppLayerError((() => { try { parseRecords(bad); } catch (e) { return e; } })(), "ZONE_SYNTAX")).toBe(true);
    }
  });
});

describe("seeded zone keys (a graded lesson compares two runs' DS and signed data)", () => {
  it.each([13, 15] as DnssecAlgorithm[])("algorithm %i: the same seed makes the same key, another seed another, and it signs what its DNSKEY verifies", (algorithm) => {
    const a = generateZoneKey(algorithm, { ksk: true, seed: "shop.test. KSK" });
    const b = generateZoneKey(algorithm, { ksk: true, seed: "shop.test. KSK" });
    const c = generateZoneKey(algorithm, { ksk: true, seed: "shop.test. ZSK" });
    expect(a.dnskey.key.equals(b.dnskey.key)).toBe(true);
    expect(a.dnskey.key.equals(c.dnskey.key)).toBe(false);
    expect(dsFromDnskey("shop.test.", a.dnskey).digest).toEqual(dsFromDnskey("shop.test.", b.dnskey).digest);
    const data = Buffer.from("the signed data");
    const signature = sign(algorithm === 13 ? "sha256" : null, data, { key: a.privateKey, dsaEncoding: "ieee-p1363" });
    expect(verify(algorithm === 13 ? "sha256" : null, data, { key: publicKeyOf(b.dnskey)!, dsaEncoding: "ieee-p1363" }, signature)).toBe(true);
  });
  it("refuses to make an RSA key from a seed", () => {
    expect(isAppLayerError((() => { try { generateZoneKey(8, { seed: "x" }); } catch (e) { return e; } })(), "BAD_ARGUMENT")).toBe(true);
  });
});
