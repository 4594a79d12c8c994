import { Random } from "../sim/random";
import { OPTIMISTIC_UNCHOKE_SECONDS, REGULAR_SLOTS, REGULAR_UNCHOKE_SECONDS, chooseOptimistic, chooseRegular } from "../bt/choker";
import { PickerStrategy, pickPiece } from "../bt/picker";
import { distributionBound } from "./distribution";

/**
 * A BitTorrent swarm in virtual time: seeded, deterministic, fast enough for
 * 10,000 peers and 1,024 pieces in seconds. What it models, and how:
 *
 *  - **Peers** have an upload and a download capacity (bytes/s). Time advances in
 *    steps of `step` seconds; in each, every unchoked connection moves
 *    min(uploader's capacity / its active uploads, downloader's capacity / its
 *    active downloads) bytes of the piece being fetched over it.
 *  - **Tracker and neighbours**: a newcomer gets `neighbors` random peers from the
 *    tracker and connects to them (both ways), up to MAX_NEIGHBORS each.
 *  - **Pieces** of 256 KiB; a peer fetches a piece from one neighbour, picked by
 *    the shared picker (rarest first, by copies in the swarm; or random, or
 *    sequential); a piece is not fetched twice at once, except in *endgame*, when
 *    every missing piece is already being fetched.
 *  - **Tit-for-tat** by the shared choker: 4 regular slots by recent rate every
 *    10 s, an optimistic unchoke every 30 s; a slot left by a neighbour that lost
 *    interest is refilled at once, as real clients do.
 *  - **Churn**: Poisson arrivals; leechers may abort (rate `abortRate`); on
 *    completion selfish peers leave at once, altruistic ones seed for
 *    `seedTime`, free-riders upload nothing.
 *
 * Peers, edges, bitfields and counters live in typed arrays, indexed by number.
 */
export type PeerClass = "seed" | "altruistic" | "selfish" | "free-rider";

export interface SwarmOptions {
  /** Leechers present at time 0 (a flash crowd). */
  peers: number;
  pieces: number;
  pieceSize?: number;
  /** Initial seeds (the "server"), present from time 0 and never leaving. */
  seeds?: number;
  /** Upload capacity of each initial seed, bytes/s. */
  seedUpload?: number;
  /** When the initial seeds go away, seconds (default: never). */
  seedLeavesAt?: number;
  /** Upload and download capacity of a leecher, bytes/s (a number, or a function of the peer's number and the random source). */
  upload?: number | ((peer: number, random: Random) => number);
  download?: number | ((peer: number, random: Random) => number);
  /** Fractions of leechers that are selfish (leave at completion) and free-riders (upload nothing). The rest are altruistic. */
  selfish?: number;
  freeRiders?: number;
  /** How long altruistic peers seed after completing, seconds (Infinity: until the end). */
  seedTime?: number;
  picker?: PickerStrategy;
  /** How many peers the tracker hands a newcomer. */
  neighbors?: number;
  /** Poisson arrivals of more leechers: `rate` per second, until `until` seconds. */
  arrivals?: { rate: number; until: number };
  /** Leechers abort with this rate per second (churn). */
  abortRate?: number;
  /** Tit-for-tat on (default) or off: off, every peer unchokes random interested neighbours. */
  titForTat?: boolean;
  /** The simulated step, seconds. */
  step?: number;
  /** Stop here even if some peers are unfinished, seconds. */
  maxTime?: number;
  /** Seconds between samples of seeds, leechers and piece availability. */
  sampleEvery?: number;
  seed?: number;
  /** Called every few simulated steps with the fraction of leechers done (for a progress bar). */
  onProgress?: (done: number, t: number) => void;
  /**
   * Follow one peer (its number: the seeds come first, so with one seed the first
   * leecher is 1): its neighbours and whom it unchokes, at every choking round
   * while it is in the swarm. See `watched` in the result.
   */
  watch?: number;
}

