import { AppLayerError } from "../errors";
import { Random } from "../sim/random";
import { PieceAssembly } from "./assembly";
import { PIPELINE, REQUEST_BATCH, SPARE_PIECES } from "./limits";
import { Torrent, pieceSize } from "./metainfo";
import { Peer } from "./peer";
import { PickerStrategy, pickPiece } from "./picker";
import { Storage } from "./storage";
import { BLOCK_SIZE, WireMessage, bitfieldToWords } from "./wire";

/** What the downloader reports to its session. */
export interface DownloaderEvents {
  piece(piece: number, from: Peer, have: number): void;
  banned(peer: Peer, reason: string): void;
  /** Every piece is on disk and verified. */
  complete(): void;
}

/**
 * The downloading half of a torrent session: which pieces we have, which peers
 * have what we lack (interest), which blocks to ask whom for (the picker, PIPELINE
 * requests in flight per peer), and each arriving block copied into its piece,
 * hashed as it comes, and the piece written only once its SHA-1 matches. A peer
 * that sent a piece that does not match is banned.
 *
 * @example
 * const down = new Downloader(torrent, storage, peers, await storage.check(), { strategy: "rarest", random, banned, events });
 * down.onMessage(peer, { type: "unchoke" }); // asks `peer` for blocks
 */
export class Downloader {
  readonly pieces: number;
  private readonly words: number;
  /** Pieces on disk and verified: what we can serve. */
  readonly have: Uint32Array;
  /** Pieces verified and on their way to disk, or on it: never asked for again (`have` follows once written). */
  private readonly got: Uint32Array;
  /** Pieces some peer is sending us. */
  private readonly pending: Uint32Array;
  /** How many connected peers have each piece (what "rarest first" ranks by). */
  private readonly copies: Int32Array;
  private readonly spare: Buffer[] = [];
  haveCount = 0;
  downloaded = 0;

  constructor(
    private readonly torrent: Torrent,
    private readonly storage: Storage,
    private readonly peers: Set<Peer>,
    good: boolean[],
    private readonly options: { strategy: PickerStrategy; random: Random; banned: Set<string>; events: DownloaderEvents },
  ) {
    this.pieces = torrent.pieces.length;
    this.words = Math.ceil(this.pieces / 32);
    this.have = new Uint32Array(this.words);
    this.got = new Uint32Array(this.words);
    this.pending = new Uint32Array(this.words);
    this.copies = new Int32Array(this.pieces);
    good.forEach((ok, p) => ok && (this.mark(this.have, p), this.mark(this.got, p), this.haveCount++));
  }

  get complete(): boolean {
    return this.haveCount === this.pieces;
  }

  hasPiece(p: number): boolean {
    return ((this.have[p >>> 5] >>> (p & 31)) & 1) === 1;
  }

  private gotPiece(p: number): boolean {
    return ((this.got[p >>> 5] >>> (p & 31)) & 1) === 1;
  }

  private mark(bits: Uint32Array, p: number): void {
    bits[p >>> 5] |= 1 << (p & 31);
  }

  private unmark(bits: Uint32Array, p: number): void {
    bits[p >>> 5] &= ~(1 << (p & 31));
  }

  /** Bytes still to fetch (the tracker's `left`). */
  left(): number {
    if (this.complete) return 0;
    let have = 0;
    for (let p = 0; p < this.pieces; p++) if (this.hasPiece(p)) have += pieceSize(this.torrent, p);
    return this.torrent.length - have;
  }

  private wantsFrom(peer: Peer): boolean {
    if (this.complete) return false;
    for (let w = 0; w < this.words; w++) if (peer.have[w] & ~this.got[w]) return true;
    return false;
  }

  /** BEP 3: interested exactly while the peer has a piece we lack; said only when it changes. */
  updateInterest(peer: Peer): void {
    const want = this.wantsFrom(peer);
    if (want !== peer.amInterested) {
      peer.amInterested = want;
      peer.send({ type: want ? "interested" : "not-interested" });
    }
  }

  /** Asks `peer` for more blocks, if it lets us and REQUEST_BATCH requests can go: one write carries them all, not one write per arriving block. */
  fill(peer: Peer): void {
    if (peer.peerChoking || !peer.amInterested || peer.closed || peer.requests.size > PIPELINE - REQUEST_BATCH) return;
    peer.batch(() => this.topUp(peer));
  }

  private topUp(peer: Peer): void {
    const t = this.torrent;
    while (peer.requests.size < PIPELINE) {
      let state: PieceAssembly | undefined;
      for (const s of peer.fetching.values()) if (s.next < s.size) state = s;
      if (!state) {
        const p = pickPiece(this.options.strategy, { words: this.words, pieces: this.pieces, theirs: peer.have, mine: this.got, pending: this.pending, copies: this.copies }, this.options.random);
        if (p < 0 || peer.fetching.has(p)) return;
        this.mark(this.pending, p);
        state = new PieceAssembly(p, pieceSize(t, p), this.spare.pop() ?? Buffer.allocUnsafe(t.pieceLength));
        peer.fetching.set(p, state);
      }
      const length = Math.min(BLOCK_SIZE, state.size - state.next);
      peer.requests.set(`${state.piece}:${state.next}`, length);
      peer.send({ type: "request", piece: state.piece, begin: state.next, length });
      state.next += length;
    }
  }

