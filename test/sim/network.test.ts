import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../lib/src/sim/clock";
import { SimNetwork } from "../../lib/src/sim/network";
import { Random } from "../../lib/src/sim/random";
import { serveUdpUpper } from "../../lib/src/sockets/udp-upper";
import { ping } from "../../lib/src/sockets/pinger";

describe("VirtualClock", () => {
  it("runs events in time order, ties in scheduling order, and skips cancelled ones", () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimer(() => log.push(`b@${c.now()}`), 20);
    c.setTimer(() => log.push(`a@${c.now()}`), 10);
    const t = c.setTimer(() => log.push("cancelled"), 15);
    c.setTimer(() => log.push(`c@${c.now()}`), 20);
    c.clearTimer(t);
    while (c.runNext());
    expect(log).toEqual(["a@10", "b@20", "c@20"]);
  });
  it("orders 10,000 random events correctly", () => {
    const c = new VirtualClock();
    const rng = new Random(3);
    const seen: number[] = [];
    for (let i = 0; i < 10_000; i++) c.setTimer(() => seen.push(c.now()), rng.next() * 1000);
    while (c.runNext());
    expect(seen.length).toBe(10_000);
    expect(seen.every((t, i) => i === 0 || seen[i - 1] <= t)).toBe(true);
  });
});

