import { describe, expect, it } from "vitest";
import { simulateSwarm, SwarmResult } from "../../lib/src/p2p/swarm";
import { CLI, run } from "../helpers";

const MiB = 1 << 20;
const ideal = { seedUpload: 10 * MiB, upload: MiB };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const times = (r: SwarmResult, klass: string) => r.peers.filter((p) => p.class === klass && p.finished !== undefined).map((p) => p.finished! - p.arrived);

describe("swarm simulator", () => {
  it("is deterministic: the same seed gives the same run, another seed another", () => {
    const a = simulateSwarm({ peers: 200, pieces: 64, seed: 7, ...ideal });
    const b = simulateSwarm({ peers: 200, pieces: 64, seed: 7, ...ideal });
    const c = simulateSwarm({ peers: 200, pieces: 64, seed: 8, ...ideal });
    expect(b.peers.map((p) => p.finished)).toEqual(a.peers.map((p) => p.finished));
    expect(c.peers.map((p) => p.finished)).not.toEqual(a.peers.map((p) => p.finished));
  });

  it("moves exactly the bytes the peers need, and no peer finishes before the bound allows", () => {
    const r = simulateSwarm({ peers: 300, pieces: 64, seed: 1, ...ideal });
    const needed = 300 * 64 * 256 * 1024;
    expect(Math.round(r.peers.reduce((s, p) => s + p.downloaded, 0))).toBe(needed);
    expect(Math.round(r.peers.reduce((s, p) => s + p.uploaded, 0))).toBe(needed);
    expect(r.finishTime).toBeGreaterThanOrEqual(r.lowerBound);
  });

  it("at scale, in the ideal case (flash crowd, no churn, everyone altruistic), finishes within 10% of the lower bound", () => {
    const r = simulateSwarm({ peers: 10_000, pieces: 1024, seed: 1, ...ideal });
    expect(r.peers.every((p) => p.finished !== undefined)).toBe(true);
    expect(r.finishTime / r.lowerBound).toBeLessThanOrEqual(1.1);
    expect(r.finishTime / r.lowerBound).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it("tit-for-tat: free-riders, living on optimistic unchokes and the seed, take far longer; without it they barely notice", () => {
    // Peers leave when done (seedTime 0), so the only unconditional giver is the original seed.
    const run = (titForTat: boolean) => simulateSwarm({ peers: 400, pieces: 128, seed: 3, ...ideal, freeRiders: 0.2, seedTime: 0, titForTat });
    const slowdown = (r: SwarmResult) => mean(times(r, "free-rider")) / mean(times(r, "altruistic"));
    const withTft = run(true);
    expect(withTft.peers.filter((p) => p.class === "free-rider").every((p) => p.uploaded === 0)).toBe(true);
    expect(slowdown(withTft)).toBeGreaterThan(1.5);
    expect(slowdown(run(false))).toBeLessThan(1.2);
  });

  it("rarest first keeps every piece alive when the seed leaves; sequential loses pieces", () => {
    // The only seed uploads slowly and leaves early (churn); selfish peers leave as soon as they finish.
    const run = (picker: "rarest" | "sequential") =>
      simulateSwarm({ peers: 300, pieces: 128, seed: 5, picker, seedUpload: 2 * MiB, upload: MiB, selfish: 1, seedTime: 0, maxTime: 400, seedLeavesAt: 60 });
    const rarest = run("rarest");
    const sequential = run("sequential");
    const done = (r: SwarmResult) => r.peers.filter((p) => p.class !== "seed" && p.finished !== undefined).length;
    expect(done(rarest)).toBeGreaterThan(done(sequential));
    const lastCopies = (r: SwarmResult) => Math.min(...r.availability.filter((a) => a.t === r.availability[r.availability.length - 1].t).map((a) => a.copies));
    expect(lastCopies(sequential)).toBe(0);
  });

  it("churn: peers arrive as a Poisson process; selfish ones leave when done, altruistic ones seed a while", () => {
    const r = simulateSwarm({ peers: 50, pieces: 64, seed: 2, ...ideal, arrivals: { rate: 2, until: 60 }, selfish: 0.5, seedTime: 20, maxTime: 2000 });
    const late = r.peers.filter((p) => p.arrived > 0);
    expect(late.length).toBeGreaterThan(80);
    expect(late.length).toBeLessThan(170);
    for (const p of r.peers.filter((x) => x.class === "selfish" && x.finished !== undefined)) expect(p.left).toBe(p.finished);
    for (const p of r.peers.filter((x) => x.class === "altruistic" && x.left !== undefined)) expect(p.left! - p.finished!).toBeGreaterThanOrEqual(20);
    expect(r.population.some((s) => s.seeds > 1)).toBe(true);
  });
});

describe("watching one peer", () => {
  // A small swarm with churn: newcomers arrive, some leechers give up, finished ones seed for a minute.
  const churning = { peers: 30, pieces: 128, seedUpload: MiB, upload: MiB / 4, neighbors: 8, arrivals: { rate: 0.3, until: 200 }, abortRate: 0.004, seedTime: 60, maxTime: 300, seed: 11 };
  const run = simulateSwarm({ ...churning, watch: 1 });
  const me = run.peers[1];

  it("records nothing unless asked, and watching changes nothing in the run", () => {
    const unwatched = simulateSwarm(churning);
    expect(unwatched.watched).toEqual([]);
    expect(run.peers).toEqual(unwatched.peers);
  });

  it("records a round every 10 s while the peer is in the swarm, a new optimistic unchoke every 30 s", () => {
    const ts = run.watched.map((r) => r.t);
    expect(ts).toEqual(Array.from({ length: ts.length }, (_, i) => 10 * (i + 1)));
    expect(ts.length).toBeGreaterThan(10);
    expect(ts[ts.length - 1]).toBeLessThanOrEqual(me.left ?? Infinity);
    expect(run.watched.filter((r) => r.newOptimistic).map((r) => r.t)).toEqual(ts.filter((t) => t % 30 === 0));
    expect(run.watched.map((r) => r.seeding)).toEqual(ts.map((t) => me.finished !== undefined && t >= me.finished));
  });

  it("unchokes only neighbours: at most four regular ones, and an optimistic one besides them", () => {
    for (const r of run.watched) {
      expect(r.regular.length).toBeLessThanOrEqual(4);
      expect(new Set(r.regular).size).toBe(r.regular.length);
      for (const n of r.regular) expect(r.neighbours).toContain(n);
      if (r.optimistic !== undefined) {
        expect(r.neighbours).toContain(r.optimistic);
        expect(r.regular).not.toContain(r.optimistic);
      }
    }
  });

  it("its neighbours are peers in the swarm at the time, and under churn the set changes: some leave, newcomers connect", () => {
    for (const r of run.watched) {
      for (const n of r.neighbours) {
        const p = run.peers[n];
        expect(n).not.toBe(1);
        expect(p.arrived).toBeLessThanOrEqual(r.t);
        expect(p.left === undefined || p.left >= r.t).toBe(true);
      }
    }
    const first = new Set(run.watched[0].neighbours);
    const everyone = new Set(run.watched.flatMap((r) => r.neighbours));
    expect([...first].some((n) => run.peers[n].left !== undefined && run.peers[n].left! < run.watched[run.watched.length - 1].t)).toBe(true);
    expect([...everyone].some((n) => !first.has(n) && run.peers[n].arrived > 0)).toBe(true);
  });
});

describe("applayer swarm", () => {
  it("prints a JSON summary with every completion time, the lower bound and the wall time", async () => {
    const out = JSON.parse(await run(process.execPath, [CLI, "swarm", "--peers", "200", "--pieces", "32", "--json"]));
    expect(out.completionTimes).toHaveLength(200);
    expect(out.completionTimes.every((t: number | null) => t !== null && t > 0)).toBe(true);
    expect(out.finishTime).toBe(Math.max(...out.completionTimes));
    expect(out.ratioToBound).toBeGreaterThanOrEqual(1);
    expect(typeof out.wallMs).toBe("number");
  });
  it("refuses a bad option with a clear message", async () => {
    const e = await run(process.execPath, [CLI, "swarm", "--peers", "10", "--pieces", "4", "--free-riders", "2"]).catch((x) => String(x));
    expect(e).toMatch(/--free-riders is a fraction between 0 and 1/);
  });
});
