import { Address } from "../net/address";
import { TcpService, serveTcp } from "../net/lifecycle";
import { settleWithin } from "./judges";
import { HANDSHAKE_LENGTH, MESSAGE_IDS, encodeHandshake, encodeWireMessage } from "./wire";

/**
 * A seed that misbehaves on purpose, for the cases a well-behaved peer like
 * aria2c never shows a student's downloader: a handshake that arrives in pieces,
 * one for another torrent, a bitfield without the piece asked for, a long choke,
 * a corrupt block. Otherwise it follows BEP 3: handshake, bitfield, unchoke on
 * interested, a piece message for each request made after the unchoke, of a
 * piece it has. It keeps what it was sent.
 */
export interface ScriptedPeerOptions {
  /** The torrent it seeds: its info-hash, piece length and the file's bytes. */
  infoHash: Buffer;
  pieceLength: number;
  data: Buffer;
  /** Answer the handshake with this info-hash instead (another torrent). */
  answerInfoHash?: Buffer;
  /** Send the handshake in this many parts, 30 ms apart (default 1). */
  handshakeParts?: number;
  /** Pieces it says it has (default: all). */
  has?: (piece: number) => boolean;
  /** Wait this long after "interested" before unchoking, ms (default 0). */
  unchokeAfterMs?: number;
  /** Flip a byte in every block it sends. */
  corrupt?: boolean;
}

export interface ScriptedPeer extends TcpService {
  /** Everything each connection sent it, in order of connection. */
  received: Buffer[];
}

const PEER_ID = Buffer.from("-AL0100-scriptedpeer", "latin1");

/**
 * Serves `options` on loopback, port 0; closeAll() stops it.
 *
 * @example const peer = await serveScriptedPeer({ infoHash, pieceLength: 262144, data, corrupt: true });
 */
export async function serveScriptedPeer(options: ScriptedPeerOptions): Promise<ScriptedPeer> {
  const received: Buffer[] = [];
  const pieces = Math.ceil(options.data.length / options.pieceLength);
  const bits = Buffer.alloc(Math.ceil(pieces / 8));
  for (let p = 0; p < pieces; p++) if (options.has?.(p) ?? true) bits[p >> 3] |= 0x80 >> (p & 7);
  const service = await serveTcp("scripted-peer", { port: 0 }, (socket) => {
    const index = received.push(Buffer.alloc(0)) - 1;
    let buffered = Buffer.alloc(0);
    let shook = false;
    let unchoked = false;
    const send = (b: Buffer) => (socket.destroyed ? undefined : socket.write(b));
    const unchoke = () => {
      unchoked = true;
      send(encodeWireMessage({ type: "unchoke" }));
    };
    socket.on("data", async (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index], chunk]);
      buffered = Buffer.concat([buffered, chunk]);
      if (!shook) {
        if (buffered.length < HANDSHAKE_LENGTH) return;
        shook = true;
        buffered = buffered.subarray(HANDSHAKE_LENGTH);
        const reply = Buffer.concat([encodeHandshake(options.answerInfoHash ?? options.infoHash, PEER_ID), encodeWireMessage({ type: "bitfield", bits })]);
        const parts = options.handshakeParts ?? 1;
        const size = Math.ceil(reply.length / parts);
        for (let at = 0; at < reply.length; at += size) {
          send(reply.subarray(at, at + size));
          if (at + size < reply.length) await new Promise((r) => setTimeout(r, 30));
        }
      }
      // BEP 3 messages: a 4-byte length, then an id; only interested and request get an answer.
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const length = buffered.readUInt32BE(0);
        const message = buffered.subarray(4, 4 + length);
        buffered = buffered.subarray(4 + length);
        if (message[0] === MESSAGE_IDS.interested && !options.unchokeAfterMs) unchoke();
        else if (message[0] === MESSAGE_IDS.interested) setTimeout(unchoke, options.unchokeAfterMs);
        // BEP 3: requests from a choked peer are dropped; so is one for a piece it lacks, as a real peer's would be.
        if (message[0] === MESSAGE_IDS.request && length === 13 && unchoked && (options.has?.(message.readUInt32BE(1)) ?? true)) {
          const piece = message.readUInt32BE(1);
          const begin = message.readUInt32BE(5);
          const start = piece * options.pieceLength + begin;
          const block = Buffer.from(options.data.subarray(start, start + message.readUInt32BE(9)));
          if (options.corrupt && block.length) block[0] ^= 0xff;
          send(encodeWireMessage({ type: "piece", piece, begin, block }));
        }
      }
    });
  });
  return Object.assign(service, { received }) as ScriptedPeer;
}

/**
 * Serves a scripted peer, runs `fn` with its address, and closes it when `fn`
 * settles or after `withinMs` (then TIMEOUT), whichever comes first.
 *
 * @example await withScriptedPeer({ infoHash, pieceLength, data, corrupt: true }, (peer) => downloadPiece(peer, torrent, 0))
 */
export async function withScriptedPeer<T>(options: ScriptedPeerOptions, fn: (peer: Address, received: Buffer[]) => Promise<T>, withinMs = 4000): Promise<T> {
  const peer = await serveScriptedPeer(options);
  try {
    return await settleWithin(withinMs, "your peer, talking to a scripted one", () => fn(peer.address, peer.received));
  } finally {
    await peer.close();
  }
}
