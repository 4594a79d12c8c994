/**
 * Real peers judge what our authoritative server serves from a zone with
 * wildcards, empty non-terminals, SRV and CAA (fixtures/dns/wild.test.zone),
 * signed by the lib with NSEC and with NSEC3; Knot serves the same signed file
 * as the control. A validating Unbound (stub zone, anchored at the zone's KSK)
 * authenticates every answer and denial (AD); drill -S chases each to the key;
 * DNSViz's probe and grok find no error or warning; dig renders our SRV and CAA
 * as it renders Knot's, in the RFCs' presentation format.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { DnsServer, serveDns } from "../../lib/src/dns/authoritative/server";
import { Zone } from "../../lib/src/dns/wire/zone";
import { DnsRecord } from "../../lib/src/dns/wire/codec";
import { fixtureZone } from "../dns/fixtures";
import { freePort, run } from "../helpers";
import { Peer, dnsviz, ready, startKnot, startUnbound, stopPeers } from "./dns-peers";

const ORIGIN = "wild.test.";
/** Each question, and the status a validator must authenticate. */
const QUESTIONS: Array<[string, string, string]> = [
  ["host.wild.wild.test.", "A", "NOERROR"], // wildcard answer
  ["a.b.wild.wild.test.", "TXT", "NOERROR"], // wildcard answer, two labels below
  ["host.wild.wild.test.", "MX", "NOERROR"], // wildcard NODATA
  ["foo.cname.wild.test.", "A", "NOERROR"], // wildcard CNAME, then its target
  ["ent.wild.test.", "A", "NOERROR"], // empty non-terminal
  ["b.ent.wild.test.", "TXT", "NOERROR"], // empty non-terminal
  ["www.wild.test.", "TXT", "NOERROR"], // NODATA
  ["x.sub.wild.wild.test.", "A", "NXDOMAIN"], // below a name that stops the wildcard
  ["nothere.wild.test.", "A", "NXDOMAIN"],
  ["_sip._udp.wild.test.", "SRV", "NOERROR"],
  ["wild.test.", "CAA", "NOERROR"],
];

describe.each(["NSEC", "NSEC3"])("a signed zone with wildcards, %s", (chain) => {
  let ours: DnsServer;
  let knotPort: number;
  let peers: Peer[] = [];
  let stopUnbound: () => Promise<void> = async () => undefined;
  let unboundPort: number;
  let anchor: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-wild-"));
    const ksk = generateZoneKey(13, { ksk: true });
    const signed = signZone(fixtureZone("wild.test.zone").records(), { origin: ORIGIN, ksk, zsk: generateZoneKey(13), nsec3: chain === "NSEC3" ? {} : undefined });
    writeFileSync(join(dir, "wild.test.signed"), `${signed.map(formatRecord).join("\n")}\n`);
    anchor = join(dir, "wild.test.key");
    writeFileSync(anchor, `${formatRecord({ name: ORIGIN, type: "DNSKEY", ttl: 3600, class: "IN", data: ksk.dnskey } as DnsRecord)}\n`);
    writeFileSync(join(dir, "root.hints"), ". 3600 NS nowhere.\nnowhere. 3600 A 127.0.0.254\n");
    ours = await serveDns({ zones: [new Zone(ORIGIN, signed)], host: "127.0.0.1", port: 0 });
    knotPort = await freePort();
    peers = [startKnot("127.0.0.1", knotPort, [{ origin: ORIGIN, file: join(dir, "wild.test.signed") }])];
    await ready(peers, "127.0.0.1", knotPort, ORIGIN);
    unboundPort = await freePort();
    stopUnbound = (await startUnbound({ host: "127.0.0.1", port: unboundPort }, { hints: join(dir, "root.hints"), trustAnchor: anchor, stub: { zone: ORIGIN, address: "127.0.0.1", port: ours.address.port } })).stop;
  }, 60_000);
  afterAll(async () => {
    await stopUnbound();
    await stopPeers(peers);
    await ours?.close();
  });

  const dig = (port: number, ...args: string[]) => run("dig", ["@127.0.0.1", "-p", String(port), ...args]);
  const answerLines = (out: string) => (/;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out)?.[1] ?? "").split("\n").filter(Boolean).sort();

  it.each(QUESTIONS)("%s %s: a validating Unbound authenticates the %s (AD)", async (name, type, status) => {
    const out = await dig(unboundPort, "+dnssec", name, type);
    expect(out).toContain(`status: ${status}`);
    expect(out, out).toMatch(/flags: qr rd ra ad;/);
  });

  it.each(QUESTIONS)("%s %s: the same status and answer as Knot serving the same file", async (name, type) => {
    const [a, b] = await Promise.all([dig(ours.address.port, "+norec", "+dnssec", name, type), dig(knotPort, "+norec", "+dnssec", name, type)]);
    expect(/status: (\w+)/.exec(a)?.[1]).toBe(/status: (\w+)/.exec(b)?.[1]);
    // Knot lowercases the names inside RDATA as it loads a zone (Backup.Wild.Test. in the SRV); we keep their case (RFC 4343 §4.1).
    expect(answerLines(a).map((l) => l.toLowerCase())).toEqual(answerLines(b).map((l) => l.toLowerCase()));
  });

  it("drill -S chases every answer and denial to the zone's key", { timeout: 60_000 }, async () => {
    for (const [name, type] of QUESTIONS) {
      const out = await run("drill", ["-S", "-k", anchor, "-p", String(ours.address.port), "@127.0.0.1", name, type], "", { timeoutMs: 20_000 });
      expect(out, `${name} ${type}\n${out}`).toContain(";; Chase successful");
      expect(out).not.toMatch(/Error|Bogus|failed/i);
    }
  });

  it("DNSViz (probe -A, grok) finds no error and no warning", { timeout: 180_000 }, async () => {
    const names = [...new Set(QUESTIONS.map(([n]) => n))];
    const findings = await dnsviz([{ zone: `${ORIGIN}+`, name: "ns.wild.test.", address: "127.0.0.1", port: ours.address.port }], names, anchor);
    expect(findings).toEqual([]);
  });

  it("dig renders our SRV and CAA as it renders Knot's, in RFC 2782's and RFC 8659's presentation format", async () => {
    for (const [name, type, golden] of [
      ["_sip._udp.wild.test.", "SRV", "10 60 5060 sip.wild.test.\n20 0 5060 Backup.Wild.Test.\n"],
      ["wild.test.", "CAA", '0 issue "letsencrypt.org"\n128 iodef "mailto:security@wild.test"\n'],
    ]) {
      const sorted = (s: string) => s.split("\n").filter(Boolean).sort().join("\n");
      const [a, b] = await Promise.all([dig(ours.address.port, "+short", "+norec", name, type), dig(knotPort, "+short", "+norec", name, type)]);
      expect(sorted(a)).toBe(sorted(golden));
      expect(sorted(b).toLowerCase()).toBe(sorted(golden).toLowerCase()); // Knot writes RDATA names in lower case
    }
  });
});
