/**
 * The DNSSEC commands as a user runs them: dns-world --dnssec writes its trust
 * anchor; `applayer dig --dnssec` validates through a recursive server (as delv
 * does) or by itself (--iterative), printing the verdict and the chain; a
 * dns-resolver given --trust-anchor sets AD for dig. A zone with wildcards, SRV
 * and CAA goes through `dnssec sign` (dnssec-verify accepts it) and `dns-server`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, CliServer, run, startCli } from "../helpers";
import { FIXTURES } from "../dns/fixtures";

let world: CliServer;
let resolver: CliServer | undefined;
const dir = mkdtempSync(join(tmpdir(), "applayer-dnssec-cli-"));
const anchor = join(dir, "root.key");
const hints = join(dir, "root.hints");

beforeAll(async () => {
  world = await startCli(["dns-world", "--port", "0", "--dnssec", "--trust-anchor-out", anchor, "--hints-out", hints]);
}, 60_000);
afterAll(async () => {
  await resolver?.stop();
  await world?.stop();
});

/** Runs applayer; resolves with its output and exit status. */
const applayer = (...args: string[]) => run(process.execPath, [CLI, ...args]).then((out) => ({ code: 0, out }), (e: Error) => ({ code: 1, out: e.message }));

describe("applayer dig --dnssec", () => {
  it("through the world's local DNS server: secure, with the chain from the root's key", { timeout: 30_000 }, async () => {
    const at = `@${world.address.host}:${world.address.port}`;
    const { code, out } = await applayer("dig", "gaia.cs.umass.edu", "A", at, "--dnssec", "--trust-anchor", anchor);
    expect(code).toBe(0);
    expect(out).toContain(";; DNSSEC: secure");
    for (const step of [/secure\s+\.\s+DNSKEY \(KSK \d+, ZSK \d+\), matches the trust anchor/, /secure\s+edu\.\s+DS \(signed by \.\)/, /secure\s+cs\.umass\.edu\.\s+gaia\.cs\.umass\.edu\. A/]) expect(out).toMatch(step);
  });
  it("the bogus zone: exit 1, the reason and its EDE code", { timeout: 30_000 }, async () => {
    const { code, out } = await applayer("dig", "www.ibm.com", "A", `@${world.address.host}:${world.address.port}`, "--dnssec", "--trust-anchor", anchor);
    expect(code).toBe(1);
    expect(out).toMatch(/;; DNSSEC: bogus \(NO_ZONE_KEY_MATCHES_DS, EDE 9\)/);
  });
  it("--iterative: our own resolver walks and validates; the insecure delegation says why", { timeout: 30_000 }, async () => {
    const { out } = await applayer("dig", "engineering.nyu.edu", "A", "--iterative", "--root-hints", hints, "--upstream-port", String(world.address.port), "--dnssec", "--trust-anchor", anchor);
    expect(out).toMatch(/;; DNSSEC: insecure: nyu\.edu\. has no DS at edu\./);
  });
  it("--dnssec without a trust anchor is refused, naming the flag", async () => {
    const { code, out } = await applayer("dig", "x.test", "--dnssec");
    expect(code).toBe(1);
    expect(out).toContain("--dnssec needs --trust-anchor FILE");
  });
});

describe("applayer dns-resolver --trust-anchor", () => {
  it("validates: dig sees AD on a secure answer, and 0x20 queries still resolve", { timeout: 30_000 }, async () => {
    resolver = await startCli(["dns-resolver", "--listen", "127.0.0.1:0", "--root-hints", hints, "--upstream-port", String(world.address.port), "--trust-anchor", anchor, "--mixed-case"]);
    const out = await run("dig", ["@127.0.0.1", "-p", String(resolver.address.port), "+dnssec", "gaia.cs.umass.edu"]);
    expect(out).toMatch(/flags: qr rd ra ad;/);
    expect(out).toMatch(/127\.53\.10\.12/);
  });
  it("refuses a trust-anchor file with no DS or DNSKEY in it", { timeout: 30_000 }, async () => {
    const { code, out } = await applayer("dns-resolver", "--listen", "127.0.0.1:0", "--root-hints", hints, "--trust-anchor", hints);
    expect(code).toBe(1);
    expect(out).toContain("a trust anchor needs DS or DNSKEY records");
  });
});

describe("applayer dnssec sign and dns-server, on a zone with wildcards, SRV and CAA", () => {
  it.each([[[]], [["--nsec3"]]])("signs it (%j) so that dnssec-verify accepts it, and serves the wildcard's answer signed, SRV and CAA", { timeout: 60_000 }, async (flags) => {
    const signed = join(dir, `wild.test.signed${flags.join("")}`);
    const { code, out } = await applayer("dnssec", "sign", join(FIXTURES, "wild.test.zone"), "--origin", "wild.test.", "-o", signed, "--keys", join(dir, "wild-keys"), ...flags);
    expect(code, out).toBe(0);
    expect(await run("dnssec-verify", ["-o", "wild.test.", signed], "", { timeoutMs: 30_000 })).toContain("Zone fully signed");
    const server = await startCli(["dns-server", "--zone", signed, "--listen", "127.0.0.1:0"]);
    try {
      const dig = (...args: string[]) => run("dig", ["@127.0.0.1", "-p", String(server.address.port), "+norec", ...args]);
      const wild = await dig("+dnssec", "host.wild.wild.test", "A");
      expect(wild).toMatch(/host\.wild\.wild\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.77/);
      expect(wild).toMatch(/host\.wild\.wild\.test\.\s+3600\s+IN\s+RRSIG\s+A 13 3 /); // labels 3: the wildcard's
      expect(wild).toMatch(flags.length ? /IN\s+NSEC3\s/ : /\*\.wild\.wild\.test\.\s+\d+\s+IN\s+NSEC\s/); // no closer name exists
      expect(await dig("+short", "_sip._udp.wild.test", "SRV")).toContain("10 60 5060 sip.wild.test.");
      expect(await dig("+short", "wild.test", "CAA")).toContain('0 issue "letsencrypt.org"');
    } finally {
      await server.stop();
    }
  });
});
