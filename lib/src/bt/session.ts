import * as net from "node:net";
import { randomBytes } from "node:crypto";
import { AppLayerError, isAppLayerError } from "../errors";
import { Address } from "../net/address";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { Random } from "../sim/random";
import { OPTIMISTIC_UNCHOKE_SECONDS, REGULAR_SLOTS, REGULAR_UNCHOKE_SECONDS, chooseOptimistic, chooseRegular } from "./choker";
import { DEFAULT_ANNOUNCE_SECONDS, KEEPALIVE_SECONDS, MAX_PEERS, PIPELINE, READ_BUFFER, REQUEST_BATCH, SPARE_PIECES, TRACKER_RETRIES, TRACKER_RETRY_MS, UPLOAD_TICK_MS } from "./limits";
import { Torrent, pieceSize } from "./metainfo";
import { Peer } from "./peer";
import { PieceAssembly } from "./assembly";
import { Trace } from "../lab/trace";
import { PickerStrategy, pickPiece } from "./picker";
import { Storage } from "./storage";
import { announce } from "./tracker";
import { BLOCK_SIZE, MAX_REQUEST_LENGTH, WireMessage, bitfieldToWords, wordsToBitfield } from "./wire";

export type SessionEvent =
  | { type: "connected"; peer: string }
  | { type: "closed"; peer: string; reason: string }
  | { type: "piece"; piece: number; from: string; have: number }
  | { type: "banned"; peer: string; reason: string }
  | { type: "complete" }
  | { type: "tracker"; peers: number; error?: string };

export interface SessionOptions extends ListenOptions {
  torrent: Torrent;
  /** Where the files are (a seed) or go (a download). */
  dir: string;
  /** Tracker URL; default the torrent's announce. */
  announceUrl?: string;
  peerId?: Buffer;
  picker?: PickerStrategy;
  /** Seconds between announces when the tracker does not say. */
  interval?: number;
  /** Extra peers to connect to (no tracker needed). */
  peers?: Address[];
  onEvent?: (e: SessionEvent) => void;
  seed?: number;
  /** Cap the upload, bytes/s (a lesson's slow uplink); default: as fast as the peers take it. */
  uploadRate?: number;
  /** Records every wire message of every connection, this peer's lifeline named `name`. */
  trace?: { trace: Trace; name: string };
  /** The wait before the first retry of an unreachable tracker (default TRACKER_RETRY_MS; tests shorten it). */
  trackerRetryMs?: number;
}

export interface TorrentSession extends Closable {
  readonly address: Address;
  readonly peerId: Buffer;
  /**
   * Resolves once every piece is on disk and verified. Rejects (TRACKER_UNREACHABLE, or TRACKER with the
   * tracker's failure reason) when the first announce failed TRACKER_RETRIES more times and no peer is known.
   */
  readonly complete: Promise<void>;
  stats(): { pieces: number; have: number; downloaded: number; uploaded: number; peers: number; banned: number };
  /** Connects to one more peer. */
  connect(address: Address): void;
}

/** A peer id in Azureus style: "-AL0100-" and 12 random bytes. */
export function newPeerId(): Buffer {
  return Buffer.concat([Buffer.from("-AL0100-"), randomBytes(12)]);
}

/**
 * A torrent being downloaded and seeded: the peer that BitTorrent clients see.
 * It announces to the tracker, connects to the peers it is given and accepts
 * others, and runs the same picker and choker as the swarm simulator:
 *  - requests BLOCK_SIZE blocks, PIPELINE of them in flight per peer;
 *  - copies each block from the socket's read buffer straight into its piece,
 *    hashes it as it arrives (PieceAssembly), and writes a piece only once its
 *    SHA-1 matches; a peer that sent a bad piece is banned, and the piece is
 *    fetched again from the others;
 *  - tit-for-tat every 10 s, an optimistic unchoke every 30 s, and an empty slot
 *    given at once to a peer that asks.
 */
