/**
 * Zone signing checked by BIND's dnssec-verify: a zone signed by the lib, with a
 * delegation and its glue, is "fully signed" for algorithms 13, 15 and 8; after
 * one record is changed, dnssec-verify refuses it. And the canonical forms the
 * signatures rest on, against RFC 4034's own examples.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalRrset, compareNames, labelCount } from "../../lib/src/dns/dnssec/canonical";
import { DnssecAlgorithm, generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { base32hex, fromBase32hex } from "../../lib/src/dns/wire/nsec3-rdata";
import { nsec3Hash } from "../../lib/src/dns/dnssec/nsec3";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { DnsRecord } from "../../lib/src/dns/wire/codec";
import { CLI, run } from "../helpers";

const ZONE = `$ORIGIN example.test.
$TTL 3600
@ SOA ns hostmaster 1 7200 3600 604800 300
@ NS ns
@ MX 10 Mail.example.test.
ns A 127.0.0.9
www A 127.0.0.10
www A 127.0.0.11
Mail A 127.0.0.12
alias CNAME www
txt TXT "hello world"
a.deep TXT "below an empty non-terminal"
sub NS ns.sub
ns.sub A 127.0.0.13
`;

/** Runs dnssec-verify on a zone file: its exit status and what it said. */
const verify = (file: string) => run("dnssec-verify", ["-o", "example.test.", file], "", { timeoutMs: 60_000 }).then((out) => ({ ok: true, out }), (e: Error) => ({ ok: false, out: e.message }));

const CHAINS = [[13, "NSEC"], [15, "NSEC"], [8, "NSEC"], [13, "NSEC3"], [15, "NSEC3"], [8, "NSEC3"]] as Array<[DnssecAlgorithm, string]>;
describe.each(CHAINS)("a zone signed with algorithm %i and %s", (algorithm, chain) => {
  it("is fully signed for dnssec-verify, and refused once a record is changed", { timeout: 60_000 }, async () => {
    const nsec3 = chain === "NSEC3" ? { iterations: 2, salt: Buffer.from("cafe", "hex") } : undefined;
    const signed = signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk: generateZoneKey(algorithm, { ksk: true }), zsk: generateZoneKey(algorithm), nsec3 });
    // The delegation's NS and its glue are left unsigned; everything else has its RRSIG and NSEC.
    const sigs = signed.filter((r) => r.type === "RRSIG").map((r) => `${r.name} ${(r as { data: { typeCovered: string } }).data.typeCovered}`);
    expect(sigs).not.toContain("sub.example.test. NS");
    expect(sigs.some((s) => s.startsWith("ns.sub.example.test."))).toBe(false);
    if (!nsec3) expect(sigs).toContain("sub.example.test. NSEC");
    else expect(signed.filter((r) => r.type === "NSEC3").length).toBe(9); // 8 owners and the empty non-terminal deep.example.test.
    const file = join(mkdtempSync(join(tmpdir(), "applayer-signed-")), "example.test.zone");
    writeFileSync(file, `${signed.map(formatRecord).join("\n")}\n`);
    const good = await verify(file);
    expect(good.out, good.out).toContain("Zone fully signed");
    expect(good.ok).toBe(true);
    writeFileSync(file, readFileSync(file, "utf8").replace(/127\.0\.0\.10$/m, "127.0.0.99"));
    const bad = await verify(file);
    expect(bad.ok).toBe(false);
    expect(bad.out).toMatch(/No correct \S+ signature for www\.example\.test A/);
  });
});

describe("NSEC3 (RFC 5155)", () => {
  it("hashes as RFC 5155 Appendix A's example does", () => {
    const salt = Buffer.from("aabbccdd", "hex");
    expect(base32hex(nsec3Hash("example.", salt, 12))).toBe("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    expect(base32hex(nsec3Hash("a.example.", salt, 12))).toBe("35mthgpgcu1qg68fab165klnsnk3dpvl");
    expect(fromBase32hex("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom")).toEqual(nsec3Hash("EXAMPLE", salt, 12));
  });

  it("dnssec-verify notices a chain with a hash missing (the empty non-terminal's)", { timeout: 60_000 }, async () => {
    const signed = signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk: generateZoneKey(13, { ksk: true }), nsec3: {} });
    const ent = `${base32hex(nsec3Hash("deep.example.test.", Buffer.alloc(0), 0))}.example.test.`;
    const without = signed.filter((r) => r.name !== ent);
    expect(without.length).toBeLessThan(signed.length);
    const file = join(mkdtempSync(join(tmpdir(), "applayer-signed-")), "example.test.zone");
    writeFileSync(file, `${without.map(formatRecord).join("\n")}\n`);
    const out = await verify(file);
    expect(out.ok).toBe(false);
    expect(out.out).toMatch(/NSEC3|Missing|bad/i);
  });

  it("refuses iterations past RFC 9276's cap in zone files and when signing", () => {
    expect(() => parseZone("$ORIGIN t.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NSEC3PARAM 1 0 151 -\n")).toThrow(/iterations 151 are over the limit of 150/);
    expect(() => parseZone("$ORIGIN t.\n$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NSEC3PARAM 1 0 150 zz\n")).toThrow(/salt is neither hex/);
    expect(() => signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk: generateZoneKey(13, { ksk: true }), nsec3: { iterations: 500 } })).toThrow(/over the limit/);
  });
});

