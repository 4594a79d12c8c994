import { Random } from "../sim/random";

/**
 * The choker (BEP 3; Cohen 2003): whom a peer uploads to. Tit-for-tat —
 *  - every REGULAR_UNCHOKE_SECONDS, the REGULAR_SLOTS interested neighbours that
 *    sent us data fastest lately are unchoked, everyone else is choked;
 *  - every OPTIMISTIC_UNCHOKE_SECONDS one more interested neighbour is picked at
 *    random (the optimistic unchoke): how newcomers with nothing to trade get
 *    their first pieces, and how a peer discovers better partners.
 * A seed has nothing to download, so it ranks neighbours by how fast *it* sends
 * to them (they make the best use of its upload); here, at random, which spreads
 * its pieces widest.
 * Shared by the swarm simulator and the real peer; neighbours are numbered 0…n-1.
 */
export const REGULAR_SLOTS = 4;
export const REGULAR_UNCHOKE_SECONDS = 10;
export const OPTIMISTIC_UNCHOKE_SECONDS = 30;

/**
 * The regular unchokes: up to `slots` interested neighbours with the highest
 * `rate` (ties and zero rates broken at random), written to `out`; returns how many.
 */
export function chooseRegular(n: number, rate: (k: number) => number, interested: (k: number) => boolean, slots: number, random: Random, out: Int32Array | number[]): number {
  let count = 0;
  const key: number[] = [];
  // Keep the best `slots` seen so far in out[0..count), sorted by rate (an insertion pass per neighbour).
  const start = random.int(Math.max(1, n));
  for (let j = 0; j < n; j++) {
    const k = (start + j) % n;
    if (!interested(k)) continue;
    const r = rate(k);
    let at = count;
    while (at > 0 && key[at - 1] < r) at--;
    if (at >= slots) continue;
    for (let m = Math.min(count, slots - 1); m > at; m--) {
      out[m] = out[m - 1];
      key[m] = key[m - 1];
    }
    out[at] = k;
    key[at] = r;
    if (count < slots) count++;
  }
  return count;
}

/** The optimistic unchoke: a random interested neighbour not in `taken`, or -1 (tries a bounded number of times). */
export function chooseOptimistic(n: number, interested: (k: number) => boolean, taken: (k: number) => boolean, random: Random): number {
  if (n === 0) return -1;
  const start = random.int(n);
  for (let j = 0; j < n; j++) {
    const k = (start + j) % n;
    if (interested(k) && !taken(k)) return k;
  }
  return -1;
}
