/**
 * Interop: Unbound, a standard recursive resolver, resolves through the lib's
 * DNS world from the root hints file the world writes (so the world runs on
 * port 53, on its own 127.53.x addresses). The world is signed (DNSSEC): a second
 * Unbound, validating from the world's trust anchor, marks its answers
 * authenticated (AD), accepts the insecure delegation without AD, and refuses
 * the bogus zone with SERVFAIL. drill (-TD from the root hints, -S through
 * Unbound) and DNSViz (probe -A of every zone, grok) judge the signed world:
 * nothing wrong but the bogus ibm.com; nyu.edu is insecure by design.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorld, World, worldHintsText } from "../../lib/src/dns/world/textbook";
import { formatRecord } from "../../lib/src/dns/wire/records";
import { run } from "../helpers";
import { dnsviz, startUnbound } from "./dns-peers";

let world: World;
let dir: string;
let stopUnbound: () => Promise<void>;
let stopValidating: () => Promise<void>;
const UNBOUND = { host: "127.53.0.99", port: 53 };
const VALIDATING = { host: "127.53.0.98", port: 53 };

/** Starts the signed world on port 53 and both Unbounds on it (with a fresh cache each). */
async function startAll(options: { nsec3?: boolean } = {}): Promise<void> {
  world = await startWorld({ port: 53, dnssec: true, nsec3: options.nsec3 });
  dir = mkdtempSync(join(tmpdir(), "applayer-hints-"));
  writeFileSync(join(dir, "root.hints"), worldHintsText());
  writeFileSync(join(dir, "root.key"), `${formatRecord(world.trustAnchor!)}\n`);
  stopUnbound = (await startUnbound(UNBOUND, { hints: join(dir, "root.hints") })).stop;
  stopValidating = (await startUnbound(VALIDATING, { hints: join(dir, "root.hints"), trustAnchor: join(dir, "root.key") })).stop;
}
async function stopAll(): Promise<void> {
  await stopUnbound?.();
  await stopValidating?.();
  await world?.close();
}
beforeAll(() => startAll(), 60_000);
afterAll(() => stopAll());

const dig = (...args: string[]) => run("dig", [`@${UNBOUND.host}`, "-p", String(UNBOUND.port), "+short", ...args]);

describe("unbound resolves through the lib's world", () => {
  it("follows the delegations root → edu → umass.edu → cs.umass.edu", async () => {
    expect(await dig("gaia.cs.umass.edu")).toBe("127.53.10.12\n");
  });
  it("follows the seed's CNAME for www.ibm.com", async () => {
    expect(await dig("www.ibm.com")).toBe("servereast.backup2.ibm.com.\n127.53.10.90\n");
  });
  it("gets amazon's four addresses, the MX set and a reverse lookup", async () => {
    expect((await dig("www.amazon.com")).trim().split("\n").sort()).toEqual(["127.53.10.80", "127.53.10.81", "127.53.10.82", "127.53.10.83"]);
    expect((await dig("cs.umass.edu", "MX")).trim().split("\n").sort()).toEqual(["10 mail.cs.umass.edu.", "20 mail.umass.edu."]);
    expect(await dig("-x", "127.53.10.40")).toBe("engineering.nyu.edu.\n");
  });
  it("gets NXDOMAIN from the world for a name nobody serves", async () => {
    expect(await run("dig", [`@${UNBOUND.host}`, "-p", "53", "nosuch.nyu.edu"])).toMatch(/status: NXDOMAIN/);
  });
  it("was really served by the world's servers, root included", () => {
    const load = Object.fromEntries(world.load().map((l) => [l.server, l.queries]));
    expect(load["a.root-servers.net"] + load["b.root-servers.net"]).toBeGreaterThan(0);
    expect(load["dns.cs.umass.edu"]).toBeGreaterThan(0);
  });
});