describe("canonical forms (RFC 4034 §6)", () => {
  it("orders names as RFC 4034 §6.1's example does", () => {
    const ordered = ["example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example."];
    expect([...ordered].reverse().sort(compareNames)).toEqual(ordered);
  });
  it("orders an RRset by its RDATA and drops duplicates; lowercases the names inside RDATA that §6.2 lists", () => {
    const rr = (data: unknown, type = "A") => ({ name: "x.test", type, ttl: 60, class: "IN", data }) as DnsRecord;
    expect(canonicalRrset([rr("10.0.0.2"), rr("10.0.0.1"), rr("10.0.0.2")]).map((r) => (r as { data: string }).data)).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(canonicalRrset([rr({ preference: 10, exchange: "MAIL.x.test" }, "MX"), rr({ preference: 10, exchange: "mail.x.test" }, "MX")])).toHaveLength(1);
  });
  it("counts labels without a leading wildcard (RFC 4034 §3.1.3)", () => {
    expect([labelCount("www.example.test."), labelCount("*.example.test."), labelCount(".")]).toEqual([3, 2, 0]);
  });
});

describe("applayer dnssec sign", () => {
  it("signs a zone file that dnssec-verify accepts, keeps its keys for the next run, and writes the parent's DS", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-cli-sign-"));
    writeFileSync(join(dir, "example.test.zone"), ZONE);
    const sign = (out: string) => run(process.execPath, [CLI, "dnssec", "sign", join(dir, "example.test.zone"), "--origin", "example.test.", "-o", join(dir, out), "--algorithm", "15", "--keys", join(dir, "keys"), "--ds-out", join(dir, "ds"), "--expiration", "+864000"], "", { timeoutMs: 60_000 });
    expect(await sign("signed")).toMatch(/^signed example\.test\. with ED25519: \d+ signatures, 8 NSEC records/);
    expect((await verify(join(dir, "signed"))).ok).toBe(true);
    const keysBefore = readdirSync(join(dir, "keys")).sort();
    expect(keysBefore.filter((f) => f.endsWith(".key"))).toHaveLength(2);
    await sign("signed-again");
    expect(readdirSync(join(dir, "keys")).sort()).toEqual(keysBefore); // the same KSK and ZSK, reused
    const bindDs = await run("dnssec-dsfromkey", ["-2", "-f", join(dir, "signed"), "example.test."]);
    const ours = readFileSync(join(dir, "ds"), "utf8");
    const field = (text: string) => text.trim().split(/\s+/).slice(-4).join(" ");
    expect(field(ours)).toBe(field(bindDs));
    // --nsec3: the same keys, an NSEC3 chain (no salt, no extra iterations), which dnssec-verify accepts too.
    const sign3 = await run(process.execPath, [CLI, "dnssec", "sign", join(dir, "example.test.zone"), "--origin", "example.test.", "-o", join(dir, "signed3"), "--algorithm", "15", "--keys", join(dir, "keys"), "--nsec3"], "", { timeoutMs: 60_000 });
    expect(sign3).toMatch(/\d+ signatures, 9 NSEC3 records/);
    expect(readFileSync(join(dir, "signed3"), "utf8")).toMatch(/NSEC3PARAM 1 0 0 -/);
    expect((await verify(join(dir, "signed3"))).ok).toBe(true);
  });
  it("refuses an algorithm it does not sign with, naming the flag", async () => {
    const e = await run(process.execPath, [CLI, "dnssec", "sign", "x.zone", "--origin", "x.", "-o", "y", "--algorithm", "5"]).catch((x: Error) => x.message);
    expect(e).toContain("--algorithm must be one of 8, 13, 15");
  });
});
