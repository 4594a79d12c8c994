/**
 * Distribution time (Kurose & Ross §2.5.1): how long until N peers all have a file
 * of F bytes, from a server with upload u_s, peers with uploads u_i and downloads
 * d_i. All rates in bytes/s, times in seconds.
 */

/** Client-server: the server sends N copies, and the slowest client must receive one: D_cs = max{N·F/u_s, F/d_min}. */
export function clientServerTime(o: { fileBytes: number; peers: number; serverUpload: number; minDownload: number }): number {
  return Math.max((o.peers * o.fileBytes) / o.serverUpload, o.fileBytes / o.minDownload);
}

/**
 * P2P's lower bound: the server must send at least one copy (F/u_s), the slowest
 * peer must receive one (F/d_min), and N·F bytes must be uploaded by everyone
 * together: D_P2P ≥ max{F/u_s, F/d_min, N·F/(u_s + Σu_i)}.
 */
export function distributionBound(o: { fileBytes: number; peers: number; serverUpload: number; peerUploads: number[] | number; minDownload: number }): number {
  const total = typeof o.peerUploads === "number" ? o.peerUploads * o.peers : o.peerUploads.reduce((a, b) => a + b, 0);
  return Math.max(o.fileBytes / o.serverUpload, o.fileBytes / o.minDownload, (o.peers * o.fileBytes) / (o.serverUpload + total));
}

/**
 * Qiu & Srikant's fluid model (SIGCOMM 2004) for a flash crowd: x(t) leechers, y(t)
 * seeds, every peer with upload μ and download c (files per second), η the share
 * of a leecher's upload that is useful (near 1 for BitTorrent), γ the rate at which
 * seeds leave:
 *   dx/dt = −min{c·x, μ(η·x + y) + μ_s}      dy/dt = min{…} − γ·y
 * (μ_s is the original server's upload, which the paper folds into y). Integrated
 * until fewer than half a leecher is left; returns that time.
 */
export function fluidModelTime(o: { fileBytes: number; peers: number; serverUpload: number; peerUpload: number; peerDownload?: number; eta?: number; seedLeaveRate?: number; step?: number }): number {
  const mu = o.peerUpload / o.fileBytes;
  const c = (o.peerDownload ?? Infinity) / o.fileBytes;
  const muS = o.serverUpload / o.fileBytes;
  const eta = o.eta ?? 1;
  const gamma = o.seedLeaveRate ?? 0;
  let x = o.peers;
  let y = 0;
  let t = 0;
  const h = o.step ?? Math.min(1, o.fileBytes / (o.serverUpload + o.peerUpload * o.peers) / 50);
  while (x >= 0.5 && t < 1e7) {
    const rate = Math.min(c * x, mu * (eta * x + y) + muS);
    x -= rate * h;
    y += (rate - gamma * y) * h;
    t += h;
  }
  return t;
}

/**
 * The three model curves of the D-vs-N chart for N = 1…maxPeers (log-spaced):
 * client-server, the P2P lower bound, and the fluid model. `time` is in units of
 * F/u, the time one peer needs to upload the whole file — the textbook's hours,
 * when F/u is one hour.
 *
 * @example distributionCurves({ fileBytes: F, serverUpload: 10 * u, peerUpload: u, minDownload: 10 * u })
 */
export function distributionCurves(o: { fileBytes: number; serverUpload: number; peerUpload: number; minDownload: number; maxPeers?: number; eta?: number }): Array<{ peers: number; curve: string; time: number }> {
  const unit = o.fileBytes / o.peerUpload;
  const ns = [...new Set(Array.from({ length: 41 }, (_, i) => Math.round(Math.pow(o.maxPeers ?? 1000, i / 40))))];
  return ns.flatMap((n) => [
    { peers: n, curve: "client-server", time: clientServerTime({ ...o, peers: n }) / unit },
    { peers: n, curve: "P2P lower bound", time: distributionBound({ ...o, peers: n, peerUploads: o.peerUpload }) / unit },
    { peers: n, curve: "fluid model", time: fluidModelTime({ ...o, peers: n, peerDownload: o.minDownload }) / unit },
  ]);
}
