/**
 * Interop: Unbound, a standard recursive resolver, resolves through the lib's
 * DNS world from the root hints file the world writes (so the world runs on
 * port 53, on its own 127.53.x addresses).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorld, World, worldHintsText } from "../../lib/src/dns/world";
import { run } from "../helpers";
import { startUnbound } from "./dns-peers";

let world: World;
let stopUnbound: () => Promise<void>;
const UNBOUND = { host: "127.53.0.99", port: 53 };

beforeAll(async () => {
  world = await startWorld({ port: 53 });
  const hints = join(mkdtempSync(join(tmpdir(), "applayer-hints-")), "root.hints");
  writeFileSync(hints, worldHintsText());
  stopUnbound = (await startUnbound(UNBOUND, { hints })).stop;
}, 60_000);
afterAll(async () => {
  await stopUnbound?.();
  await world?.close();
});

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
