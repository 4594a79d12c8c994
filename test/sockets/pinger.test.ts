import { describe, expect, it } from "vitest";
import { formatReport, ping, summarize } from "../../lib/src/sockets/pinger";
import { serveUdpUpper } from "../../lib/src/sockets/udp-upper";
import { startRelay } from "../../lib/src/sockets/relay";
import { measureReads } from "../../lib/src/sockets/stream";
import { SimNetwork } from "../../lib/src/sim/network";

const target = { host: "127.0.0.1", port: 1 };

describe("summarize", () => {
  it("counts loss and RTT min/avg/max like ping(8)", () => {
    const r = summarize(target, [
      { seq: 1, sentAt: 0, rttMs: 2 },
      { seq: 2, sentAt: 0 },
      { seq: 3, sentAt: 0, rttMs: 4 },
      { seq: 4, sentAt: 0, rttMs: 6 },
    ]);
    expect([r.sent, r.received, r.loss]).toEqual([4, 3, 0.25]);
    expect(r.rtt).toEqual({ min: 2, avg: 4, max: 6 });
    expect(formatReport(r)).toBe("4 sent, 3 received, 25.0% loss, rtt min/avg/max = 2.000/4.000/6.000 ms");
  });
  it("has no RTT when everything was lost", () => {
    expect(summarize(target, [{ seq: 1, sentAt: 0 }]).rtt).toBeUndefined();
  });
});

describe("ping through the lossy relay (real sockets)", () => {
  it("loses nothing through a clean relay, and round-trip loss through a lossy one", async () => {
    const server = await serveUdpUpper();
    const clean = await startRelay({ target: server.address });
    expect((await ping({ target: clean.address, count: 20, timeoutMs: 500 })).received).toBe(20);
    // Every datagram dropped: nothing can come back, and the relay says so.
    const dead = await startRelay({ target: server.address, loss: 1 });
    const r = await ping({ target: dead.address, count: 3, timeoutMs: 20 });
    expect(r.received).toBe(0);
    expect(dead.stats).toEqual({ forwarded: 0, dropped: 3 });
    await Promise.all([server.close(), clean.close(), dead.close()]);
  });
  it("delays by at least the configured delay in each direction", async () => {
    const server = await serveUdpUpper();
    const slow = await startRelay({ target: server.address, delayMs: 15 });
    const r = await ping({ target: slow.address, count: 3, timeoutMs: 1000 });
    expect(r.rtt!.min).toBeGreaterThanOrEqual(29);
    await Promise.all([server.close(), slow.close()]);
  });
});

describe("ping in the simulator", () => {
  it("measures round-trip loss 1 - (1 - p)^2 over many pings", async () => {
    const sim = new SimNetwork({ seed: 3, link: { latencyMs: 5, loss: 0.2 } });
    const server = await serveUdpUpper({ network: sim, host: "10.0.0.2", port: 7 });
    const r = await sim.runUntil(ping({ network: sim, target: server.address, count: 2000, timeoutMs: 50 }));
    expect(Math.abs(r.loss - 0.36)).toBeLessThan(0.04);
  });
});

describe("measureReads", () => {
  it("delivers every byte in order however the reads fall", async () => {
    const msgs = Array.from({ length: 50 }, (_, i) => `m${i};`);
    const r = await measureReads(msgs);
    expect(Buffer.concat(r.chunks).toString()).toBe(msgs.join(""));
    expect(r.writes).toBe(50);
  });
  it("splits one large write into several reads", async () => {
    const r = await measureReads([Buffer.alloc(1 << 20)]);
    expect(r.bytes).toBe(1 << 20);
    expect(r.reads).toBeGreaterThan(1);
  });
});
