import { AppLayerError } from "../errors";

/**
 * The peer wire protocol (BEP 3), as bytes, without sockets. A connection opens
 * with a 68-byte handshake each way:
 *
 *     19 "BitTorrent protocol"  8 reserved bytes  20-byte info-hash  20-byte peer id
 *
 * then carries length-prefixed messages: 4 bytes of length, 1 byte of id, the
 * payload. Length 0 is a keep-alive.
 */
export const PROTOCOL = "BitTorrent protocol";
export const HANDSHAKE_LENGTH = 49 + PROTOCOL.length;

/** Blocks are requested 16 KiB at a time (what every client does). */
export const BLOCK_SIZE = 16 * 1024;
/** A request for more than this is refused (BEP 3 suggests 2^17 as the most a client should accept). */
export const MAX_REQUEST_LENGTH = 128 * 1024;
/** The longest message accepted: a piece message carrying the largest block, or a bitfield of a huge torrent. */
export const MAX_WIRE_MESSAGE = 1 << 20;

export const MESSAGE_IDS = { choke: 0, unchoke: 1, interested: 2, "not-interested": 3, have: 4, bitfield: 5, request: 6, piece: 7, cancel: 8, port: 9 } as const;

export type WireMessage =
  | { type: "keep-alive" }
  | { type: "choke" | "unchoke" | "interested" | "not-interested" }
  | { type: "have"; piece: number }
  | { type: "bitfield"; bits: Buffer }
  | { type: "request" | "cancel"; piece: number; begin: number; length: number }
  | { type: "piece"; piece: number; begin: number; block: Buffer }
  | { type: "port"; port: number }
  /** An id we do not know (extensions): skipped, length and all. */
  | { type: "unknown"; id: number; length: number };

export interface Handshake {
  reserved: Buffer;
  infoHash: Buffer;
  peerId: Buffer;
}

/**
 * One wire message in words, for a transcript or a sequence diagram:
 * `request piece 3 @16384 (16384 B)`, `bitfield (12 of 96 pieces)`.
 *
 * @example describeWire({ type: "have", piece: 7 }) // "have piece 7"
 */
export function describeWire(m: WireMessage): string {
  switch (m.type) {
    case "have":
      return `have piece ${m.piece}`;
    case "bitfield": {
      let count = 0;
      for (const b of m.bits) for (let x = b; x; x &= x - 1) count++;
      return `bitfield (${count} of ${m.bits.length * 8} bits set)`;
    }
    case "request":
    case "cancel":
      return `${m.type} piece ${m.piece} @${m.begin} (${m.length} B)`;
    case "piece":
      return `piece ${m.piece} @${m.begin} (${m.block.length} B)`;
    case "port":
      return `port ${m.port}`;
    case "unknown":
      return `unknown message id ${m.id} (${m.length} B)`;
    default:
      return m.type;
  }
}

const wireError = (what: string) => new AppLayerError("PEER_WIRE", what);

export function encodeHandshake(infoHash: Buffer, peerId: Buffer): Buffer {
  if (infoHash.length !== 20 || peerId.length !== 20) throw new AppLayerError("BAD_ARGUMENT", "info-hash and peer id are 20 bytes each");
  return Buffer.concat([Buffer.from([PROTOCOL.length]), Buffer.from(PROTOCOL, "latin1"), Buffer.alloc(8), infoHash, peerId]);
}

/** Reads a handshake from the first 68 bytes; throws PEER_WIRE if it is not one (an encrypted MSE handshake, say). */
export function decodeHandshake(bytes: Buffer): Handshake {
  if (bytes.length < HANDSHAKE_LENGTH) throw wireError(`a handshake is ${HANDSHAKE_LENGTH} bytes, got ${bytes.length}`);
  if (bytes[0] !== PROTOCOL.length || bytes.toString("latin1", 1, 20) !== PROTOCOL) throw wireError("not a BitTorrent handshake (no \\x13BitTorrent protocol; an encrypted one?)");
  return { reserved: bytes.subarray(20, 28), infoHash: bytes.subarray(28, 48), peerId: bytes.subarray(48, 68) };
}

const header = (length: number, id: number, extra = 0) => {
  const b = Buffer.allocUnsafe(5 + extra);
  b.writeUInt32BE(length, 0);
  b[4] = id;
  return b;
};

