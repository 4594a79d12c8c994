import { Address } from "../net/address";
import { TcpService, serveTcp } from "../net/lifecycle";
import { settleWithin } from "./judges";
import { HANDSHAKE_LENGTH, WireDecoder, WireMessage, encodeHandshake, encodeWireMessage } from "./wire";

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
    let greeting = Buffer.alloc(0);
    // Sent once the handshake has come whole; messages are answered after it.
    let replied: Promise<void> | undefined;
    let decoder: WireDecoder | undefined = new WireDecoder();
    let unchoked = false;
    const send = (b: Buffer) => (socket.destroyed ? undefined : socket.write(b));
    const unchoke = () => {
      unchoked = true;
      send(encodeWireMessage({ type: "unchoke" }));
    };
    const reply = async () => {
      const bytes = Buffer.concat([encodeHandshake(options.answerInfoHash ?? options.infoHash, PEER_ID), encodeWireMessage({ type: "bitfield", bits })]);
      const parts = options.handshakeParts ?? 1;
      const size = Math.ceil(bytes.length / parts);
      for (let at = 0; at < bytes.length; at += size) {
        send(bytes.subarray(at, at + size));
        if (at + size < bytes.length) await new Promise((r) => setTimeout(r, 30));
      }
    };
    // A message BEP 3 forbids (a request of the wrong length, a length over the
    // limit) silences the seed, so a downloader's bad request is never answered,
    // and never looks like a refusal.
    const messagesIn = (bytes: Buffer): WireMessage[] => {
      try {
        return decoder?.push(bytes) ?? [];
      } catch {
        decoder = undefined;
        return [];
      }
    };
    socket.on("data", async (chunk: Buffer) => {
      received[index] = Buffer.concat([received[index], chunk]);
      let rest = chunk;
      if (!replied) {
        greeting = Buffer.concat([greeting, chunk]);
        if (greeting.length < HANDSHAKE_LENGTH) return;
        rest = greeting.subarray(HANDSHAKE_LENGTH);
        replied = reply();
      }
      const messages = messagesIn(rest);
      await replied;
      // Only interested and request get an answer.
      for (const m of messages) {
        if (m.type === "interested" && !options.unchokeAfterMs) unchoke();
        else if (m.type === "interested") setTimeout(unchoke, options.unchokeAfterMs);
        // BEP 3: requests from a choked peer are dropped; so is one for a piece it lacks, as a real peer's would be.
        if (m.type === "request" && unchoked && (options.has?.(m.piece) ?? true)) {
          const start = m.piece * options.pieceLength + m.begin;
          const block = Buffer.from(options.data.subarray(start, start + m.length));
          if (options.corrupt && block.length) block[0] ^= 0xff;
          send(encodeWireMessage({ type: "piece", piece: m.piece, begin: m.begin, block }));
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
