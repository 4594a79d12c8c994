import type { PartialSubmission } from "../partials";

/**
 * Client-server right; the P2P bound forgets the swarm's upload (it is the client-server time again).
 * The fluid model is the bound itself (η = 1, every uploaded byte useful), and the binding terms
 * forget the downloads.
 */
const partial: PartialSubmission = {
  answers: {
    "formulas-solution": `function dcs(n: number): number {
  return Math.max((n * F) / (10 * u), F / (10 * u));
}
function dp2p(n: number): number {
  return Math.max((n * F) / (10 * u), F / (10 * u));
}
`,
    "fluid-solution": `function fluidTime(s: Setting): number {
  let held = 0;
  let t = 0;
  while (held < s.fileBytes) {
    const perPeer = Math.min(s.peers * s.minDownload, s.serverUpload + s.peers * s.peerUpload) / s.peers;
    t += 0.1;
    held = Math.min(held + perPeer * 0.1, s.serverUpload * t);
  }
  return t;
}
`,
    "binding-solution": `type Term = "server upload" | "slowest download" | "total upload";
function bindingTerms(s: Omit<Setting, "peers">, ns: number[]): Term[] {
  return ns.map((n) => (n * s.fileBytes) / (s.serverUpload + 0.86 * n * s.peerUpload) > s.fileBytes / s.serverUpload ? "total upload" : "server upload");
}
`,
  },
  points: {
    // Three checks: client-server passes; the P2P bound, and the hidden one that asks both, fail.
    "formulas-check": 0.67,
    // Eight checks: η = 1 is within 12 % of the simulator for a lone peer, for uncapped downloads (2, 50, 500 peers:
    // 3–12 % under), and where the server's upload or the downloads bind, as η does not count there; 13–16 % under at
    // 10, 1,000 and 300 peers, and 14–20 % under for the file of 128 pieces at 100 and 400.
    "fluid-check": 4,
    // Four checks: the slow downloads of the fast-server setting go unnamed; the other three settings never bind on downloads.
    "binding-check": 1.5,
  },
};
export default partial;
