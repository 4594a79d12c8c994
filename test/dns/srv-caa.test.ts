/**
 * SRV (RFC 2782) and CAA (RFC 8659): read from zone files, written back in
 * master-file syntax, encoded and decoded on the wire (the RDATA bytes checked
 * against the RFCs' layouts), their limits at the cap and one past it, and
 * signed: the signature covers the SRV target in lower case (RFC 4034 §6.2).
 */
import { describe, expect, it } from "vitest";
import { DnsMessage, DnsRecord, decodeMessage, encodeMessage } from "../../lib/src/dns/wire/codec";
import { canonicalRdata } from "../../lib/src/dns/dnssec/canonical";
import { generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { rrsetOf, rrsigsOf, validateRrset } from "../../lib/src/dns/dnssec/validate";
import { MAX_CAA_TAG_LENGTH } from "../../lib/src/dns/wire/limits";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { isAppLayerError } from "../../lib/src/errors";
import { fixtureZone } from "./fixtures";

const zone = fixtureZone("wild.test.zone");
const values = (name: string, type: string) => zone.at(name).filter((r) => r.type === type).map((r) => rrTuple(r).value);
const HEAD = "$ORIGIN t.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n";
const refusal = (line: string) => {
  try {
    parseZone(`${HEAD}${line}\n`);
    return "accepted";
  } catch (e) {
    return isAppLayerError(e, "ZONE_SYNTAX") ? "ZONE_SYNTAX" : String(e);
  }
};

describe("SRV and CAA in zone files", () => {
  it("reads them and writes them back as dig prints them", () => {
    expect(values("_sip._udp.wild.test", "SRV")).toEqual(["10 60 5060 sip.wild.test.", "20 0 5060 Backup.Wild.Test."]);
    expect(values("wild.test", "CAA")).toEqual(['0 issue "letsencrypt.org"', '128 iodef "mailto:security@wild.test"']);
  });
  it("round-trips them through the wire format", () => {
    const answers = [...zone.at("_sip._udp.wild.test"), ...zone.at("wild.test").filter((r) => r.type === "CAA")];
    const { message } = decodeMessage(encodeMessage({ id: 7, type: "response", flags: 0x8400, questions: [{ name: "wild.test", type: "CAA", class: "IN" }], answers } as DnsMessage));
    expect(message.answers!.map(rrTuple)).toEqual(answers.map(rrTuple));
  });
  it("lays out the RDATA as RFC 2782 and RFC 8659 §4.1 say: SRV's target uncompressed and (canonically) lower case; CAA's tag length-prefixed, its value to the end", () => {
    const [, backup] = zone.at("_sip._udp.wild.test");
    const name = (n: string) => Buffer.concat([...n.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
    expect(canonicalRdata(backup).toString("hex")).toBe(Buffer.concat([Buffer.from([0, 20, 0, 0, 0x13, 0xc4]), name("backup.wild.test")]).toString("hex"));
    const caa = zone.at("wild.test").find((r) => r.type === "CAA")!;
    expect(canonicalRdata(caa)).toEqual(Buffer.concat([Buffer.from([0, 5]), Buffer.from("issue"), Buffer.from("letsencrypt.org")]));
  });
  it("refuses what RFC 8659 and RFC 2782 do not allow, each limit at the cap and one past it", () => {
    expect(refusal(`@ CAA 0 ${"a".repeat(MAX_CAA_TAG_LENGTH)} "x"`)).toBe("accepted");
    expect(refusal(`@ CAA 0 ${"a".repeat(MAX_CAA_TAG_LENGTH + 1)} "x"`)).toBe("ZONE_SYNTAX");
    expect(refusal('@ CAA 0 is-sue "x"')).toBe("ZONE_SYNTAX"); // letters and digits only
    expect([refusal('@ CAA 255 issue "x"'), refusal('@ CAA 256 issue "x"')]).toEqual(["accepted", "ZONE_SYNTAX"]);
    expect([refusal("_s._tcp SRV 0 0 65535 h"), refusal("_s._tcp SRV 0 0 65536 h")]).toEqual(["accepted", "ZONE_SYNTAX"]);
    expect(refusal("_s._tcp SRV 0 0 h")).toBe("ZONE_SYNTAX"); // a field missing
  });
  it("signs and validates them; the signature does not depend on the target's case", () => {
    const ksk = generateZoneKey(13, { ksk: true });
    const signed = signZone(zone.records(), { origin: "wild.test.", ksk });
    for (const [n, t] of [["_sip._udp.wild.test.", "SRV"], ["wild.test.", "CAA"]]) {
      expect(validateRrset(rrsetOf(signed, n, t), rrsigsOf(signed, n, t), [ksk.dnskey]), `${n} ${t}`).toEqual({ status: "secure" });
    }
    const lower = rrsetOf(signed, "_sip._udp.wild.test.", "SRV").map((r) => ({ ...r, data: { ...(r as { data: object }).data, target: String((r as { data: { target: string } }).data.target).toLowerCase() } }) as DnsRecord);
    expect(validateRrset(lower, rrsigsOf(signed, "_sip._udp.wild.test.", "SRV"), [ksk.dnskey])).toEqual({ status: "secure" });
    expect(signed.find((r) => r.type === "NSEC" && r.name === "wild.test.")).toMatchObject({ data: { rrtypes: expect.arrayContaining(["CAA"]) } });
  });
});