describe("a validating unbound, anchored at the world's root key", () => {
  const ask = (name: string, type = "A") => run("dig", [`@${VALIDATING.host}`, "-p", "53", "+dnssec", name, type]);
  it("authenticates answers down the chain root → edu → umass.edu → cs.umass.edu (AD)", async () => {
    const out = await ask("gaia.cs.umass.edu");
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/flags: qr rd ra ad;/);
    expect(out).toMatch(/gaia\.cs\.umass\.edu\.\s+\d+\s+IN\s+A\s+127\.53\.10\.12/);
  });
  it("authenticates a signed NXDOMAIN", async () => {
    expect(await ask("nosuch.cs.umass.edu")).toMatch(/status: NXDOMAIN[\s\S]*flags: qr rd ra ad;/);
  });
  it("answers from the insecure delegation (nyu.edu has no DS) without AD", async () => {
    const out = await ask("engineering.nyu.edu");
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/flags: qr rd ra;/);
  });
  it("refuses the bogus zone (ibm.com's DS names another key) with SERVFAIL", async () => {
    expect(await ask("www.ibm.com")).toMatch(/status: SERVFAIL/);
  });
  it("authenticates the reverse lookup of gaia's address, through the empty non-terminals arpa. and 10.53.127.in-addr.arpa. (AD)", async () => {
    const out = await ask("12.10.53.127.in-addr.arpa", "PTR");
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/flags: qr rd ra ad;/);
    expect(await ask("arpa", "DS")).toMatch(/status: NOERROR[\s\S]*flags: qr rd ra ad;/);
  });
});

/** Names whose answers or denials are secure in the world. */
const SECURE = [["gaia.cs.umass.edu", "A"], ["12.10.53.127.in-addr.arpa", "PTR"], ["nosuch.cs.umass.edu", "A"], ["umass.edu", "TXT"], ["www.amazon.com", "A"], ["nothere.amazon.com", "A"], ["big.wikipedia.org", "TXT"]];

/** drill and DNSViz on the running world: the same judgement whatever denial chain it is signed with. */
function judgedByDrillAndDnsviz(): void {
  it("drill -TD traces each name from the root hints, every step trusted, none bogus", { timeout: 60_000 }, async () => {
    for (const [name, type] of SECURE) {
      const out = await run("drill", ["-TD", "-k", join(dir, "root.key"), "-r", join(dir, "root.hints"), name, type], "", { timeoutMs: 20_000 });
      expect(out, `${name} ${type}\n${out}`).not.toMatch(/^\[B\]|Error|failed/m); // [B]: bogus (the legend line starts with ";;")
      expect(out).toMatch(/\[T\]/);
    }
  });
  it("drill -S chases each answer and denial to the root's key, through Unbound", { timeout: 60_000 }, async () => {
    for (const [name, type] of SECURE) {
      const out = await run("drill", ["-S", "-k", join(dir, "root.key"), `@${UNBOUND.host}`, name, type], "", { timeoutMs: 20_000 });
      expect(out, `${name} ${type}\n${out}`).toContain(";; Chase successful");
    }
  });
  it("DNSViz finds nothing wrong in any zone but the deliberately bogus ibm.com", { timeout: 180_000 }, async () => {
    const servers = world.servers.map((s) => ({ zone: s.zone, name: s.name, address: s.address, port: 53 }));
    const zones = [...new Set(servers.map((s) => s.zone))];
    const findings = await dnsviz(servers, [...zones, ...SECURE.map(([n]) => n), "engineering.nyu.edu", "www.ibm.com"], join(dir, "root.key"));
    expect(findings.filter((f) => !f.at.startsWith("/ibm.com."))).toEqual([]);
    expect(findings.map((f) => f.code)).toContain("NO_SEP"); // ibm.com: its DS names another key
  });
}

describe("drill and DNSViz judge the signed world", () => judgedByDrillAndDnsviz());

