import { AppLayerError } from "../errors";
import { Random } from "../sim/random";
import { REGULAR_SLOTS, chooseOptimistic, chooseRegular } from "./choker";
import { UPLOAD_TICK_MS } from "./limits";
import { Torrent, pieceSize } from "./metainfo";
import { Peer } from "./peer";
import { Storage } from "./storage";
import { MAX_REQUEST_LENGTH, WireMessage } from "./wire";

/**
 * The uploading half of a torrent session: whom we unchoke (the choker's
 * tit-for-tat, an optimistic unchoke, and a free slot given at once to a peer
 * that says interested) and the blocks we send them, read from verified pieces
 * on disk, at most `uploadRate` bytes/s when a lesson caps the uplink.
 *
 * @example
 * const up = new Uploader(torrent, storage, peers, { random, hasPiece: (p) => down.hasPiece(p), seeding: () => down.complete });
 * up.onMessage(peer, { type: "interested" }); // unchokes it if a slot is free
 */
export class Uploader {
  uploaded = 0;
  private optimistic: Peer | undefined;
  /** With an upload cap, requests wait in this queue, which a timer drains at the allowed rate. */
  private readonly queue: Array<{ peer: Peer; piece: number; begin: number; length: number }> = [];
  private credit = 0;
  private readonly drain?: NodeJS.Timeout;

  constructor(
    private readonly torrent: Torrent,
    private readonly storage: Storage,
    private readonly peers: Set<Peer>,
    private readonly options: { random: Random; hasPiece(p: number): boolean; seeding(): boolean; uploadRate?: number },
  ) {
    const rate = options.uploadRate;
    if (rate) {
      this.drain = setInterval(() => {
        this.credit = Math.min(this.credit + (rate * UPLOAD_TICK_MS) / 1000, rate);
        while (this.queue.length && this.credit >= this.queue[0].length) {
          const u = this.queue.shift()!;
          this.credit -= u.length;
          if (!u.peer.closed) this.serve(u.peer, u.piece, u.begin, u.length);
        }
      }, UPLOAD_TICK_MS);
      this.drain.unref();
    }
  }

  private unchoked(): Peer[] {
    return [...this.peers].filter((p) => !p.amChoking);
  }

  private setChoke(peer: Peer, choke: boolean): void {
    if (peer.amChoking === choke) return;
    peer.amChoking = choke;
    peer.send({ type: choke ? "choke" : "unchoke" });
  }

  /**
   * A choker round: the REGULAR_SLOTS interested peers that sent us the most lately (when seeding: that took the
   * most from us) are unchoked, plus one optimistic unchoke, rotated when `rotateOptimistic`; everyone else is choked.
   */
  rechoke(rotateOptimistic: boolean): void {
    const list = [...this.peers].filter((p) => !p.closed && p.id);
    const seeding = this.options.seeding();
    const picks: number[] = [];
    const random = this.options.random;
    const count = chooseRegular(list.length, (k) => (seeding ? list[k].recentUp : list[k].recentDown), (k) => list[k].peerInterested, REGULAR_SLOTS, random, picks);
    const chosen = new Set(picks.slice(0, count).map((k) => list[k]));
    const optimistic = this.optimistic;
    if (rotateOptimistic || !optimistic || optimistic.closed || chosen.has(optimistic)) {
      const k = chooseOptimistic(list.length, (i) => list[i].peerInterested, (i) => chosen.has(list[i]), random);
      this.optimistic = k >= 0 ? list[k] : undefined;
    }
    if (this.optimistic) chosen.add(this.optimistic);
    for (const p of list) {
      this.setChoke(p, !chosen.has(p));
      p.recentDown = 0;
      p.recentUp = 0;
    }
  }

  private serve(peer: Peer, piece: number, begin: number, length: number): void {
    const hold = this.storage.acquire(piece);
    hold.ready.then((data) => {
      if (peer.amChoking || peer.closed) return hold.release();
      // The buffer goes back to the pool only once the socket has handed the block to the kernel.
      peer.sendBlock(piece, begin, data.subarray(begin, begin + length), hold.release);
      this.uploaded += length;
    }, () => (hold.release(), peer.close("could not read a piece to send")));
  }

  /** The messages about what the peer wants from us: interested, not-interested, request. */
  onMessage(peer: Peer, m: WireMessage): void {
    switch (m.type) {
      case "interested":
        peer.peerInterested = true;
        // A free slot is given at once, rather than at the next rechoke.
        if (peer.amChoking && this.unchoked().length < REGULAR_SLOTS + 1) this.setChoke(peer, false);
        break;
      case "not-interested":
        peer.peerInterested = false;
        break;
      case "request": {
        const t = this.torrent;
        if (m.piece >= t.pieces.length || m.length === 0 || m.length > MAX_REQUEST_LENGTH || m.begin + m.length > pieceSize(t, m.piece)) {
          throw new AppLayerError("PEER_WIRE", `a request for ${m.length} bytes at ${m.begin} of piece ${m.piece} is outside the piece (or over ${MAX_REQUEST_LENGTH} bytes)`);
        }
        if (peer.amChoking || !this.options.hasPiece(m.piece)) break; // BEP 3: requests while choked are dropped
        if (this.options.uploadRate) this.queue.push({ peer, piece: m.piece, begin: m.begin, length: m.length });
        else this.serve(peer, m.piece, m.begin, m.length);
        break;
      }
      default:
        break;
    }
  }

  onClose(peer: Peer): void {
    if (this.optimistic === peer) this.optimistic = undefined;
  }

  close(): void {
    if (this.drain) clearInterval(this.drain);
  }
}