/** One message as bytes. A piece message is returned as two buffers' concatenation; use encodePieceHeader to avoid the copy. */
export function encodeWireMessage(m: WireMessage): Buffer {
  switch (m.type) {
    case "keep-alive":
      return Buffer.alloc(4);
    case "choke":
    case "unchoke":
    case "interested":
    case "not-interested":
      return header(1, MESSAGE_IDS[m.type]);
    case "have": {
      const b = header(5, MESSAGE_IDS.have, 4);
      b.writeUInt32BE(m.piece, 5);
      return b;
    }
    case "bitfield":
      return Buffer.concat([header(1 + m.bits.length, MESSAGE_IDS.bitfield), m.bits]);
    case "request":
    case "cancel": {
      const b = header(13, MESSAGE_IDS[m.type], 12);
      b.writeUInt32BE(m.piece, 5);
      b.writeUInt32BE(m.begin, 9);
      b.writeUInt32BE(m.length, 13);
      return b;
    }
    case "piece":
      return Buffer.concat([encodePieceHeader(m.piece, m.begin, m.block.length), m.block]);
    case "port": {
      const b = header(3, MESSAGE_IDS.port, 2);
      b.writeUInt16BE(m.port, 5);
      return b;
    }
    default:
      throw new AppLayerError("BAD_ARGUMENT", `cannot encode a ${m.type} message`);
  }
}

/** The 13 bytes before a block in a piece message (write the block after it, uncopied). */
export function encodePieceHeader(piece: number, begin: number, blockLength: number): Buffer {
  const b = header(9 + blockLength, MESSAGE_IDS.piece, 8);
  b.writeUInt32BE(piece, 5);
  b.writeUInt32BE(begin, 9);
  return b;
}

/** The payload length each fixed-size message must have (id → length after the id byte). */
const FIXED: Record<number, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 4, 6: 12, 8: 12, 9: 2 };
/** The bytes before a piece message's block: length prefix, id, index, offset. */
const PIECE_HEAD = 13;

/**
 * Where a piece message's block should land: given its piece, offset and length,
 * a buffer of exactly that length (a slot in the piece being assembled), or
 * undefined for a fresh one.
 */
export type BlockSink = (piece: number, begin: number, length: number) => Buffer | undefined;

/**
 * Cuts a stream into messages. Throws PEER_WIRE for a length prefix over
 * `maxLength`, or a known message with the wrong length; the caller closes that
 * connection.
 *
 * It keeps nothing of the chunks it is given (a socket may read every chunk into
 * the same buffer): each message is copied out as its bytes arrive, and a piece
 * message's block is copied straight to where the sink says it belongs, so a
 * downloaded byte is copied once, from the socket's buffer into its piece.
 */
export class WireDecoder {
  /** The message's first bytes: its length prefix, its id, and a piece message's index and offset. */
  private readonly head = Buffer.alloc(PIECE_HEAD);
  private headHave = 0;
  /** How many head bytes are wanted before the next decision: 4, then 5, then 13 for a piece message. */
  private headWant = 4;
  private length = 0;
  /** Where the rest of the message goes: the whole frame, or a piece message's block. */
  private body: Buffer | undefined;
  private bodyHave = 0;
  private bodyIsBlock = false;
  /** Bytes of an unknown message still to skip. */
  private skip = 0;

  constructor(
    readonly maxLength = MAX_WIRE_MESSAGE,
    private readonly sink?: BlockSink,
  ) {}