describe("the world's own local DNS server validates too, and dig agrees with the validating unbound", () => {
  const ours = (...args: string[]) => run("dig", [`@${world.resolver.address.host}`, "-p", "53", "+dnssec", ...args]);
  const theirs = (...args: string[]) => run("dig", [`@${VALIDATING.host}`, "-p", "53", "+dnssec", ...args]);
  const verdict = (out: string) => `${/status: (\w+)/.exec(out)?.[1]} ${/flags: ([a-z ]+);/.exec(out)?.[1]}`;
  it.each([["gaia.cs.umass.edu", "A"], ["nosuch.cs.umass.edu", "A"], ["umass.edu", "TXT"], ["engineering.nyu.edu", "A"], ["www.ibm.com", "A"], ["www.amazon.com", "A"]])(
    "%s %s: the same status and AD bit as unbound", async (name, type) => {
      expect(verdict(await ours(name, type))).toBe(verdict(await theirs(name, type)));
    });
  it("a secure answer carries its RRSIG for a DO client, and none without DO", async () => {
    expect(await ours("gaia.cs.umass.edu")).toMatch(/gaia\.cs\.umass\.edu\.\s+\d+\s+IN\s+RRSIG\s+A 13 /);
    expect(await run("dig", [`@${world.resolver.address.host}`, "-p", "53", "gaia.cs.umass.edu"])).not.toContain("RRSIG");
  });
  it("the bogus zone: SERVFAIL with an Extended DNS Error that says why; with +cd the data comes through, without AD", async () => {
    const out = await ours("www.ibm.com");
    expect(out).toMatch(/status: SERVFAIL/);
    expect(out).toMatch(/; EDE: 9 \(DNSKEY Missing\): \(.*none of 2 DNSKEY\(s\) matches the DS/);
    const cd = await ours("+cd", "www.ibm.com");
    expect(cd).toMatch(/status: NOERROR/);
    expect(cd).toMatch(/flags: qr rd ra cd;/);
    expect(cd).toMatch(/servereast\.backup2\.ibm\.com\.\s+\d+\s+IN\s+A\s+127\.53\.10\.90/);
  });
});

describe("a record changed in the running world", () => {
  it("is bogus for the validating unbound and for our own resolver alike: SERVFAIL from both", async () => {
    const umass = world.servers.find((s) => s.zone === "umass.edu.")!.server.authority.zoneFor("umass.edu")!;
    (umass.at("mail.umass.edu").find((r) => r.type === "A") as { data: string }).data = "127.53.6.66";
    const status = (out: string) => /status: (\w+)/.exec(out)?.[1];
    expect(status(await run("dig", [`@${VALIDATING.host}`, "-p", "53", "+dnssec", "mail.umass.edu"]))).toBe("SERVFAIL");
    expect(status(await run("dig", [`@${world.resolver.address.host}`, "-p", "53", "+dnssec", "mail.umass.edu"]))).toBe("SERVFAIL");
    expect(status(await run("dig", [`@${UNBOUND.host}`, "-p", "53", "mail.umass.edu"]))).toBe("NOERROR"); // the non-validating one is fooled
  });
});

describe("the world signed with NSEC3 instead (a fresh world and fresh Unbounds)", () => {
  beforeAll(async () => {
    await stopAll();
    await startAll({ nsec3: true });
  }, 60_000);
  const ask = (...args: string[]) => run("dig", [`@${VALIDATING.host}`, "-p", "53", "+dnssec", ...args]);
  it.each(SECURE)("the validating Unbound authenticates %s %s (AD)", async (name, type) => {
    expect(await ask(name, type)).toMatch(/flags: qr rd ra ad;/);
  });
  it("nyu.edu stays insecure (NSEC3 proves edu. has no DS for it) and ibm.com bogus", async () => {
    expect(await ask("engineering.nyu.edu")).toMatch(/status: NOERROR[\s\S]*flags: qr rd ra;/);
    expect(await ask("www.ibm.com")).toMatch(/status: SERVFAIL/);
  });
  judgedByDrillAndDnsviz();
});
