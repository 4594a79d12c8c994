import { describe, expect, it } from "vitest";
import { applyUpdate, decodeUpdate, encodeUpdate, isUpdate, sendUpdate, UpdateMessage, UpdateRecord } from "../../lib/src/dns/authoritative/update";
import { SimNetwork } from "../../lib/src/sim/network";
import { startWorld } from "../../lib/src/dns/world/textbook";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { isAppLayerError } from "../../lib/src/errors";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, fixtureZone } from "./fixtures";

const msg = (updates: UpdateRecord[], prerequisites: UpdateRecord[] = []): UpdateMessage => ({ id: 1, zone: { name: "umass.edu", type: "SOA" }, prerequisites, updates });
const values = (zone: ReturnType<typeof fixtureZone>, name: string) => zone.at(name).map((r) => `${r.type} ${rrTuple(r).value}`);
const serial = (zone: ReturnType<typeof fixtureZone>) => (zone.soa as { data: { serial: number } }).data.serial;

describe("applyUpdate (RFC 2136)", () => {
  it("adds a record and bumps the serial; adding it again changes nothing", () => {
    const z = fixtureZone("umass.edu.zone");
    const add = msg([{ name: "new.umass.edu", type: "A", class: "IN", ttl: 60, data: "127.0.1.99" }]);
    expect(applyUpdate(z, add)).toBe("NOERROR");
    expect(values(z, "new.umass.edu")).toEqual(["A 127.0.1.99"]);
    expect(serial(z)).toBe(2024010102);
    applyUpdate(z, add);
    expect([values(z, "new.umass.edu").length, serial(z)]).toEqual([1, 2024010102]);
  });
  it("deletes an RRset (class ANY), one record (class NONE), or a whole name (ANY ANY)", () => {
    const z = fixtureZone("umass.edu.zone");
    applyUpdate(z, msg([{ name: "cs.umass.edu", type: "MX", class: "NONE", ttl: 0, data: { preference: 20, exchange: "mail.umass.edu" } }]));
    expect(values(z, "cs.umass.edu")).toEqual(["MX 10 mail.cs.umass.edu."]);
    applyUpdate(z, msg([{ name: "gaia.cs.umass.edu", type: "TXT", class: "ANY", ttl: 0 }]));
    expect(values(z, "gaia.cs.umass.edu")).toEqual(["A 127.0.1.12"]);
    applyUpdate(z, msg([{ name: "gaia.cs.umass.edu", type: "ANY", class: "ANY", ttl: 0 }]));
    expect(z.exists("gaia.cs.umass.edu")).toBe(false);
  });
  it("never deletes the apex SOA or NS", () => {
    const z = fixtureZone("umass.edu.zone");
    applyUpdate(z, msg([{ name: "umass.edu", type: "ANY", class: "ANY", ttl: 0 }]));
    expect(values(z, "umass.edu").map((v) => v.split(" ")[0]).sort()).toEqual(["NS", "SOA"]);
  });
  it.each([
    ["name must exist", { name: "nosuch.umass.edu", type: "ANY", class: "ANY" }, "NXDOMAIN"],
    ["RRset must exist", { name: "gaia.cs.umass.edu", type: "MX", class: "ANY" }, "NXRRSET"],
    ["name must not exist", { name: "gaia.cs.umass.edu", type: "ANY", class: "NONE" }, "YXDOMAIN"],
    ["RRset must not exist", { name: "gaia.cs.umass.edu", type: "A", class: "NONE" }, "YXRRSET"],
    ["exact values", { name: "gaia.cs.umass.edu", type: "A", class: "IN", data: "127.0.1.99" }, "NXRRSET"],
    ["outside the zone", { name: "www.nyu.edu", type: "ANY", class: "ANY" }, "NOTZONE"],
  ] as const)("refuses the whole update when a prerequisite fails: %s", (_what, pre, rcode) => {
    const z = fixtureZone("umass.edu.zone");
    const before = z.records().length;
    expect(applyUpdate(z, msg([{ name: "x.umass.edu", type: "A", class: "IN", ttl: 5, data: "127.0.0.9" }], [{ ttl: 0, ...pre }]))).toBe(rcode);
    expect(z.records().length).toBe(before);
  });
});

