/**
 * Interop: dig (BIND 9's client) queries the lib's authoritative server, started
 * through the `applayer dns-server` CLI, and gets what a real server would say.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CliServer, run, startCli } from "../helpers";
import { FIXTURES } from "../dns/fixtures";

let server: CliServer;
beforeAll(async () => {
  const zones = ["umass.edu.zone", "lessons.test.zone", "1.0.127.in-addr.arpa.zone"].flatMap((z) => ["--zone", join(FIXTURES, z)]);
  server = await startCli(["dns-server", ...zones, "--listen", "127.0.0.1:0"]);
});
afterAll(() => server.stop());

/** dig's answer, taken apart: header flags, status, and the records of each section. */
async function dig(...args: string[]) {
  const out = await run("dig", [`@127.0.0.1`, "-p", String(server.address.port), "+norecurse", "+nocookie", ...args]);
  const flags = /;; flags: ([a-z ]*);/.exec(out)?.[1].split(" ") ?? [];
  const status = /status: (\w+)/.exec(out)?.[1];
  const section = (name: string) => {
    const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(out);
    return m ? m[1].split("\n").filter((l) => l && !l.startsWith(";")).map((l) => l.split(/\s+/).filter((w, i) => i !== 1).join(" ")) : [];
  };
  return { out, flags, status, answer: section("ANSWER"), authority: section("AUTHORITY"), additional: section("ADDITIONAL") };
}

describe("dig against applayer dns-server", () => {
  it("gets an authoritative answer (qr aa, no ra)", async () => {
    const r = await dig("gaia.cs.umass.edu", "A");
    expect(r.status).toBe("NOERROR");
    expect(r.flags).toEqual(["qr", "aa"]);
    expect(r.answer).toEqual(["gaia.cs.umass.edu. IN A 127.0.1.12"]);
  });
  it("gets a referral with glue (no aa)", async () => {
    const r = await dig("host.sub.lessons.test", "A");
    expect(r.flags).toEqual(["qr"]);
    expect(r.answer).toEqual([]);
    expect(r.authority).toEqual(["sub.lessons.test. IN NS ns.sub.lessons.test."]);
    expect(r.additional).toContain("ns.sub.lessons.test. IN A 127.0.2.53");
  });
  it("gets NXDOMAIN with the SOA in authority", async () => {
    const r = await dig("nosuch.cs.umass.edu", "A");
    expect(r.status).toBe("NXDOMAIN");
    expect(r.authority).toEqual(["umass.edu. IN SOA dns.umass.edu. hostmaster.umass.edu. 2024010101 3600 900 604800 300"]);
  });
  it("gets TC over UDP, then the whole answer when it retries over TCP", async () => {
    const truncated = await dig("big.lessons.test", "TXT", "+noedns", "+ignore");
    expect(truncated.flags).toContain("tc");
    const full = await dig("big.lessons.test", "TXT", "+noedns");
    expect(full.out).toMatch(/Truncated, retrying in TCP mode/);
    expect(full.answer.length).toBe(6);
  });
  it("gets a CNAME and its target", async () => {
    expect((await dig("www.cs.umass.edu", "A")).answer).toEqual(["www.cs.umass.edu. IN CNAME gaia.cs.umass.edu.", "gaia.cs.umass.edu. IN A 127.0.1.12"]);
  });
  it("gets a PTR for a reverse lookup (dig -x)", async () => {
    expect((await dig("-x", "127.0.1.12")).answer).toEqual(["12.1.0.127.in-addr.arpa. IN PTR gaia.cs.umass.edu."]);
  });
  it("gets REFUSED for a zone the server does not serve", async () => {
    expect((await dig("www.example.com", "A")).status).toBe("REFUSED");
  });
  it("gets the same answer over TCP as over UDP", async () => {
    // As a set: the two MX records rotate round-robin between queries.
    expect((await dig("cs.umass.edu", "MX", "+tcp")).answer.sort()).toEqual((await dig("cs.umass.edu", "MX")).answer.sort());
  });
});

describe("nsupdate against applayer dns-server --allow-update", () => {
  let updatable: CliServer;
  beforeAll(async () => {
    updatable = await startCli(["dns-server", "--zone", join(FIXTURES, "umass.edu.zone"), "--listen", "127.0.0.1:0", "--allow-update"]);
  });
  afterAll(() => updatable.stop());
  const nsupdate = (port: number, lines: string[], tcp = false) =>
    run("nsupdate", tcp ? ["-v"] : [], [`server 127.0.0.1 ${port}`, "zone umass.edu.", ...lines, "send", ""].join("\n")).then(() => "ok", (e) => String(e));
  const short = (port: number, ...q: string[]) => run("dig", ["@127.0.0.1", "-p", String(port), "+short", ...q]);

  it("adds a record over UDP, and the serial goes up", async () => {
    expect(await nsupdate(updatable.address.port, ["update add newhost.cs.umass.edu. 300 A 127.0.1.99"])).toBe("ok");
    expect(await short(updatable.address.port, "newhost.cs.umass.edu")).toBe("127.0.1.99\n");
    expect((await short(updatable.address.port, "umass.edu", "SOA")).split(" ")[2]).toBe("2024010102");
  });
  it("changes an address over TCP (delete the RRset, add the new one)", async () => {
    expect(await nsupdate(updatable.address.port, ["update delete gaia.cs.umass.edu. A", "update add gaia.cs.umass.edu. 60 A 127.0.1.13"], true)).toBe("ok");
    expect(await short(updatable.address.port, "gaia.cs.umass.edu")).toBe("127.0.1.13\n");
  });
  it("is refused by a server started without --allow-update", async () => {
    expect(await nsupdate(server.address.port, ["update add x.umass.edu. 60 A 127.0.1.1"])).toMatch(/REFUSED/);
  });
});