describe("SimNetwork", () => {
  it("delivers after latency plus serialisation delay, queueing packets behind each other", async () => {
    // 1000 bytes at 8 Mbit/s take 1 ms to serialise; the second packet waits for the first.
    const sim = new SimNetwork().link("a", "b", { latencyMs: 10, bandwidthBps: 8e6 });
    const rx = sim.bindUdp({ host: "b", port: 1 });
    const tx = sim.bindUdp({ host: "a", port: 1 });
    const arrivals: number[] = [];
    rx.onMessage(() => arrivals.push(sim.clock.now()));
    tx.send(new Uint8Array(1000), rx.address);
    tx.send(new Uint8Array(1000), rx.address);
    sim.runSync();
    expect(arrivals).toEqual([11, 12]);
  });

  it("loses about the configured fraction, identically for the same seed", () => {
    const count = (seed: number) => {
      const sim = new SimNetwork({ seed, link: { loss: 0.25 } });
      const rx = sim.bindUdp({ host: "b", port: 1 });
      const tx = sim.bindUdp({ host: "a" });
      let got = 0;
      rx.onMessage(() => got++);
      for (let i = 0; i < 10_000; i++) tx.send(new Uint8Array(1), rx.address);
      sim.runSync();
      return got;
    };
    expect(count(1)).toBe(count(1));
    expect(count(1)).not.toBe(count(2));
    expect(Math.abs(count(1) / 10_000 - 0.75)).toBeLessThan(0.02);
  });

  it("reorders packets when there is jitter", () => {
    const sim = new SimNetwork({ seed: 5, link: { latencyMs: 5, jitterMs: 20 } });
    const rx = sim.bindUdp({ host: "b", port: 1 });
    const tx = sim.bindUdp({ host: "a" });
    const order: number[] = [];
    rx.onMessage((d) => order.push(d[0]));
    for (let i = 0; i < 50; i++) tx.send(Uint8Array.of(i), rx.address);
    sim.runSync();
    expect(order.length).toBe(50);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it("counts datagrams to a port nobody listens on as unreachable", () => {
    const sim = new SimNetwork();
    sim.bindUdp({ host: "a" }).send(new Uint8Array(1), { host: "b", port: 9 });
    sim.runSync();
    expect(sim.stats.unreachable).toBe(1);
  });

  it("lets a long chain of continuations run before virtual time moves on, and gives the event loop a turn during a long run", async () => {
    const sim = new SimNetwork({ link: { latencyMs: 5 } });
    const a = sim.bindUdp({ host: "10.0.0.1", port: 1 });
    const b = sim.bindUdp({ host: "10.0.0.2", port: 2 });
    const replies: number[] = [];
    // Each datagram's answer is sent only after 50 awaits: it must still leave at the time the datagram arrived.
    b.onMessage((_data, from) => void (async () => {
      for (let i = 0; i < 50; i++) await Promise.resolve();
      replies.push(sim.clock.now());
      b.send(new Uint8Array([1]), from);
    })());
    let heard = 0;
    a.onMessage(() => heard++);
    for (let i = 0; i < 3000; i++) sim.clock.setTimer(() => a.send(new Uint8Array([0]), b.address), i);
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    await sim.run();
    clearInterval(ticking);
    expect(replies).toEqual(Array.from({ length: 3000 }, (_, i) => i + 5));
    expect(heard).toBe(3000);
    expect(turns).toBeGreaterThan(0); // 9,000 events: a real timer fired in between
  });

  it("runs the same pinger as loopback, in virtual time", async () => {
    const sim = new SimNetwork({ seed: 7, link: { latencyMs: 20 } });
    const server = await serveUdpUpper({ network: sim, host: "128.119.245.12", port: 12000 });
    const report = await sim.runUntil(ping({ network: sim, target: server.address, count: 5, intervalMs: 1000 }));
    expect(report.received).toBe(5);
    expect(report.rtt!.min).toBeCloseTo(40, 6); // 20 ms each way, exactly: the clock is virtual
    expect(sim.clock.now()).toBeCloseTo(4040, 6); // 4 intervals + the last round trip
  });
});

describe("SimNetwork anycast", () => {
  /** Two sites announcing 10.0.0.2, an echo server on each saying which site it is, and two clients: one near each site. */
  function twoSites() {
    const sim = new SimNetwork({ link: { latencyMs: 50 } })
      .link("near-a", "site-a", { latencyMs: 2 }).link("near-a", "site-b", { latencyMs: 40 })
      .link("near-b", "site-a", { latencyMs: 40 }).link("near-b", "site-b", { latencyMs: 3 });
    sim.anycast("10.0.0.2", ["site-a", "site-b"]);
    for (const site of ["site-a", "site-b"]) {
      const server = sim.bindUdp({ host: site, port: 53 });
      server.onMessage((_d, from) => server.send(new TextEncoder().encode(site), from));
    }
    const ask = (host: string) => {
      const client = sim.bindUdp({ host });
      const replies: Array<{ site: string; from: string; at: number }> = [];
      client.onMessage((d, from) => replies.push({ site: new TextDecoder().decode(d), from: from.host, at: sim.clock.now() }));
      const sentAt = sim.clock.now();
      client.send(Uint8Array.of(1), { host: "10.0.0.2", port: 53 });
      return { replies, sentAt };
    };
    return { sim, ask };
  }

  it("delivers to the site nearest the sender, and the reply comes from the anycast address", () => {
    const { sim, ask } = twoSites();
    const a = ask("near-a");
    const b = ask("near-b");
    sim.runSync();
    expect(a.replies).toEqual([{ site: "site-a", from: "10.0.0.2", at: 4 }]);
    expect(b.replies).toEqual([{ site: "site-b", from: "10.0.0.2", at: 6 }]);
  });

  it("names the site that took each datagram in the packet events", () => {
    const { sim, ask } = twoSites();
    const sites: Array<string | undefined> = [];
    sim.onPacket((e) => sites.push(e.site));
    ask("near-b");
    sim.runSync();
    expect(sites).toEqual(["site-b", undefined]); // the query went to site-b; the reply is ordinary unicast
  });

  it("sends a withdrawn site's senders to the next nearest, and none at all when every site is withdrawn", () => {
    const { sim, ask } = twoSites();
    sim.anycast("10.0.0.2", ["site-b"]);
    const a = ask("near-a");
    sim.runSync();
    expect(a.replies).toEqual([{ site: "site-b", from: "10.0.0.2", at: 80 }]);
    sim.anycast("10.0.0.2", []);
    ask("near-a");
    sim.runSync();
    expect(sim.stats.unreachable).toBe(1);
  });

  it("breaks a tie in latency by the order the sites were listed", () => {
    const sim = new SimNetwork({ link: { latencyMs: 7 } }).anycast("10.0.0.2", ["x", "y"]);
    expect(sim.nearestSite("10.0.0.2", "anyone")).toBe("x");
    sim.anycast("10.0.0.2", ["y", "x"]);
    expect(sim.nearestSite("10.0.0.2", "anyone")).toBe("y");
  });

  it("refuses a site that already announces another address", () => {
    const sim = new SimNetwork().anycast("10.0.0.2", ["x"]);
    let code: string | undefined;
    try { sim.anycast("10.0.0.3", ["x"]); } catch (e) { code = (e as { code?: string }).code; }
    expect(code).toBe("BAD_ARGUMENT");
  });
});