/** One choking round of the watched peer: whom it knew, and whom the choker picked. */
export interface WatchedRound {
  /** When the round ran, seconds. */
  t: number;
  /** The peers it was connected to (its neighbour set), by number. */
  neighbours: number[];
  /** The regular unchokes: up to REGULAR_SLOTS neighbours, the fastest first (a leecher), or at random (a seed). */
  regular: number[];
  /** The optimistic unchoke, if any neighbour was left to pick. */
  optimistic?: number;
  /** Whether this round chose a new optimistic unchoke (every OPTIMISTIC_UNCHOKE_SECONDS) or kept the last one. */
  newOptimistic: boolean;
  /** Whether the watched peer had the whole file (a seed ranks by what it sends, not by what it gets). */
  seeding: boolean;
}

/** One peer's story. */
export interface PeerRecord {
  peer: number;
  class: PeerClass;
  arrived: number;
  /** When it had every piece (undefined if it never did). */
  finished?: number;
  /** When it left (undefined if it stayed to the end). */
  left?: number;
  uploaded: number;
  downloaded: number;
}

export interface SwarmResult {
  peers: PeerRecord[];
  /** When the last leecher that stayed finished, seconds. */
  finishTime: number;
  /** max{F/u_s, F/d_min, N·F/(u_s + Σu_i)} for the peers present at time 0 (the textbook's bound). */
  lowerBound: number;
  /** Samples over time: seeds and leechers present, and the copies of the rarest piece (0: a piece is lost). */
  population: Array<{ t: number; seeds: number; leechers: number; rarestCopies: number }>;
  /** Samples over time: for each bin of pieces, the mean number of copies in the swarm. */
  availability: Array<{ t: number; pieces: string; firstPiece: number; copies: number }>;
  /** The watched peer's choking rounds (empty without `watch`). */
  watched: WatchedRound[];
  steps: number;
  wallMs: number;
}

export const PIECE_SIZE = 256 * 1024;
/** A peer keeps at most this many neighbours (BitTorrent clients default to 50–80). */
export const MAX_NEIGHBORS = 80;
/** Unchoke slots per peer: the regular ones plus one optimistic. */
const SLOTS = REGULAR_SLOTS + 1;
/** Availability is drawn for this many bins of pieces. */
const AVAILABILITY_BINS = 64;
/** Pieces a peer may have in progress at once. */
const IN_PROGRESS = 8;
/** A run in which no piece moved for this long (virtual seconds) has stalled, and ends. */
const STALL_SECONDS = 300;
/** How often a leecher with too few neighbours (under half the tracker's share) asks the tracker again. */
const REANNOUNCE_SECONDS = 30;
/** Seconds a peer with no interested neighbour waits before looking again. */
const REFILL_BACKOFF = 2;

const CLASS_NAMES: PeerClass[] = ["seed", "altruistic", "selfish", "free-rider"];

/**
 * Runs a swarm to the end (everyone present has finished) or to `maxTime`.
 *
 * @example
 * const r = simulateSwarm({ peers: 1000, pieces: 256, seed: 1 });
 * r.finishTime / r.lowerBound; // how close to the bound
 */
