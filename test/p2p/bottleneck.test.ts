import { describe, expect, it } from "vitest";
import { bindingBySimulation, simulatedTime } from "../../lib/src/p2p/bottleneck";

const u = 1024 * 1024;
const F = 64 * u;

describe("the binding term, by experiment on the simulator", () => {
  it("a server slower than one peer binds, whatever the swarm's size: doubling it halves the time", () => {
    const r = bindingBySimulation({ fileBytes: F, peers: 30, serverUpload: u / 2, peerUpload: u, minDownload: 10 * u });
    expect(r.term).toBe("server upload");
    expect(r.seconds["server upload"]).toBeLessThan(0.7 * r.seconds["as is"]);
  });
  it("slow downloads bind a small swarm, the peers' upload a large one", () => {
    const setting = { fileBytes: F, serverUpload: 4 * u, peerUpload: u, minDownload: 2 * u };
    expect(bindingBySimulation({ ...setting, peers: 1 }).term).toBe("slowest download");
    expect(bindingBySimulation({ ...setting, peers: 100 }).term).toBe("total upload");
  });
  it("a lone peer at the server's rate takes F/u_s, as the bound says", () => {
    expect(simulatedTime({ fileBytes: F, peers: 1, serverUpload: 2 * u, peerUpload: u, minDownload: 4 * u })).toBe(32);
  });
});
