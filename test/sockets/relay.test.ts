import { describe, expect, it } from "vitest";
import { startRelay } from "../../lib/src/sockets/relay";
import { RELAY_MAX_DELAY_MS } from "../../lib/src/sockets/limits";
import { overtaken } from "../../lib/src/sockets/charts";
import { SimNetwork } from "../../lib/src/sim/network";
import { Random } from "../../lib/src/sim/random";
import { isAppLayerError } from "../../lib/src/errors";

/** Sends datagrams 1…count at once through a relay on a simulated network; resolves with the numbers in the order they arrived. */
async function throughRelay(count: number, impairment: { delayMs?: number; jitterMs?: number; seed?: number }): Promise<number[]> {
  const sim = new SimNetwork({ seed: 1, link: { latencyMs: 2 } });
  const receiver = await sim.openUdp({ host: "10.0.0.2", port: 9 });
  const arrived: number[] = [];
  receiver.onMessage((data) => arrived.push(Number(Buffer.from(data).toString())));
  const relay = await startRelay({ network: sim, host: "10.0.0.1", port: 7, target: receiver.address, ...impairment });
  const sender = await sim.openUdp({ host: "10.0.0.3" });
  for (let n = 1; n <= count; n++) sender.send(Buffer.from(String(n)), relay.address);
  await sim.run();
  await relay.close();
  return arrived;
}

describe("the relay's jitter reorders datagrams", () => {
  it("without jitter, datagrams sent together arrive in the order sent", async () => {
    expect(await throughRelay(20, { delayMs: 3 })).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("with jitter, each datagram waits its own random delay, and they arrive in the order of those delays", async () => {
    const arrived = await throughRelay(20, { delayMs: 1, jitterMs: 20, seed: 5 });
    // The relay draws one number in [0, 1) per datagram from its seed, in the order they came in.
    const draws = new Random(5);
    const delays = Array.from({ length: 20 }, (_, i) => ({ n: i + 1, ms: draws.next() * 20 }));
    expect(arrived).toEqual(delays.sort((a, b) => a.ms - b.ms).map((d) => d.n));
    expect([...arrived].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1)); // reordered, none lost
    expect(overtaken(arrived)).toBeGreaterThan(0);
  });
});

describe("overtaken", () => {
  it("counts the datagrams that came in after a higher-numbered one", () => {
    expect(overtaken([1, 2, 3])).toBe(0);
    expect(overtaken([1, 3, 2, 4])).toBe(1);
    expect(overtaken([5, 1, 2, 3, 4])).toBe(4);
    expect(overtaken([])).toBe(0);
  });
});

describe("RELAY_MAX_DELAY_MS", () => {
  const target = { host: "127.0.0.1", port: 9 };
  const refused = (o: object) => startRelay({ target, ...o }).then(async (r) => (await r.close(), "started"), (e) => (isAppLayerError(e, "BAD_ARGUMENT") ? "BAD_ARGUMENT" : e));

  it("a relay may hold a datagram up to the cap, delay and jitter together", async () => {
    expect(await refused({ delayMs: RELAY_MAX_DELAY_MS / 2, jitterMs: RELAY_MAX_DELAY_MS / 2 })).toBe("started");
  });
  it("one millisecond past the cap is refused before anything is bound", async () => {
    expect(await refused({ delayMs: RELAY_MAX_DELAY_MS / 2, jitterMs: RELAY_MAX_DELAY_MS / 2 + 1 })).toBe("BAD_ARGUMENT");
    expect(await refused({ delayMs: RELAY_MAX_DELAY_MS + 1 })).toBe("BAD_ARGUMENT");
  });
  it("a negative delay or a loss that is not a probability is refused", async () => {
    expect(await refused({ jitterMs: -1 })).toBe("BAD_ARGUMENT");
    expect(await refused({ loss: 1.5 })).toBe("BAD_ARGUMENT");
    expect(await refused({ loss: Number.NaN })).toBe("BAD_ARGUMENT");
    expect(await refused({ loss: 1 })).toBe("started");
  });
});