  /** Forget what we were fetching from a peer (choked, gone, or a piece done elsewhere). */
  release(peer: Peer, piece?: number): void {
    for (const p of piece === undefined ? [...peer.fetching.keys()] : [piece]) {
      peer.fetching.delete(p);
      for (const key of [...peer.requests.keys()]) if (key.startsWith(`${p}:`)) peer.requests.delete(key);
      let elsewhere = false;
      for (const q of this.peers) if (q !== peer && q.fetching.has(p)) elsewhere = true;
      if (!elsewhere) this.unmark(this.pending, p);
    }
  }

  private recycle(piece: PieceAssembly): void {
    if (this.spare.length < SPARE_PIECES) this.spare.push(piece.buffer);
  }

  private async finishPiece(peer: Peer, piece: PieceAssembly): Promise<void> {
    const p = piece.piece;
    peer.fetching.delete(p);
    if (this.gotPiece(p)) return this.recycle(piece);
    if (!this.storage.matches(p, piece.digest())) {
      // The SHA-1 does not match: this peer sent all of the piece, so it lied (or is broken). Ban it.
      this.options.banned.add(peer.label);
      if (peer.id) this.options.banned.add(peer.id.toString("hex"));
      this.options.events.banned(peer, `piece ${p} failed its SHA-1 check`);
      this.release(peer);
      this.unmark(this.pending, p);
      peer.close(`sent a corrupt piece ${p}; banned`);
      this.fillAll();
      return;
    }
    this.mark(this.got, p);
    this.unmark(this.pending, p);
    for (const q of this.peers) {
      if (q.fetching.has(p)) {
        // Endgame: the same piece was on its way from others too. Cancel those requests.
        for (const [key, length] of q.requests) if (key.startsWith(`${p}:`)) q.send({ type: "cancel", piece: p, begin: Number(key.split(":")[1]), length });
        this.release(q, p);
      }
      this.updateInterest(q);
    }
    await this.storage.writePiece(p, piece.data);
    this.recycle(piece);
    this.mark(this.have, p);
    this.haveCount++;
    this.downloaded += piece.size;
    this.options.events.piece(p, peer, this.haveCount);
    // Only now can we serve it. A peer that has the piece is not told (libtorrent's default too): a seed would be told
    // every piece, each in a write of its own.
    for (const q of this.peers) if (!q.hasPiece(p)) q.send({ type: "have", piece: p });
    if (this.complete) this.options.events.complete();
    this.fillAll();
  }

  /** Where an arriving block goes: its slot in the piece being assembled, if we asked for exactly it. */
  blockSink(peer: Peer, piece: number, begin: number, length: number): Buffer | undefined {
    return peer.requests.get(`${piece}:${begin}`) === length ? peer.fetching.get(piece)?.slot(begin, length) : undefined;
  }

  /** The messages about what the peer has and lets us fetch: bitfield, have, choke, unchoke, piece. */
  onMessage(peer: Peer, m: WireMessage): void {
    const n = this.pieces;
    switch (m.type) {
      case "bitfield": {
        // BEP 3 sends it first and once; aria2 sends another later, so a later one replaces the first.
        const bits = bitfieldToWords(m.bits, n);
        for (let p = 0; p < n; p++) if (peer.hasPiece(p)) this.copies[p]--;
        peer.have = bits;
        peer.haveCount = 0;
        for (let p = 0; p < n; p++) if (peer.hasPiece(p)) (this.copies[p]++, peer.haveCount++);
        this.updateInterest(peer);
        break;
      }
      case "have":
        if (m.piece >= n) throw new AppLayerError("PEER_WIRE", `have for piece ${m.piece}; the torrent has ${n}`);
        if (!peer.hasPiece(m.piece)) {
          peer.have[m.piece >>> 5] |= 1 << (m.piece & 31);
          peer.haveCount++;
          this.copies[m.piece]++;
          this.updateInterest(peer);
          this.fill(peer);
        }
        break;
      case "choke":
        peer.peerChoking = true;
        this.release(peer);
        break;
      case "unchoke":
        peer.peerChoking = false;
        this.fill(peer);
        break;
      case "piece": {
        const key = `${m.piece}:${m.begin}`;
        const length = peer.requests.get(key);
        if (length === undefined || length !== m.block.length) break; // not asked for (or cancelled): ignore it
        peer.requests.delete(key);
        peer.recentDown += length;
        const state = peer.fetching.get(m.piece);
        if (state?.add(m.begin, m.block)) void this.finishPiece(peer, state);
        this.fill(peer);
        break;
      }
      default:
        break;
    }
  }

  /** A connection ended: its pieces no longer count as copies, and its pieces in flight may be picked again (fillAll asks the others). */
  onClose(peer: Peer): void {
    if (peer.started) for (let p = 0; p < this.pieces; p++) if (peer.hasPiece(p)) this.copies[p]--;
    this.release(peer);
  }

  /** Tops up every peer's requests. */
  fillAll(): void {
    for (const q of this.peers) this.fill(q);
  }
}