export function simulateSwarm(options: SwarmOptions): SwarmResult {
  const wallStart = performance.now();
  const random = new Random(options.seed ?? 1);
  const M = options.pieces;
  const W = (M + 31) >>> 5;
  const pieceSize = options.pieceSize ?? PIECE_SIZE;
  const dt = options.step ?? 1;
  const seedsAtStart = options.seeds ?? 1;
  const arrivals = options.arrivals;
  // Every peer that will ever exist gets a number up front; arrivals beyond the expected count are dropped.
  const expectedArrivals = arrivals ? Math.ceil(arrivals.rate * arrivals.until * 1.5 + 20) : 0;
  const N = seedsAtStart + options.peers + expectedArrivals;
  const valueOf = (v: number | ((p: number, r: Random) => number) | undefined, p: number, fallback: number) => (typeof v === "function" ? v(p, random) : v ?? fallback);

  // --- peers ---
  const cls = new Uint8Array(N); // index into CLASS_NAMES
  const up = new Float64Array(N);
  const down = new Float64Array(N);
  const arrived = new Float64Array(N).fill(-1);
  const finished = new Float64Array(N).fill(-1);
  const left = new Float64Array(N).fill(-1);
  const leaveAt = new Float64Array(N).fill(Infinity);
  const present = new Uint8Array(N);
  const haveCount = new Int32Array(N);
  const uploaded = new Float64Array(N);
  const downloaded = new Float64Array(N);
  const have = new Uint32Array(N * W);
  const pending = new Uint32Array(N * W);
  // --- edges: peer i's k-th neighbour is nbr[i*D+k]; rev[i*D+k] is i's position in that neighbour's list ---
  const D = MAX_NEIGHBORS;
  const deg = new Int32Array(N);
  const nbr = new Int32Array(N * D);
  const rev = new Int32Array(N * D);
  // Bytes i sent to neighbour k since the last rechoke. Kept on the sender's side (written in order, read
  // rarely); the receiver's tit-for-tat rate for k is what k sent it: sent[k's edge back to i].
  const sent = new Float64Array(N * D);
  const edgePiece = new Int32Array(N * D).fill(-1); // the piece neighbour k fetches from i over this edge
  const edgeEntry = new Int32Array(N * D); // …and its entry in the neighbour's pieces in progress
  // --- unchoke slots: i uploads to the neighbours at positions slot[i*SLOTS+s] (-1 = empty); the last one is optimistic ---
  const slot = new Int32Array(N * SLOTS).fill(-1);
  // Pieces in progress, IN_PROGRESS per peer: which piece, how many bytes so far. As in BitTorrent, where a
  // piece is fetched in 16 KiB blocks, several neighbours may fill one piece, and what arrived before a
  // choke is kept. A piece is "pending" while it has an entry here.
  const entPiece = new Int32Array(N * IN_PROGRESS).fill(-1);
  const entBytes = new Float64Array(N * IN_PROGRESS);
  const copies = new Int32Array(M);
  // What rarest-first ranks by: copies, plus copies on their way (pieces in progress). Without the second
  // part, every downloader of the first seed races for the same few rarest pieces and the seed sends duplicates.
  const rarity = new Int32Array(M);
  const strategy = options.picker ?? "rarest";
  const titForTat = options.titForTat ?? true;

  const hasBit = (bits: Uint32Array, i: number, p: number) => (bits[i * W + (p >>> 5)] >>> (p & 31)) & 1;
  const setBit = (bits: Uint32Array, i: number, p: number) => (bits[i * W + (p >>> 5)] |= 1 << (p & 31));
  const clearBit = (bits: Uint32Array, i: number, p: number) => (bits[i * W + (p >>> 5)] &= ~(1 << (p & 31)));

  /** Does j want anything i has? */
  const interested = (j: number, i: number): boolean => {
    if (haveCount[j] === M) return false;
    for (let w = 0; w < W; w++) if (have[i * W + w] & ~have[j * W + w]) return true;
    return false;
  };

  const tracker: number[] = []; // present peers, for handing out neighbours
  const trackerAt = new Int32Array(N).fill(-1);
  /** The tracker's answer: random present peers; connect to those with room (both ends below MAX_NEIGHBORS). */
  const meetPeers = (i: number) => {
    const want = Math.min(options.neighbors ?? 50, tracker.length) - deg[i];
    for (let tries = 0, got = 0; got < want && tries < want * 3; tries++) {
      const j = tracker[random.int(tracker.length)];
      if (j === i || deg[i] >= D || deg[j] >= D) continue;
      let known = false;
      for (let k = 0; k < deg[i]; k++) if (nbr[i * D + k] === j) known = true;
      if (known) continue;
      const a = i * D + deg[i]++;
      const b = j * D + deg[j]++;
      nbr[a] = j;
      nbr[b] = i;
      rev[a] = b - j * D;
      rev[b] = a - i * D;
      got++;
    }
  };
  const join = (i: number, t: number, klass: number) => {
    cls[i] = klass;
    arrived[i] = t;
    present[i] = 1;
    if (klass === 0) {
      up[i] = options.seedUpload ?? valueOf(options.upload, i, 1 << 20);
      down[i] = Infinity;
      for (let w = 0; w < W; w++) have[i * W + w] = w === W - 1 && M % 32 ? (1 << M % 32) - 1 : 0xffffffff;
      haveCount[i] = M;
      for (let p = 0; p < M; p++) (copies[p]++, rarity[p]++);
      finished[i] = t;
      leaveAt[i] = options.seedLeavesAt ?? Infinity;
    } else {
      up[i] = klass === 3 ? 0 : valueOf(options.upload, i, 1 << 20);
      down[i] = valueOf(options.download, i, Infinity);
    }
    meetPeers(i);
    trackerAt[i] = tracker.length;
    tracker.push(i);
  };

  /** Drops the edge at position k of peer i (both directions), cancelling whatever was in flight on it. */
  const dropEdge = (i: number, k: number) => {
    const j = nbr[i * D + k];
    const kj = rev[i * D + k];
    cancelEdge(i, k);
    cancelEdge(j, kj);
    removeAt(i, k);
    removeAt(j, kj);
  };
  const cancelEdge = (i: number, k: number) => {
    suspend(i * D + k);
    for (let s = 0; s < SLOTS; s++) if (slot[i * SLOTS + s] === k) slot[i * SLOTS + s] = -1;
  };
  /** Swap-remove position k from i's list, keeping rev and slots consistent. */
  const removeAt = (i: number, k: number) => {
    const last = --deg[i];
    if (k !== last) {
      const a = i * D + k;
      const b = i * D + last;
      nbr[a] = nbr[b];
      rev[a] = rev[b];
      sent[a] = sent[b];
      edgePiece[a] = edgePiece[b];
      edgeEntry[a] = edgeEntry[b];
      rev[nbr[a] * D + rev[a]] = k;
      for (let s = 0; s < SLOTS; s++) if (slot[i * SLOTS + s] === last) slot[i * SLOTS + s] = k;
    }
    const z = i * D + last;
    edgePiece[z] = -1;
    sent[z] = 0;
  };
  const leave = (i: number, t: number) => {
    while (deg[i] > 0) dropEdge(i, deg[i] - 1);
    for (let p = 0; p < M; p++) if (hasBit(have, i, p)) (copies[p]--, rarity[p]--);
    for (let x = i * IN_PROGRESS; x < (i + 1) * IN_PROGRESS; x++) if (entPiece[x] >= 0) (rarity[entPiece[x]]--, (entPiece[x] = -1));
    present[i] = 0;
    left[i] = t;
    const at = trackerAt[i];
    const last = tracker.pop()!;
    if (last !== i) {
      tracker[at] = last;
      trackerAt[last] = at;
    }
    trackerAt[i] = -1;
  };

  // --- the choker, on the shared logic ---
  const picks = new Int32Array(REGULAR_SLOTS);
  // The choker's questions about peer `me`'s neighbours (made once: closures in the hot loop would cost millions of allocations).
  let me = 0;
  const wants = (k: number) => interested(nbr[me * D + k], me);
  const rateOf = (k: number) => sent[nbr[me * D + k] * D + rev[me * D + k]];
  const noRate = () => 0;
  const taken = (k: number) => {
    for (let x = 0; x < SLOTS; x++) if (slot[me * SLOTS + x] === k) return true;
    return false;
  };
  const rechoke = (i: number, optimisticToo: boolean) => {
    me = i;
    const seeding = haveCount[i] === M;
    const rate = titForTat && !seeding ? rateOf : noRate;
    const n = chooseRegular(deg[i], rate, wants, REGULAR_SLOTS, random, picks);
    const keepOptimistic = optimisticToo ? -1 : slot[i * SLOTS + REGULAR_SLOTS];
    for (let s = 0; s < REGULAR_SLOTS; s++) setSlot(i, s, s < n ? picks[s] : -1);
    let opt = keepOptimistic;
    if (opt >= 0 && (opt >= deg[i] || !wants(opt) || isRegular(i, opt))) opt = -1;
    if (opt < 0) opt = chooseOptimistic(deg[i], wants, taken, random);
    setSlot(i, REGULAR_SLOTS, opt);
  };
  const isRegular = (i: number, k: number) => {
    for (let s = 0; s < REGULAR_SLOTS; s++) if (slot[i * SLOTS + s] === k) return true;
    return false;
  };
  /** Puts neighbour k in slot s of i; a neighbour choked by this loses its piece in flight (it will ask another). */
  const setSlot = (i: number, s: number, k: number) => {
    const old = slot[i * SLOTS + s];
    slot[i * SLOTS + s] = k;
    if (old >= 0 && old !== k) {
      let still = false;
      for (let x = 0; x < SLOTS; x++) if (slot[i * SLOTS + x] === old) still = true;
      if (!still) suspend(i * D + old);
    }
  };
  /** Stops the piece in flight on edge e; the downloader keeps the bytes it got, to finish the piece from someone else. */
  const suspend = (e: number) => {
    edgePiece[e] = -1;
  };
  /**
   * A slot whose neighbour lost interest is given to another interested neighbour
   * at once. When none is interested, the peer waits REFILL_BACKOFF seconds
   * before looking again (looking costs a scan of every neighbour's bitfield).
   */
  const quietUntil = new Float64Array(N);
  const refill = (i: number, s: number, now: number): number => {
    if (quietUntil[i] > now) return -1;
    me = i;
    const k = chooseOptimistic(deg[i], wants, taken, random);
    setSlot(i, s, k);
    if (k < 0) quietUntil[i] = now + REFILL_BACKOFF;
    return k;
  };

  /** The piece j should fetch from i, by the shared picker, or -1 if i has nothing j needs. */
  const pickInput = { words: W, pieces: M, theirs: have, theirsAt: 0, mine: have, mineAt: 0, pending, pendingAt: 0, copies: rarity };
  /** Returns the entry (index into entPiece) for the piece j should fetch from i: one in progress that i has, else a new one by the picker. -1: nothing. */
  const pick = (j: number, i: number): number => {
    const base = j * IN_PROGRESS;
    let free = -1;
    for (let x = base; x < base + IN_PROGRESS; x++) {
      const p = entPiece[x];
      if (p < 0) free = free < 0 ? x : free;
      else if (hasBit(have, i, p)) return x;
    }
    if (free < 0) return -1;
    pickInput.theirsAt = i * W;
    pickInput.mineAt = j * W;
    pickInput.pendingAt = j * W;
    const p = pickPiece(strategy, pickInput, random);
    if (p < 0) return -1;
    entPiece[free] = p;
    entBytes[free] = 0;
    rarity[p]++;
    setBit(pending, j, p);
    return free;
  };

  // --- time 0 ---
  for (let i = 0; i < seedsAtStart; i++) join(i, 0, 0);
  const selfish = options.selfish ?? 0;
  const freeRiders = options.freeRiders ?? 0;
  const leecherClass = () => {
    const r = random.next();
    return r < freeRiders ? 3 : r < freeRiders + selfish ? 2 : 1;
  };
  let nextPeer = seedsAtStart;
  for (let n = 0; n < options.peers; n++) join(nextPeer++, 0, leecherClass());
  const initialUp = Array.from({ length: nextPeer }, (_, i) => up[i]);
  const lowerBound = distributionBound({
    fileBytes: M * pieceSize,
    peers: options.peers,
    serverUpload: initialUp.slice(0, seedsAtStart).reduce((a, b) => a + b, 0),
    peerUploads: initialUp.slice(seedsAtStart),
    minDownload: Math.min(...Array.from({ length: options.peers }, (_, n) => down[seedsAtStart + n])),
  });
  for (let i = 0; i < nextPeer; i++) rechoke(i, true);

  const seedTime = options.seedTime ?? Infinity;
  const sampleEvery = options.sampleEvery ?? Math.max(dt, 5);
  const maxTime = options.maxTime ?? 100_000;
  const population: SwarmResult["population"] = [];
  const availability: SwarmResult["availability"] = [];
  const activeDown = new Int32Array(N);
  let nextArrival = arrivals ? random.exponential(1 / arrivals.rate) : Infinity;
  let t = 0;
  let steps = 0;
  let lastFinish = 0;
  let lastProgress = 0;
  let nextSample = 0;
  const unfinished = () => {
    let n = 0;
    for (const i of tracker) if (haveCount[i] < M) n++;
    return n;
  };

  const watch = options.watch;
  const watched: WatchedRound[] = [];
  /** The watched peer's round, as peer numbers (the slots hold positions in its neighbour list). */
  const record = (i: number, newOptimistic: boolean) => {
    const peerAt = (k: number) => nbr[i * D + k];
    const regular: number[] = [];
    for (let s = 0; s < REGULAR_SLOTS; s++) if (slot[i * SLOTS + s] >= 0) regular.push(peerAt(slot[i * SLOTS + s]));
    const o = slot[i * SLOTS + REGULAR_SLOTS];
    const neighbours = Array.from({ length: deg[i] }, (_, k) => peerAt(k)).sort((a, b) => a - b);
    watched.push({ t, neighbours, regular, ...(o >= 0 ? { optimistic: peerAt(o) } : {}), newOptimistic, seeding: haveCount[i] === M });
  };

  const sample = () => {
    let seeds = 0;
    let leechers = 0;
    for (const i of tracker) haveCount[i] === M ? seeds++ : leechers++;
    let rarestCopies = Infinity;
    for (let p = 0; p < M; p++) rarestCopies = Math.min(rarestCopies, copies[p]);
    population.push({ t, seeds, leechers, rarestCopies });
    const bin = Math.max(1, Math.ceil(M / AVAILABILITY_BINS));
    for (let b = 0; b * bin < M; b++) {
      let sum = 0;
      const end = Math.min(M, (b + 1) * bin);
      for (let p = b * bin; p < end; p++) sum += copies[p];
      availability.push({ t, pieces: `${b * bin}–${end - 1}`, firstPiece: b * bin, copies: sum / (end - b * bin) });
    }
  };

  while (t < maxTime) {
    // Arrivals and departures.
    while (nextArrival <= t && nextPeer < N && t <= arrivals!.until) {
      join(nextPeer, t, leecherClass());
      rechoke(nextPeer++, true);
      nextArrival += random.exponential(1 / arrivals!.rate);
    }
    if (options.abortRate) {
      for (const i of [...tracker]) if (cls[i] !== 0 && haveCount[i] < M && random.chance(options.abortRate * dt)) leave(i, t);
    }
    for (const i of [...tracker]) if (leaveAt[i] <= t) leave(i, t);
    if (t >= nextSample) {
      sample();
      nextSample += sampleEvery;
    }
    if (unfinished() === 0 && (!arrivals || t > arrivals.until)) break;
    // Nothing has moved for a long while (pieces lost, or nobody left to give): stop, rather than wait for maxTime.
    if (t - lastProgress > STALL_SECONDS && (!arrivals || t > arrivals.until)) break;

    // Leechers whose neighbours have left ask the tracker for more, as clients re-announce.
    if (steps > 0 && Math.floor(t / REANNOUNCE_SECONDS) !== Math.floor((t - dt) / REANNOUNCE_SECONDS)) {
      for (const i of tracker) if (haveCount[i] < M && deg[i] < (options.neighbors ?? 50) / 2) meetPeers(i);
    }
    // Choking rounds.
    const regular = steps > 0 && Math.floor(t / REGULAR_UNCHOKE_SECONDS) !== Math.floor((t - dt) / REGULAR_UNCHOKE_SECONDS);
    if (regular) {
      const optimistic = Math.floor(t / OPTIMISTIC_UNCHOKE_SECONDS) !== Math.floor((t - dt) / OPTIMISTIC_UNCHOKE_SECONDS);
      for (const i of tracker) rechoke(i, optimistic);
      if (watch !== undefined && present[watch]) record(watch, optimistic);
      sent.fill(0);
    }

    // Who is downloading over how many connections (the download capacity is shared among them).
    activeDown.fill(0);
    for (const i of tracker) {
      for (let s = 0; s < SLOTS; s++) {
        const k = slot[i * SLOTS + s];
        if (k >= 0) activeDown[nbr[i * D + k]]++;
      }
    }
    // Transfers.
    for (const i of tracker) {
      if (up[i] === 0) continue;
      // Empty slots are filled first, so the upload capacity is split among all the step's connections.
      let active = 0;
      for (let s = 0; s < SLOTS; s++) if (slot[i * SLOTS + s] >= 0 || refill(i, s, t) >= 0) active++;
      const share = up[i] / Math.max(1, active);
      for (let s = 0; s < SLOTS; s++) {
        let k = slot[i * SLOTS + s];
        if (k < 0) continue;
        let e = i * D + k;
        let j = nbr[e];
        let budget = Math.min(share, down[j] / Math.max(1, activeDown[j])) * dt;
        let moves = 0;
        while (budget > 0) {
          // The entry this edge works on: still the same piece, still missing?
          let x = edgeEntry[e];
          if (edgePiece[e] < 0 || entPiece[x] !== edgePiece[e]) {
            x = pick(j, i);
            if (x < 0) {
              // j needs nothing more from i: give the slot, and the rest of this step's bytes, to another neighbour.
              setSlot(i, s, -1);
              if (++moves > 3) break;
              k = refill(i, s, t);
              if (k < 0) break;
              e = i * D + k;
              j = nbr[e];
              budget = Math.min(budget, (down[j] / Math.max(1, activeDown[j])) * dt);
              continue;
            }
            edgeEntry[e] = x;
            edgePiece[e] = entPiece[x];
          }
          const p = entPiece[x];
          const send = Math.min(budget, pieceSize - entBytes[x]);
          entBytes[x] += send;
          budget -= send;
          uploaded[i] += send;
          downloaded[j] += send;
          sent[e] += send;
          if (entBytes[x] >= pieceSize) {
            entPiece[x] = -1;
            edgePiece[e] = -1;
            clearBit(pending, j, p);
            setBit(have, j, p);
            copies[p]++;
            lastProgress = t;
            quietUntil[j] = 0; // j has something new to offer: let it look for takers again
            if (++haveCount[j] === M) {
              finished[j] = t + dt;
              lastFinish = t + dt;
              leaveAt[j] = cls[j] === 2 ? t + dt : t + dt + seedTime;
            }
          }
        }
      }
    }
    t += dt;
    steps++;
    if (options.onProgress && steps % 20 === 0) options.onProgress(1 - unfinished() / Math.max(1, tracker.length), t);
  }
  sample();

  const peers: PeerRecord[] = [];
  for (let i = 0; i < nextPeer; i++) {
    peers.push({
      peer: i,
      class: CLASS_NAMES[cls[i]],
      arrived: arrived[i],
      finished: finished[i] >= 0 ? finished[i] : undefined,
      left: left[i] >= 0 ? left[i] : undefined,
      uploaded: uploaded[i],
      downloaded: downloaded[i],
    });
  }
  return { peers, finishTime: lastFinish, lowerBound, population, availability, watched, steps, wallMs: performance.now() - wallStart };
}