  push(chunk: Buffer): WireMessage[] {
    const out: WireMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        at += n;
        this.skip -= n;
        if (this.skip === 0) this.reset();
      } else if (this.body) {
        const n = Math.min(this.body.length - this.bodyHave, chunk.length - at);
        chunk.copy(this.body, this.bodyHave, at, at + n);
        at += n;
        this.bodyHave += n;
        if (this.bodyHave === this.body.length) out.push(this.finish());
      } else {
        const n = Math.min(this.headWant - this.headHave, chunk.length - at);
        chunk.copy(this.head, this.headHave, at, at + n);
        at += n;
        this.headHave += n;
        if (this.headHave === this.headWant) this.decide(out);
      }
    }
    return out;
  }

  /** The head has the bytes it wanted: what comes next? */
  private decide(out: WireMessage[]): void {
    const head = this.head;
    if (this.headHave === 4) {
      this.length = head.readUInt32BE(0);
      if (this.length > this.maxLength) throw wireError(`a message of ${this.length} bytes is over the limit of ${this.maxLength}`);
      if (this.length === 0) {
        out.push({ type: "keep-alive" });
        return this.reset();
      }
      this.headWant = 5;
      return;
    }
    const id = head[4];
    const payload = this.length - 1;
    if (this.headHave === 5) {
      if (FIXED[id] !== undefined && FIXED[id] !== payload) throw wireError(`message id ${id} must carry ${FIXED[id]} bytes, not ${payload}`);
      if (id === MESSAGE_IDS.piece) {
        if (payload < PIECE_HEAD - 5) throw wireError(`a piece message of ${payload} bytes has no room for its index and offset`);
        this.headWant = PIECE_HEAD;
        return;
      }
      if (id > MESSAGE_IDS.port) {
        out.push({ type: "unknown", id, length: payload });
        this.skip = payload;
        if (payload === 0) this.reset();
        return;
      }
      this.body = Buffer.allocUnsafe(4 + this.length);
      head.copy(this.body, 0, 0, 5);
      this.bodyHave = 5;
      if (payload === 0) out.push(this.finish());
      return;
    }
    // A piece message's head: its block goes where the sink says, or into a buffer of its own.
    const blockLength = this.length - (PIECE_HEAD - 4);
    const piece = head.readUInt32BE(5);
    const begin = head.readUInt32BE(9);
    const slot = blockLength > 0 ? this.sink?.(piece, begin, blockLength) : undefined;
    this.body = slot?.length === blockLength ? slot : Buffer.allocUnsafe(blockLength);
    this.bodyHave = 0;
    this.bodyIsBlock = true;
    if (blockLength === 0) out.push(this.finish());
  }

  private finish(): WireMessage {
    const body = this.body!;
    const m = this.bodyIsBlock ? { type: "piece" as const, piece: this.head.readUInt32BE(5), begin: this.head.readUInt32BE(9), block: body } : parse(body);
    this.reset();
    return m;
  }

  private reset(): void {
    this.headHave = 0;
    this.headWant = 4;
    this.body = undefined;
    this.bodyIsBlock = false;
  }
}

/** A whole message of a known id, its length already checked (piece messages are cut by the decoder itself). */
function parse(frame: Buffer): WireMessage {
  const id = frame[4];
  switch (id) {
    case 0: return { type: "choke" };
    case 1: return { type: "unchoke" };
    case 2: return { type: "interested" };
    case 3: return { type: "not-interested" };
    case 4: return { type: "have", piece: frame.readUInt32BE(5) };
    case 6:
    case 8: return { type: id === 6 ? "request" : "cancel", piece: frame.readUInt32BE(5), begin: frame.readUInt32BE(9), length: frame.readUInt32BE(13) };
    case 9: return { type: "port", port: frame.readUInt16BE(5) };
    default: return { type: "bitfield", bits: frame.subarray(5) };
  }
}

/** A wire bitfield (MSB first, BEP 3) → Uint32 words for the picker; throws if the size or spare bits are wrong. */
export function bitfieldToWords(bits: Buffer, pieces: number): Uint32Array {
  if (bits.length !== Math.ceil(pieces / 8)) throw wireError(`a bitfield for ${pieces} pieces is ${Math.ceil(pieces / 8)} bytes, not ${bits.length}`);
  const words = new Uint32Array(Math.ceil(pieces / 32));
  for (let p = 0; p < bits.length * 8; p++) {
    if (!((bits[p >> 3] >> (7 - (p & 7))) & 1)) continue;
    if (p >= pieces) throw wireError("a bitfield has spare bits set past the last piece");
    words[p >>> 5] |= 1 << (p & 31);
  }
  return words;
}

/** Uint32 words → a wire bitfield. */
export function wordsToBitfield(words: Uint32Array, pieces: number): Buffer {
  const bits = Buffer.alloc(Math.ceil(pieces / 8));
  for (let p = 0; p < pieces; p++) if ((words[p >>> 5] >>> (p & 31)) & 1) bits[p >> 3] |= 1 << (7 - (p & 7));
  return bits;
}
