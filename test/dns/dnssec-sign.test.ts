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
import { formatRecord } from "../../lib/src/dns/records";
import { parseZone } from "../../lib/src/dns/zone";
import { DnsRecord } from "../../lib/src/dns/codec";
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
sub NS ns.sub
ns.sub A 127.0.0.13
`;

/** Runs dnssec-verify on a zone file: its exit status and what it said. */
const verify = (file: string) => run("dnssec-verify", ["-o", "example.test.", file], "", { timeoutMs: 60_000 }).then((out) => ({ ok: true, out }), (e: Error) => ({ ok: false, out: e.message }));

describe.each([13, 15, 8] as DnssecAlgorithm[])("a zone signed with algorithm %i", (algorithm) => {
  it("is fully signed for dnssec-verify, and refused once a record is changed", { timeout: 60_000 }, async () => {
    const signed = signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk: generateZoneKey(algorithm, { ksk: true }), zsk: generateZoneKey(algorithm) });
    // The delegation's NS and its glue are left unsigned; everything else has its RRSIG and NSEC.
    const sigs = signed.filter((r) => r.type === "RRSIG").map((r) => `${r.name} ${(r as { data: { typeCovered: string } }).data.typeCovered}`);
    expect(sigs).not.toContain("sub.example.test. NS");
    expect(sigs.some((s) => s.startsWith("ns.sub.example.test."))).toBe(false);
    expect(sigs).toContain("sub.example.test. NSEC");
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
    expect(await sign("signed")).toMatch(/^signed example\.test\. with ED25519: \d+ signatures, 7 NSEC records/);
    expect((await verify(join(dir, "signed"))).ok).toBe(true);
    const keysBefore = readdirSync(join(dir, "keys")).sort();
    expect(keysBefore.filter((f) => f.endsWith(".key"))).toHaveLength(2);
    await sign("signed-again");
    expect(readdirSync(join(dir, "keys")).sort()).toEqual(keysBefore); // the same KSK and ZSK, reused
    const bindDs = await run("dnssec-dsfromkey", ["-2", "-f", join(dir, "signed"), "example.test."]);
    const ours = readFileSync(join(dir, "ds"), "utf8");
    const field = (text: string) => text.trim().split(/\s+/).slice(-4).join(" ");
    expect(field(ours)).toBe(field(bindDs));
  });
  it("refuses an algorithm it does not sign with, naming the flag", async () => {
    const e = await run(process.execPath, [CLI, "dnssec", "sign", "x.zone", "--origin", "x.", "-o", "y", "--algorithm", "5"]).catch((x: Error) => x.message);
    expect(e).toContain("--algorithm must be one of 8, 13, 15");
  });
});
