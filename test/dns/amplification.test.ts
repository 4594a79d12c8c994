/**
 * Amplification factors from really encoded bytes: a signed DNSKEY answer with DO
 * is many times its query, RSA more than ECDSA; minimal ANY keeps ANY small.
 */
import { describe, expect, it } from "vitest";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { amplificationOf, floodQuery } from "../../lib/src/dns/attacks/amplification";
import { generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { encodeMessage } from "../../lib/src/dns/wire/codec";

const ZONE = `$ORIGIN example.test.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\nns A 127.0.0.9\nwww A 127.0.0.10\ntxt TXT "${"x".repeat(200)}" "${"y".repeat(200)}"\n`;
const signed = (algorithm: 8 | 13) => new Authority([parseZone(signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk: generateZoneKey(algorithm, { ksk: true }), zsk: generateZoneKey(algorithm) }).map(formatRecord).join("\n"))]);

describe("amplification", () => {
  it("is the reply's encoded size over the query's", () => {
    const a = amplificationOf(new Authority([parseZone(ZONE)]), floodQuery("www.example.test", "A"));
    expect(a.queryBytes).toBe(encodeMessage(floodQuery("www.example.test", "A")).length);
    expect(a.replyBytes).toBeGreaterThan(a.queryBytes);
    expect(a.factor).toBeCloseTo(a.replyBytes / a.queryBytes, 1);
  });
  it("grows with DNSSEC: DNSKEY with DO, RSA keys above ECDSA ones", () => {
    const ecdsa = amplificationOf(signed(13), floodQuery("example.test", "DNSKEY", { dnssec: true }));
    const rsa = amplificationOf(signed(8), floodQuery("example.test", "DNSKEY", { dnssec: true }));
    const plain = amplificationOf(signed(13), floodQuery("www.example.test", "A"));
    expect(ecdsa.factor).toBeGreaterThan(plain.factor * 3);
    expect(rsa.replyBytes).toBeGreaterThan(ecdsa.replyBytes * 2);
  });
  it("stays small for ANY, which gets one RRset (RFC 8482)", () => {
    const any = amplificationOf(signed(13), floodQuery("example.test", "ANY"));
    expect(any.factor).toBeLessThan(amplificationOf(signed(13), floodQuery("example.test", "DNSKEY", { dnssec: true })).factor);
  });
});