export async function startSession(options: SessionOptions): Promise<TorrentSession> {
  const t = options.torrent;
  const n = t.pieces.length;
  const W = Math.ceil(n / 32);
  const storage = await Storage.open(t, options.dir);
  const peerId = options.peerId ?? newPeerId();
  const random = new Random(options.seed ?? (Date.now() & 0xffff));
  const strategy = options.picker ?? "rarest";
  const have = new Uint32Array(W);
  // Pieces verified and on their way to disk, or on it: never asked for again (`have` follows once written).
  const got = new Uint32Array(W);
  const pending = new Uint32Array(W);
  const copies = new Int32Array(n);
  const spare: Buffer[] = [];
  const recycle = (piece: PieceAssembly): void => {
    if (spare.length < SPARE_PIECES) spare.push(piece.buffer);
  };
  let haveCount = 0;
  const good = await storage.check();
  good.forEach((ok, p) => ok && ((have[p >>> 5] |= 1 << (p & 31)), (got[p >>> 5] |= 1 << (p & 31)), haveCount++));
  const peers = new Set<Peer>();
  const banned = new Set<string>();
  const connecting = new Set<string>();
  let downloaded = 0;
  let uploaded = 0;
  let closed = false;
  let resolveComplete!: () => void;
  let rejectComplete!: (e: Error) => void;
  const complete = new Promise<void>((r, j) => ((resolveComplete = r), (rejectComplete = j)));
  complete.catch(() => undefined); // a seed nobody awaits must not crash the process when its tracker is down
  if (haveCount === n) resolveComplete();
  const emit = (e: SessionEvent) => options.onEvent?.(e);
  const hasPiece = (p: number) => ((have[p >>> 5] >>> (p & 31)) & 1) === 1;
  const gotPiece = (p: number) => ((got[p >>> 5] >>> (p & 31)) & 1) === 1;

  const wantsFrom = (peer: Peer) => {
    if (haveCount === n) return false;
    for (let w = 0; w < W; w++) if (peer.have[w] & ~got[w]) return true;
    return false;
  };
  const updateInterest = (peer: Peer) => {
    const want = wantsFrom(peer);
    if (want !== peer.amInterested) {
      peer.amInterested = want;
      peer.send({ type: want ? "interested" : "not-interested" });
    }
  };

  // --- the downloader: which blocks to ask whom for ---
  const pickInput = { words: W, pieces: n, theirs: have, mine: got, pending, copies };
  const fill = (peer: Peer) => {
    // Top up only once REQUEST_BATCH requests can go: one write carries them all, not one write per arriving block.
    if (peer.peerChoking || !peer.amInterested || peer.closed || peer.requests.size > PIPELINE - REQUEST_BATCH) return;
    peer.batch(() => topUp(peer));
  };
  const topUp = (peer: Peer) => {
    while (peer.requests.size < PIPELINE) {
      let state: PieceAssembly | undefined;
      for (const s of peer.fetching.values()) if (s.next < s.size) state = s;
      if (!state) {
        const p = pickPiece(strategy, { ...pickInput, theirs: peer.have }, random);
        if (p < 0 || peer.fetching.has(p)) return;
        pending[p >>> 5] |= 1 << (p & 31);
        state = new PieceAssembly(p, pieceSize(t, p), spare.pop() ?? Buffer.allocUnsafe(t.pieceLength));
        peer.fetching.set(p, state);
      }
      const length = Math.min(BLOCK_SIZE, state.size - state.next);
      peer.requests.set(`${state.piece}:${state.next}`, length);
      peer.send({ type: "request", piece: state.piece, begin: state.next, length });
      state.next += length;
    }
  };
  /** Forget what we were fetching from a peer (choked, gone, or a piece done elsewhere). */
  const release = (peer: Peer, piece?: number) => {
    for (const p of piece === undefined ? [...peer.fetching.keys()] : [piece]) {
      peer.fetching.delete(p);
      for (const key of [...peer.requests.keys()]) if (key.startsWith(`${p}:`)) peer.requests.delete(key);
      let elsewhere = false;
      for (const q of peers) if (q !== peer && q.fetching.has(p)) elsewhere = true;
      if (!elsewhere) pending[p >>> 5] &= ~(1 << (p & 31));
    }
  };

  const finishPiece = async (peer: Peer, piece: PieceAssembly) => {
    const p = piece.piece;
    peer.fetching.delete(p);
    if (gotPiece(p)) return recycle(piece);
    if (!storage.matches(p, piece.digest())) {
      // The SHA-1 does not match: this peer sent all of the piece, so it lied (or is broken). Ban it.
      banned.add(peer.label);
      if (peer.id) banned.add(peer.id.toString("hex"));
      emit({ type: "banned", peer: peer.label, reason: `piece ${p} failed its SHA-1 check` });
      release(peer);
      pending[p >>> 5] &= ~(1 << (p & 31));
      peer.close(`sent a corrupt piece ${p}; banned`);
      for (const q of peers) fill(q);
      return;
    }
    got[p >>> 5] |= 1 << (p & 31);
    pending[p >>> 5] &= ~(1 << (p & 31));
    for (const q of peers) {
      if (q.fetching.has(p)) {
        // Endgame: the same piece was on its way from others too. Cancel those requests.
        for (const [key, length] of q.requests) if (key.startsWith(`${p}:`)) q.send({ type: "cancel", piece: p, begin: Number(key.split(":")[1]), length });
        release(q, p);
      }
      updateInterest(q);
    }
    await storage.writePiece(p, piece.data);
    recycle(piece);
    have[p >>> 5] |= 1 << (p & 31);
    haveCount++;
    downloaded += piece.size;
    emit({ type: "piece", piece: p, from: peer.label, have: haveCount });
    // Only now can we serve it. A peer that has the piece is not told (libtorrent's default too): a seed would be told
    // every piece, each in a write of its own.
    for (const q of peers) if (!q.hasPiece(p)) q.send({ type: "have", piece: p });
    if (haveCount === n) {
      emit({ type: "complete" });
      resolveComplete();
      void reannounce("completed").catch(() => undefined);
    }
    for (const q of peers) fill(q);
  };

  // --- the choker ---
  const unchoked = () => [...peers].filter((p) => !p.amChoking);
  const setChoke = (peer: Peer, choke: boolean) => {
    if (peer.amChoking === choke) return;
    peer.amChoking = choke;
    peer.send({ type: choke ? "choke" : "unchoke" });
  };
  let optimistic: Peer | undefined;
  const rechoke = (rotateOptimistic: boolean) => {
    const list = [...peers].filter((p) => !p.closed && p.id);
    const seeding = haveCount === n;
    const picks: number[] = [];
    const count = chooseRegular(list.length, (k) => (seeding ? list[k].recentUp : list[k].recentDown), (k) => list[k].peerInterested, REGULAR_SLOTS, random, picks);
    const chosen = new Set(picks.slice(0, count).map((k) => list[k]));
    if (rotateOptimistic || !optimistic || optimistic.closed || chosen.has(optimistic)) {
      const k = chooseOptimistic(list.length, (i) => list[i].peerInterested, (i) => chosen.has(list[i]), random);
      optimistic = k >= 0 ? list[k] : undefined;
    }
    if (optimistic) chosen.add(optimistic);
    for (const p of list) {
      setChoke(p, !chosen.has(p));
      p.recentDown = 0;
      p.recentUp = 0;
    }
  };
  let ticks = 0;
  const choker = setInterval(() => {
    ticks++;
    rechoke(ticks % (OPTIMISTIC_UNCHOKE_SECONDS / REGULAR_UNCHOKE_SECONDS) === 0);
    // BEP 3: a keep-alive every two minutes, so quiet connections are not timed out.
    if (ticks % (KEEPALIVE_SECONDS / REGULAR_UNCHOKE_SECONDS) === 0) for (const p of peers) p.send({ type: "keep-alive" });
  }, REGULAR_UNCHOKE_SECONDS * 1000);
  choker.unref();

  // --- messages ---
  const onMessage = (peer: Peer, m: WireMessage) => {
    peer.started = true;
    switch (m.type) {
      case "bitfield": {
        // BEP 3 sends it first and once; aria2 sends another later, so a later one replaces the first.
        const bits = bitfieldToWords(m.bits, n);
        for (let p = 0; p < n; p++) if (peer.hasPiece(p)) copies[p]--;
        peer.have = bits;
        peer.haveCount = 0;
        for (let p = 0; p < n; p++) if (peer.hasPiece(p)) (copies[p]++, peer.haveCount++);
        updateInterest(peer);
        break;
      }
      case "have":
        if (m.piece >= n) throw new AppLayerError("PEER_WIRE", `have for piece ${m.piece}; the torrent has ${n}`);
        if (!peer.hasPiece(m.piece)) {
          peer.have[m.piece >>> 5] |= 1 << (m.piece & 31);
          peer.haveCount++;
          copies[m.piece]++;
          updateInterest(peer);
          fill(peer);
        }
        break;
      case "choke":
        peer.peerChoking = true;
        release(peer);
        break;
      case "unchoke":
        peer.peerChoking = false;
        fill(peer);
        break;
      case "interested":
        peer.peerInterested = true;
        // A free slot is given at once, rather than at the next rechoke.
        if (peer.amChoking && unchoked().length < REGULAR_SLOTS + 1) setChoke(peer, false);
        break;
      case "not-interested":
        peer.peerInterested = false;
        break;
      case "request": {
        if (m.piece >= n || m.length === 0 || m.length > MAX_REQUEST_LENGTH || m.begin + m.length > pieceSize(t, m.piece)) {
          throw new AppLayerError("PEER_WIRE", `a request for ${m.length} bytes at ${m.begin} of piece ${m.piece} is outside the piece (or over ${MAX_REQUEST_LENGTH} bytes)`);
        }
        if (peer.amChoking || !hasPiece(m.piece)) break; // BEP 3: requests while choked are dropped
        if (options.uploadRate) uploads.push({ peer, piece: m.piece, begin: m.begin, length: m.length });
        else serve(peer, m.piece, m.begin, m.length);
        break;
      }
      case "piece": {
        const key = `${m.piece}:${m.begin}`;
        const length = peer.requests.get(key);
        if (length === undefined || length !== m.block.length) break; // not asked for (or cancelled): ignore it
        peer.requests.delete(key);
        peer.recentDown += length;
        const state = peer.fetching.get(m.piece);
        if (state?.add(m.begin, m.block)) void finishPiece(peer, state);
        fill(peer);
        break;
      }
      case "cancel":
      case "keep-alive":
      case "port":
      case "unknown":
        break;
    }
  };

  const serve = (peer: Peer, piece: number, begin: number, length: number) => {
    const hold = storage.acquire(piece);
    hold.ready.then((data) => {
      if (peer.amChoking || peer.closed) return hold.release();
      // The buffer goes back to the pool only once the socket has handed the block to the kernel.
      peer.sendBlock(piece, begin, data.subarray(begin, begin + length), hold.release);
      uploaded += length;
    }, () => (hold.release(), peer.close("could not read a piece to send")));
  };
  // With an upload cap, requests wait in a queue that a timer drains at the allowed rate.
  const uploads: Array<{ peer: Peer; piece: number; begin: number; length: number }> = [];
  let credit = 0;
  const drain = options.uploadRate
    ? setInterval(() => {
        credit = Math.min(credit + (options.uploadRate! * UPLOAD_TICK_MS) / 1000, options.uploadRate!);
        while (uploads.length && credit >= uploads[0].length) {
          const u = uploads.shift()!;
          credit -= u.length;
          if (!u.peer.closed) void serve(u.peer, u.piece, u.begin, u.length);
        }
      }, UPLOAD_TICK_MS)
    : undefined;
  drain?.unref();

  const hooks = {
    infoHash: t.infoHashBytes,
    peerId,
    trace: options.trace,
    blockSink(peer: Peer, piece: number, begin: number, length: number) {
      return peer.requests.get(`${piece}:${begin}`) === length ? peer.fetching.get(piece)?.slot(begin, length) : undefined;
    },
    onHandshake(peer: Peer) {
      const id = peer.id!.toString("hex");
      if (peer.id!.equals(peerId)) return peer.close("that was ourselves");
      if (banned.has(id) || banned.has(peer.label)) return peer.close("banned");
      for (const q of peers) if (q !== peer && q.id?.equals(peer.id!)) return peer.close("already connected to that peer");
      emit({ type: "connected", peer: peer.label });
      if (haveCount > 0) peer.send({ type: "bitfield", bits: wordsToBitfield(have, n) });
    },
    onMessage,
    onClose(peer: Peer, reason: string) {
      peers.delete(peer);
      if (peer.started) for (let p = 0; p < n; p++) if (peer.hasPiece(p)) copies[p]--;
      release(peer);
      if (optimistic === peer) optimistic = undefined;
      emit({ type: "closed", peer: peer.label, reason });
      for (const q of peers) fill(q);
    },
  };
  const adopt = (socket: net.Socket): Peer | undefined => {
    if (closed || peers.size >= MAX_PEERS) {
      socket.destroy();
      return undefined;
    }
    const peer = new Peer(socket, n, hooks);
    peers.add(peer);
    return peer;
  };

  const service = await serveTcp("bittorrent", options, adopt);
  const connect = (a: Address) => {
    const key = `${a.host}:${a.port}`;
    if (closed || banned.has(key) || connecting.has(key) || (a.port === service.address.port && a.host === service.address.host)) return;
    for (const p of peers) if (p.label === key) return;
    connecting.add(key);
    // The socket reads into one buffer for its whole life, and the peer copies each block out at once: no 64 KiB
    // buffer per read for the garbage collector, no joining of blocks cut between reads. A capture taps 'data' events.
    let peer: Peer | undefined;
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    const onread = { buffer, callback: (bytes: number) => (peer?.receive(buffer.subarray(0, bytes)), true) };
    // From the address we listen on: Transmission tells peers apart by IP alone, so a peer on 127.0.0.31 must dial
    // from 127.0.0.31, not from 127.0.0.1 where another client may be.
    const socket = net.connect({ host: a.host, port: a.port, localAddress: service.address.host, ...(options.capture ? {} : { onread }) });
    options.capture?.tapTcp(socket, "client");
    socket.once("connect", () => {
      connecting.delete(key);
      peer = adopt(socket);
    });
    socket.once("error", () => {
      connecting.delete(key);
      socket.destroy();
    });
  };
  for (const a of options.peers ?? []) connect(a);

  // --- the tracker ---
  const announceUrl = options.announceUrl ?? t.announce;
  let timer: NodeJS.Timeout | undefined;
  const left = () => t.length - (haveCount === n ? t.length : [...Array(n).keys()].filter(hasPiece).reduce((s, p) => s + pieceSize(t, p), 0));
  const schedule = (seconds: number) => {
    if (closed) return;
    timer = setInterval(() => void reannounce().catch(() => undefined), Math.max(1, seconds) * 1000);
    timer.unref();
  };
  /** One announce; its peers are dialled. `ip` (BEP 3) is the address we listen on, which the tracker cannot see when we dial it from another. */
  const reannounce = async (event?: "started" | "stopped" | "completed"): Promise<void> => {
    if (!announceUrl) return;
    try {
      const r = await announce(announceUrl, { infoHash: t.infoHashBytes, peerId, port: service.address.port, ip: service.address.host, uploaded, downloaded, left: left(), event });
      emit({ type: "tracker", peers: r.peers.length });
      if (event !== "stopped") for (const a of r.peers) connect(a);
      if (event === "started") schedule(r.interval ?? options.interval ?? DEFAULT_ANNOUNCE_SECONDS);
    } catch (e) {
      emit({ type: "tracker", peers: 0, error: (e as Error).message });
      throw e;
    }
  };
  /**
   * The first announce, retried after TRACKER_RETRY_MS, then twice as long each time, while the tracker cannot be
   * reached. After TRACKER_RETRIES retries (or at once, when the tracker refuses with a failure reason) a download
   * with no peer gives up: `complete` rejects, so `applayer download` exits with the reason instead of waiting forever.
   * A seed, or a download that has peers, goes on and announces again every interval.
   */
  const start = async (attempt: number): Promise<void> => {
    if (closed) return;
    try {
      await reannounce("started");
    } catch (e) {
      if (closed) return;
      const unreachable = isAppLayerError(e, "TRACKER_UNREACHABLE");
      if (unreachable && attempt < TRACKER_RETRIES) {
        setTimeout(() => void start(attempt + 1), (options.trackerRetryMs ?? TRACKER_RETRY_MS) * 2 ** attempt).unref();
        return;
      }
      if (peers.size === 0 && !options.peers?.length) {
        rejectComplete(unreachable
          ? new AppLayerError("TRACKER_UNREACHABLE", `the tracker at ${announceUrl} refused ${attempt + 1} connections in a row, so no peer can be found: start it (applayer tracker --listen HOST:PORT) or use a .torrent whose announce URL names a running tracker`, { url: announceUrl, attempts: attempt + 1 })
          : (e as Error));
      }
      schedule(options.interval ?? DEFAULT_ANNOUNCE_SECONDS);
    }
  };
  await start(0);

  return {
    address: service.address,
    peerId,
    complete,
    stats: () => ({ pieces: n, have: haveCount, downloaded, uploaded, peers: peers.size, banned: banned.size }),
    connect,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(choker);
      if (drain) clearInterval(drain);
      if (timer) clearInterval(timer);
      await reannounce("stopped").catch(() => undefined);
      for (const p of peers) p.close("closing");
      await service.close();
      await storage.close();
    },
  };
}
