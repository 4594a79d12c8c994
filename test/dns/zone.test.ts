import { describe, expect, it } from "vitest";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { formatRecord, rrTuple } from "../../lib/src/dns/wire/records";
import { isAppLayerError } from "../../lib/src/errors";
import { fixtureZone } from "./fixtures";

describe("parseZone on the zones the real servers serve", () => {
  it("reads umass.edu: $TTL, $ORIGIN, @, relative names, a multi-line SOA, TXT", () => {
    const z = fixtureZone("umass.edu.zone");
    expect(z.origin).toBe("umass.edu");
    expect(z.at("gaia.cs.umass.edu").map(rrTuple)).toEqual([
      { name: "gaia.cs.umass.edu.", value: "127.0.1.12", type: "A", ttl: 3600 },
      { name: "gaia.cs.umass.edu.", value: '"textbook host gaia.cs.umass.edu (loopback copy)"', type: "TXT", ttl: 3600 },
    ]);
    expect(rrTuple(z.soa).value).toBe("dns.umass.edu. hostmaster.umass.edu. 2024010101 3600 900 604800 300");
    expect(z.at("CS.UMASS.EDU").map((r) => rrTuple(r).value)).toEqual(["10 mail.cs.umass.edu.", "20 mail.umass.edu."]);
  });
  it("reads the root zone, whose comments sit inside the SOA's parentheses", () => {
    const z = fixtureZone("root.zone");
    expect(z.origin).toBe("");
    expect(z.at("edu").map((r) => [r.type, (r as { ttl: number }).ttl])).toEqual([["NS", 172800]]);
    expect(rrTuple(z.soa).value).toBe("a.root-servers.net. hostmaster.root-servers.net. 2024010101 1800 900 604800 86400");
  });
  it("inherits the owner from the line above, and knows empty non-terminals exist", () => {
    const z = fixtureZone("lessons.test.zone");
    expect(z.at("www.lessons.test").length).toBe(3);
    expect(z.exists("b.c.lessons.test")).toBe(true);
    expect(z.exists("x.lessons.test")).toBe(false);
  });
  it("prints records in master-file syntax", () => {
    expect(formatRecord(fixtureZone("umass.edu.zone").at("www.cs.umass.edu")[0]).split(/\s+/)).toEqual(["www.cs.umass.edu.", "3600", "IN", "CNAME", "gaia.cs.umass.edu."]);
  });
  it("accepts TTL units and the TTL before or after the class", () => {
    const z = parseZone("$ORIGIN t.\n@ 1h IN SOA ns h 1 1 1 1 1\nx IN 2d A 127.0.0.1\n", {});
    expect(z.at("x.t").map((r) => (r as { ttl: number }).ttl)).toEqual([172800]);
  });
});

describe("parseZone refuses bad zones with the line number", () => {
  const soa = "$ORIGIN t.\n$TTL 60\n@ IN SOA ns h 1 1 1 1 1\n";
  it.each([
    ["an unknown type", `${soa}x IN WKS 1\n`, 4],
    ["a bad IPv4 address", `${soa}x IN A 300.1.1.1\n`, 4],
    ["an A record with two addresses", `${soa}x IN A 127.0.0.1 127.0.0.2\n`, 4],
    ["an MX without preference", `${soa}x IN MX mail\n`, 4],
    ["a label of 64 octets", `${soa}${"a".repeat(64)} IN A 127.0.0.1\n`, 4],
    ["an unclosed parenthesis", `${soa}x IN SOA ( ns h 1 1 1 1 1\n`, 5],
    ["an unterminated quote", `${soa}x IN TXT "never closed\n`, 4],
    ["a relative name before $ORIGIN", "$TTL 60\nx IN A 127.0.0.1\n", 2],
    ["a record outside the zone", `${soa}other.example. IN A 127.0.0.1\n`, 4],
    ["no TTL anywhere", "$ORIGIN t.\n@ IN NS ns\n", 2],
    ["an unsupported directive", `${soa}$INCLUDE other.zone\n`, 4],
    ["class CH", `${soa}x CH A 127.0.0.1\n`, 4],
    ["a TXT string of 256 octets", `${soa}x IN TXT "${"a".repeat(256)}"\n`, 4],
  ])("%s", (_what, text, line) => {
    let err: unknown;
    try {
      parseZone(text, { file: "t.zone" });
    } catch (e) {
      err = e;
    }
    expect(isAppLayerError(err, "ZONE_SYNTAX")).toBe(true);
    expect((err as { detail: { line?: number } }).detail.line).toBe(line);
  });
  it("refuses a zone without SOA", () => {
    expect(() => parseZone("$ORIGIN t.\n$TTL 5\n@ IN NS ns\n")).toThrow(expect.objectContaining({ code: "ZONE_SYNTAX" }));
  });
  it("accepts a label of exactly 63 octets and a TXT string of exactly 255", () => {
    const z = parseZone(`${soa}${"a".repeat(63)} IN TXT "${"b".repeat(255)}"\n`);
    expect(z.records().length).toBe(2);
  });
});
