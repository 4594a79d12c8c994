import { PIECE_SIZE, simulateSwarm } from "./swarm";

/**
 * Which term of the P2P bound binds, asked of the swarm simulator instead of the
 * formula: an experiment. The textbook's bound max{F/u_s, F/d_min, N·F/(u_s + Σu_i)}
 * names the bottleneck by arithmetic; a bottleneck is the resource whose increase
 * shortens the distribution, so here the simulator runs the swarm three more times,
 * each with one resource doubled (the server's upload, every peer's download, every
 * peer's upload), and the term is the one whose doubling saved the most time.
 */

/** The P2P bound's three terms, by what they stand for. */
export type BindingTerm = "server upload" | "slowest download" | "total upload";

/** A flash crowd as the textbook draws it: every peer alike, rates in bytes/s. */
export interface DistributionSetting {
  fileBytes: number;
  peers: number;
  serverUpload: number;
  peerUpload: number;
  minDownload: number;
}

/** The simulator's finish time for `s`, in seconds (one seed, pieces of {@link PIECE_SIZE}, a fixed random seed). */
export function simulatedTime(s: DistributionSetting, seed = 1): number {
  const pieces = Math.max(1, Math.round(s.fileBytes / PIECE_SIZE));
  return simulateSwarm({ peers: s.peers, pieces, seedUpload: s.serverUpload, upload: s.peerUpload, download: s.minDownload, seed }).finishTime;
}

/**
 * The term whose resource, doubled, shortens the simulated swarm the most (ties
 * go to the first of server upload, slowest download, total upload), with each
 * simulated time.
 *
 * @example bindingBySimulation({ fileBytes: 64 * 2 ** 20, peers: 1000, serverUpload: 4 * 2 ** 20, peerUpload: 2 ** 20, minDownload: 2 * 2 ** 20 }).term; // "total upload"
 */
export function bindingBySimulation(s: DistributionSetting): { term: BindingTerm; seconds: Record<BindingTerm | "as is", number> } {
  const seconds = {
    "as is": simulatedTime(s),
    "server upload": simulatedTime({ ...s, serverUpload: 2 * s.serverUpload }),
    "slowest download": simulatedTime({ ...s, minDownload: 2 * s.minDownload }),
    "total upload": simulatedTime({ ...s, peerUpload: 2 * s.peerUpload }),
  };
  const terms: BindingTerm[] = ["server upload", "slowest download", "total upload"];
  const term = terms.reduce((best, t) => (seconds[t] < seconds[best] ? t : best));
  return { term, seconds };
}