describe("decodeUpdate", () => {
  // Captured from nsupdate (BIND 9.18): "update delete gaia.cs.umass.edu. A", then "update add … 60 A 127.0.1.13".
  const wire = readFileSync(join(FIXTURES, "nsupdate-delete-add.bin"));
  it("reads class ANY records with empty rdata, and a compressed name", () => {
    expect(isUpdate(wire)).toBe(true);
    const m = decodeUpdate(wire);
    expect(m.zone).toEqual({ name: "umass.edu", type: "SOA" });
    expect(m.updates).toEqual([
      { name: "gaia.cs.umass.edu", type: "A", class: "ANY", ttl: 0 },
      { name: "gaia.cs.umass.edu", type: "A", class: "IN", ttl: 60, data: "127.0.1.13" },
    ]);
  });
  it("refuses a record that runs past the end with DNS_FORMAT", () => {
    let err: unknown;
    try {
      decodeUpdate(Buffer.from("a1b228000001000000010000" + "05756d617373036564750000060001" + "c00c00010001000000000004", "hex"));
    } catch (e) {
      err = e;
    }
    expect(isAppLayerError(err, "DNS_FORMAT")).toBe(true);
  });
});

describe("encodeUpdate and sendUpdate", () => {
  it("round-trips nsupdate's captured message through our encoder", () => {
    const m = decodeUpdate(readFileSync(join(FIXTURES, "nsupdate-delete-add.bin")));
    expect(decodeUpdate(encodeUpdate(m))).toEqual(m);
  });
  it("changes an address on a live server, and the local server serves the old one until the TTL runs out", async () => {
    const sim = new SimNetwork({ seed: 1 });
    const world = await startWorld({ network: sim, port: 53, allowUpdate: true });
    const gaia = async () => rrTuple((await sim.runUntil(world.resolver.resolver.resolve("gaia.cs.umass.edu", "A"))).answers[0]).value;
    expect(await gaia()).toBe("127.53.10.12");
    const rcode = await sim.runUntil(sendUpdate({ host: "127.53.2.2", port: 53 }, {
      id: 7, zone: { name: "cs.umass.edu", type: "SOA" }, prerequisites: [],
      updates: [{ name: "gaia.cs.umass.edu", type: "A", class: "ANY", ttl: 0 }, { name: "gaia.cs.umass.edu", type: "A", class: "IN", ttl: 3600, data: "127.53.10.13" }],
    }, { network: sim, source: { host: "127.0.0.1" } }));
    expect(rcode).toBe("NOERROR");
    const at = async (s: number) => {
      sim.clock.setTimer(() => undefined, s * 1000 - sim.clock.now());
      await sim.run();
      return gaia();
    };
    // The copy was cached a few (virtual) milliseconds after t = 0, with TTL 3600 s.
    expect(await at(3599)).toBe("127.53.10.12"); // stale, a second before the cached copy expires
    expect(await at(3601)).toBe("127.53.10.13"); // fresh, a second after
  });
  it("is refused from a client off loopback", async () => {
    const sim = new SimNetwork({ seed: 1 });
    await startWorld({ network: sim, port: 53, allowUpdate: true });
    const rcode = await sim.runUntil(sendUpdate({ host: "127.53.2.2", port: 53 }, {
      id: 8, zone: { name: "cs.umass.edu", type: "SOA" }, prerequisites: [], updates: [{ name: "x.cs.umass.edu", type: "A", class: "IN", ttl: 60, data: "127.0.0.1" }],
    }, { network: sim, source: { host: "192.0.2.66" } }));
    expect(rcode).toBe("REFUSED");
  });
});
