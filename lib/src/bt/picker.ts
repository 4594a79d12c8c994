import { Random } from "../sim/random";

/**
 * Piece selection (BEP 3; Cohen, "Incentives Build Robustness in BitTorrent"),
 * shared by the swarm simulator and the real downloader. Bitfields are Uint32
 * words (piece p is bit p%32 of word p/32), so a whole word of pieces is tested
 * at once.
 *
 *  - **rarest**: of the pieces this neighbour can give us, the one with the fewest
 *    copies. Rare pieces are the ones lost when a peer leaves; copying them first
 *    spreads every piece, so peers keep having something to trade. To stay fast
 *    at 10,000 peers the choice is the rarest of the first RAREST_SAMPLE candidates
 *    found from a random place in the file (exact when there are fewer).
 *  - **random** and **sequential** are there for comparison: sequential is what a
 *    video player would like, and it is what lets pieces go extinct.
 *
 * Endgame: when every missing piece is already being fetched from someone,
 * pieces in flight may be asked of this neighbour too (the first copy to arrive wins).
 */
export type PickerStrategy = "rarest" | "random" | "sequential";

/** How many candidate pieces rarest-first compares. */
export const RAREST_SAMPLE = 16;

/** Bitfields of one decision: the neighbour's pieces, ours, and ours in flight, each `words` long from its offset. */
export interface PickInput {
  words: number;
  pieces: number;
  theirs: Uint32Array;
  theirsAt?: number;
  mine: Uint32Array;
  mineAt?: number;
  pending: Uint32Array;
  pendingAt?: number;
  /** Copies of each piece among the peers we know of. */
  copies: ArrayLike<number>;
}

/** The piece to request from this neighbour, or -1 if it has nothing we need. */
export function pickPiece(strategy: PickerStrategy, x: PickInput, random: Random): number {
  const p = scan(strategy, x, random, true);
  if (p >= 0 || !inEndgame(x)) return p;
  return scan(strategy, x, random, false);
}

/** Is every piece we lack already in flight? */
export function inEndgame(x: PickInput): boolean {
  const mineAt = x.mineAt ?? 0;
  const pendingAt = x.pendingAt ?? 0;
  for (let w = 0; w < x.words; w++) if (~x.mine[mineAt + w] & ~x.pending[pendingAt + w] & validBits(w, x.pieces)) return false;
  return true;
}

/** The bits of word w that are pieces (the last word may be partial). */
function validBits(w: number, pieces: number): number {
  const rest = pieces - w * 32;
  return rest >= 32 ? 0xffffffff : (1 << rest) - 1;
}

function scan(strategy: PickerStrategy, x: PickInput, random: Random, skipPending: boolean): number {
  const { words, theirs, mine, pending, copies } = x;
  const theirsAt = x.theirsAt ?? 0;
  const mineAt = x.mineAt ?? 0;
  const pendingAt = x.pendingAt ?? 0;
  const start = strategy === "sequential" ? 0 : random.int(words);
  let best = -1;
  let bestCopies = Infinity;
  let seen = 0;
  for (let n = 0; n < words; n++) {
    const w = (start + n) % words;
    let c = theirs[theirsAt + w] & ~mine[mineAt + w];
    if (skipPending) c &= ~pending[pendingAt + w];
    if (!c) continue;
    if (strategy === "sequential") return w * 32 + (31 - Math.clz32(c & -c));
    if (strategy === "random") {
      // A random set bit of this word.
      let k = random.int(popcount(c));
      while (k-- > 0) c &= c - 1;
      return w * 32 + (31 - Math.clz32(c & -c));
    }
    while (c) {
      const low = c & -c;
      const p = w * 32 + (31 - Math.clz32(low));
      c ^= low;
      if (copies[p] < bestCopies) {
        bestCopies = copies[p];
        best = p;
      }
      if (++seen >= RAREST_SAMPLE) return best;
    }
  }
  return best;
}

function popcount(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
