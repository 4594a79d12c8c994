import * as net from "node:net";
import { AppLayerError, isAppLayerError } from "../errors";
import { Trace } from "../lab/trace";
import { PieceAssembly } from "./assembly";
import { HANDSHAKE_LENGTH, Handshake, MAX_WIRE_MESSAGE, WireDecoder, WireMessage, decodeHandshake, describeWire, encodeHandshake, encodeWireMessage, encodePieceHeader } from "./wire";

/**
 * One connection to another peer: the handshake, the four state bits of BEP 3
 * (am choking / am interested / peer choking / peer interested), the peer's
 * pieces, and counters for the choker. It frames and checks; the torrent session
 * decides. Anything malformed ends this connection only, with a reason.
 */
export class Peer {
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** The peer's pieces, as Uint32 words (set once its bitfield or haves arrive). */
  have: Uint32Array;
  haveCount = 0;
  /** Its peer id, once the handshake came. */
  id?: Buffer;
  /** Bytes each way since the last rechoke: what tit-for-tat ranks by. */
  recentDown = 0;
  recentUp = 0;
  /** Our requests in flight to it: "piece:begin" → length. */
  readonly requests = new Map<string, number>();
  /** Pieces we are fetching from it, with the blocks received so far. */
  readonly fetching = new Map<number, PieceAssembly>();
  /** Set once a message after the handshake arrived (its pieces are then counted in the swarm's copies). */
  started = false;
  closed = false;
  readonly label: string;
  private readonly decoder: WireDecoder;
  private handshook = false;
  private pendingBytes = Buffer.alloc(0);

  constructor(
    readonly socket: net.Socket,
    pieces: number,
    private readonly hooks: {
      infoHash: Buffer;
      peerId: Buffer;
      onHandshake(peer: Peer, h: Handshake): void;
      onMessage(peer: Peer, m: WireMessage): void;
      onClose(peer: Peer, reason: string): void;
      /** Where an arriving block should be copied (a slot in its piece), or undefined for a buffer of its own. */
      blockSink?(peer: Peer, piece: number, begin: number, length: number): Buffer | undefined;
      /** Records every message each way, with this side named `name`. */
      trace?: { trace: Trace; name: string };
    },
  ) {
    this.have = new Uint32Array(Math.ceil(pieces / 32));
    const sink = hooks.blockSink;
    this.decoder = new WireDecoder(MAX_WIRE_MESSAGE, sink && ((piece, begin, length) => sink(this, piece, begin, length)));
    this.label = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (e) => this.close(`socket error: ${e.message}`));
    socket.on("close", () => this.close("the peer closed the connection"));
    this.write(encodeHandshake(hooks.infoHash, hooks.peerId));
    this.traced(true, "handshake");
  }

  /** Records a message in the trace, if there is one (described only then: this is the hot path). */
  private traced(sent: boolean, m: WireMessage | string): void {
    const t = this.hooks.trace;
    if (!t) return;
    const label = typeof m === "string" ? m : describeWire(m);
    if (sent) t.trace.record(t.name, this.label, label);
    else t.trace.record(this.label, t.name, label);
  }

  /** Bytes from the socket (through 'data', or its read buffer: nothing of `chunk` is kept). */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      if (!this.handshook) {
        this.pendingBytes = Buffer.concat([this.pendingBytes, chunk]);
        if (this.pendingBytes.length < HANDSHAKE_LENGTH) return;
        const h = decodeHandshake(this.pendingBytes);
        if (!h.infoHash.equals(this.hooks.infoHash)) throw new AppLayerError("PEER_WIRE", "the handshake is for another torrent");
        this.handshook = true;
        this.id = Buffer.from(h.peerId);
        this.traced(false, "handshake");
        const rest = this.pendingBytes.subarray(HANDSHAKE_LENGTH);
        this.pendingBytes = Buffer.alloc(0);
        this.hooks.onHandshake(this, h);
        if (this.closed || !rest.length) return;
        chunk = rest;
      }
      for (const m of this.decoder.push(chunk)) {
        if (this.closed) return;
        this.traced(false, m);
        this.hooks.onMessage(this, m);
      }
    } catch (e) {
      if (!isAppLayerError(e)) throw e;
      this.close(e.message);
    }
  }

  write(bytes: Buffer): void {
    if (!this.closed && this.socket.writable) this.socket.write(bytes);
  }

  /** Runs `work`, whose messages then leave in one write (a pipeline of requests is one segment, not a hundred syscalls). */
  batch(work: () => void): void {
    this.socket.cork();
    try {
      work();
    } finally {
      this.socket.uncork();
    }
  }

  send(m: WireMessage): void {
    if (!this.closed) this.traced(true, m);
    this.write(encodeWireMessage(m));
  }

  /** A piece message, the block written after its header without copying it (don't reuse the block before `sent`). */
  sendBlock(piece: number, begin: number, block: Buffer, sent: () => void): void {
    if (this.closed || !this.socket.writable) return sent();
    if (this.hooks.trace) this.traced(true, `piece ${piece} @${begin} (${block.length} B)`);
    // Header and block leave in one write (cork), not two segments; `sent` runs once the kernel has the bytes.
    this.socket.cork();
    this.socket.write(encodePieceHeader(piece, begin, block.length));
    this.socket.write(block, () => sent());
    process.nextTick(() => this.socket.uncork());
    this.recentUp += block.length;
  }

  hasPiece(p: number): boolean {
    return ((this.have[p >>> 5] >>> (p & 31)) & 1) === 1;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.hooks.onClose(this, reason);
  }
}
