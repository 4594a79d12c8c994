/**
 * Our authoritative server serving signed zones, checked by BIND's delv with a
 * trust anchor: answers, NXDOMAIN and NODATA are "fully validated", whether the
 * zone was signed by the lib or by BIND's dnssec-signzone; a changed record makes
 * delv refuse the answer; a referral carries the NSEC that proves there is no DS.
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { DnsServer, serveDns } from "../../lib/src/dns/authoritative/server";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { signWithBind } from "./dns-peers";

const ORIGIN = "example.test.";
const ZONE = `$ORIGIN example.test.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\nns A 127.0.0.1\nwww A 127.0.0.10\nsub NS ns.sub\nns.sub A 127.0.0.13\n`;
let server: DnsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs a BIND tool without blocking this process (our server answers in it); resolves with all it printed. */
const tool = (cmd: string, args: string[]) => new Promise<string>((done) => execFile(cmd, args, { timeout: 30_000 }, (_e, out, err) => done(`${out}${err}`)));

/** Serves a signed zone's text and asks delv, with the KSK (flags 257) as its trust anchor. */
async function delvAgainst(signedText: string, anchorKey: string) {
  server = await serveDns({ zones: [parseZone(signedText)], port: 0 });
  const anchor = join(mkdtempSync(join(tmpdir(), "applayer-anchor-")), "anchor.conf");
  writeFileSync(anchor, `trust-anchors { ${ORIGIN} static-key 257 3 13 "${anchorKey}"; };\n`);
  const port = String(server.address.port);
  return (name: string, type: string) => tool("delv", ["@127.0.0.1", "-p", port, "-a", anchor, `+root=${ORIGIN}`, name, type]);
}

describe("delv validates what our server serves", () => {
  it.each(["NSEC", "NSEC3"])("from a zone the lib signed with %s: answers and both kinds of negative answer; a changed record fails", { timeout: 60_000 }, async (chain) => {
    const ksk = generateZoneKey(13, { ksk: true });
    const nsec3 = chain === "NSEC3" ? {} : undefined;
    const text = signZone(parseZone(ZONE).records(), { origin: ORIGIN, ksk, zsk: generateZoneKey(13), nsec3 }).map(formatRecord).join("\n");
    const delv = await delvAgainst(text, ksk.dnskey.key.toString("base64"));
    expect(await delv("www.example.test.", "A")).toMatch(/; fully validated\nwww\.example\.test\.\s+3600\s+IN\s+A\s+127\.0\.0\.10/);
    expect(await delv("nothere.example.test.", "A")).toMatch(/; negative response, fully validated[\s\S]*NXDOMAIN/);
    expect(await delv("www.example.test.", "TXT")).toMatch(/; negative response, fully validated[\s\S]*NXRRSET/);
    expect(await delv("deeper.sub2.example.test.", "A")).toMatch(/; negative response, fully validated[\s\S]*NXDOMAIN/);
    await server!.close();
    const tampered = await delvAgainst(text.replace(/127\.0\.0\.10$/m, "127.0.0.66"), ksk.dnskey.key.toString("base64"));
    const out = await tampered("www.example.test.", "A");
    expect(out).not.toContain("fully validated");
    expect(out).toMatch(/resolution failed|validation failed|RRSIG failed to verify/i);
  });

  it("from a zone BIND's dnssec-signzone signed", { timeout: 60_000 }, async () => {
    const { signed, kskFile } = await signWithBind(ZONE, ORIGIN);
    const kskKey = readFileSync(kskFile, "utf8").trim().split("\n").pop()!.split(/\s+/).slice(6).join(""); // NAME IN DNSKEY 257 3 13 KEY…
    const delv = await delvAgainst(signed, kskKey);
    expect(await delv("www.example.test.", "A")).toContain("; fully validated");
    expect(await delv("nothere.example.test.", "A")).toContain("; negative response, fully validated");
  });

  it("dig +dnssec: a referral carries the NSEC that proves the delegation has no DS, signed", { timeout: 30_000 }, async () => {
    const ksk = generateZoneKey(13, { ksk: true });
    server = await serveDns({ zones: [parseZone(signZone(parseZone(ZONE).records(), { origin: ORIGIN, ksk }).map(formatRecord).join("\n"))], port: 0 });
    const dig = await tool("dig", ["@127.0.0.1", "-p", String(server.address.port), "+dnssec", "+norec", "sub.example.test.", "A"]);
    expect(dig).toMatch(/AUTHORITY SECTION:[\s\S]*sub\.example\.test\.\s+\d+\s+IN\s+NSEC\s+www\.example\.test\. NS RRSIG NSEC[\s\S]*RRSIG\s+NSEC 13/);
    expect(dig).toMatch(/; EDNS: version: 0, flags: do;/); // the DO bit echoed (RFC 3225)
    const plain = await tool("dig", ["@127.0.0.1", "-p", String(server.address.port), "+norec", "www.example.test.", "A"]);
    expect(plain).not.toContain("RRSIG");
  });
});
