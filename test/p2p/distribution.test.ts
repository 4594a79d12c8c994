import { describe, expect, it } from "vitest";
import { clientServerTime, distributionBound, fluidModelTime } from "../../lib/src/p2p/distribution";

// Kurose & Ross's example (§2.5.1, Figure 2.23): F/u = 1 hour, u_s = 10u, d_min ≥ u_s.
const u = 1;
const F = 3600;
const base = { fileBytes: F, serverUpload: 10 * u, minDownload: 10 * u };

describe("distribution time", () => {
  it("client-server grows linearly with N: N·F/u_s once the server is the bottleneck", () => {
    expect(clientServerTime({ ...base, peers: 1 })).toBe(F / (10 * u)); // F/d_min = F/u_s = 0.1 h
    expect(clientServerTime({ ...base, peers: 30 }) / 3600).toBe(3); // 30 copies at 10u: 3 hours
  });
  it("P2P stays under an hour for any N (the textbook's curve)", () => {
    for (const N of [1, 10, 30, 100, 1000, 1e6]) {
      const d = distributionBound({ ...base, peers: N, peerUploads: u });
      expect(d).toBeLessThanOrEqual(F / u);
    }
    expect(distributionBound({ ...base, peers: 30, peerUploads: u }) / 3600).toBeCloseTo(30 / 40, 10); // N·F/(u_s + N·u)
  });
  it("takes heterogeneous uploads as a list", () => {
    expect(distributionBound({ fileBytes: 100, peers: 2, serverUpload: 1, peerUploads: [1, 2], minDownload: 100 })).toBe(100);
    expect(distributionBound({ fileBytes: 100, peers: 4, serverUpload: 4, peerUploads: [1, 1, 1, 1], minDownload: 100 })).toBe(50);
  });
  it("the fluid model with η = 1 meets the bound, and a lower η takes longer", () => {
    const o = { fileBytes: F, peers: 100, serverUpload: 10 * u, peerUpload: u };
    const bound = distributionBound({ ...base, peers: 100, peerUploads: u });
    expect(fluidModelTime({ ...o, eta: 1 }) / bound).toBeCloseTo(1, 2);
    expect(fluidModelTime({ ...o, eta: 0.5 })).toBeGreaterThan(1.2 * bound);
  });
});
