/**
 * Interop: the lib's local DNS server (applayer dns-resolver) resolves through a
 * hierarchy of the lib's authoritative servers on 127.0.0.2–4, and dig asks it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CLI, CliServer, freePort, run, startCli } from "../helpers";
import { FIXTURES } from "../dns/fixtures";

const servers: CliServer[] = [];
let resolver: CliServer;
let port = 0;


beforeAll(async () => {
  port = await freePort("127.0.0.2"); // one port for the whole hierarchy, as 53 would be
  for (const [host, zone] of [["127.0.0.2", "root.zone"], ["127.0.0.3", "edu.zone"], ["127.0.0.4", "umass.edu.zone"]]) {
    servers.push(await startCli(["dns-server", "--zone", join(FIXTURES, zone), "--listen", `${host}:${port}`]));
  }
  resolver = await startCli(["dns-resolver", "--listen", "127.0.0.1:0", "--root-hints", join(FIXTURES, "root.hints"), "--upstream-port", String(port)]);
});
afterAll(async () => {
  await Promise.all([resolver, ...servers].map((s) => s.stop()));
});

const dig = (...args: string[]) => run("dig", ["@127.0.0.1", "-p", String(resolver.address.port), "+nocookie", ...args]);

describe("dig asks applayer dns-resolver", () => {
  it("gets a recursive answer (qr rd ra, no aa) followed through a CNAME", async () => {
    const out = await dig("www.cs.umass.edu", "A");
    expect(out).toMatch(/;; flags: qr rd ra;/);
    expect(out).toMatch(/^www\.cs\.umass\.edu\.\s+\d+\s+IN\s+CNAME\s+gaia\.cs\.umass\.edu\.$/m);
    expect(out).toMatch(/^gaia\.cs\.umass\.edu\.\s+\d+\s+IN\s+A\s+127\.0\.1\.12$/m);
  });
  it("gets NXDOMAIN for a name that does not exist", async () => {
    expect(await dig("nosuch.umass.edu")).toMatch(/status: NXDOMAIN/);
  });
  it("answers a query without RD from its cache only", async () => {
    await dig("mail.umass.edu");
    expect(await dig("mail.umass.edu", "+norecurse")).toMatch(/^mail\.umass\.edu\.\s+\d+\s+IN\s+A\s+127\.0\.1\.25$/m);
    expect(await dig("never-asked.umass.edu", "+norecurse")).toMatch(/ANSWER: 0/);
  });
  it("answers over TCP too", async () => {
    expect(await dig("gaia.cs.umass.edu", "+tcp", "+short")).toBe("127.0.1.12\n");
  });
});

describe("applayer dig", () => {
  it("--iterative walks root → edu → umass.edu itself and prints each hop", async () => {
    const out = await run(process.execPath, [CLI, "dig", "gaia.cs.umass.edu", "--iterative", "--root-hints", join(FIXTURES, "root.hints"), "--upstream-port", String(port)]);
    const hops = out.split("\n").filter((l) => l.includes("→")).map((l) => l.split("→")[1].trim());
    expect(hops).toEqual(["referral to edu. (dns.edu)", "referral to umass.edu. (dns.umass.edu)", "answer"]);
  });
  it("asks a server like dig and prints dig's layout", async () => {
    const out = await run(process.execPath, [CLI, "dig", "cs.umass.edu", "MX", `@127.0.0.1:${resolver.address.port}`]);
    expect(out).toMatch(/;; flags: qr rd ra;/);
    expect(out).toMatch(/^cs\.umass\.edu\.\s+\d+\s+IN\s+MX\s+10 mail\.cs\.umass\.edu\.$/m);
  });
});
