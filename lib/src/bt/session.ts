import * as net from "node:net";
import { randomBytes } from "node:crypto";
import { AppLayerError, isAppLayerError } from "../errors";
import { Address } from "../net/address";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { Random } from "../sim/random";
import { OPTIMISTIC_UNCHOKE_SECONDS, REGULAR_UNCHOKE_SECONDS } from "./choker";
import { Downloader } from "./downloader";
import { DEFAULT_ANNOUNCE_SECONDS, KEEPALIVE_SECONDS, MAX_PEERS, READ_BUFFER, TRACKER_RETRIES, TRACKER_RETRY_MS } from "./limits";
import { Torrent } from "./metainfo";
import { Peer } from "./peer";
import { Trace } from "../lab/trace";
import { PickerStrategy } from "./picker";
import { Storage } from "./storage";
import { announce } from "./tracker";
import { Uploader } from "./uploader";
import { WireMessage, wordsToBitfield } from "./wire";

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
 * others, and hands each connection's messages to its two halves, the
 * {@link Downloader} and the {@link Uploader}, which run the same picker and
 * choker as the swarm simulator:
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
  const storage = await Storage.open(t, options.dir);
  const peerId = options.peerId ?? newPeerId();
  const random = new Random(options.seed ?? (Date.now() & 0xffff));
  const peers = new Set<Peer>();
  const banned = new Set<string>();
  const connecting = new Set<string>();
  let closed = false;
  let resolveComplete!: () => void;
  let rejectComplete!: (e: Error) => void;
  const complete = new Promise<void>((r, j) => ((resolveComplete = r), (rejectComplete = j)));
  complete.catch(() => undefined); // a seed nobody awaits must not crash the process when its tracker is down
  const emit = (e: SessionEvent) => options.onEvent?.(e);

  const down = new Downloader(t, storage, peers, await storage.check(), {
    strategy: options.picker ?? "rarest",
    random,
    banned,
    events: {
      piece: (piece, from, have) => emit({ type: "piece", piece, from: from.label, have }),
      banned: (peer, reason) => emit({ type: "banned", peer: peer.label, reason }),
      complete() {
        emit({ type: "complete" });
        resolveComplete();
        void reannounce("completed").catch(() => undefined);
      },
    },
  });
  if (down.complete) resolveComplete();
  const up = new Uploader(t, storage, peers, { random, hasPiece: (p) => down.hasPiece(p), seeding: () => down.complete, uploadRate: options.uploadRate });

  // The choker's rounds: tit-for-tat every 10 s, a new optimistic unchoke every 30 s.
  let ticks = 0;
  const choker = setInterval(() => {
    ticks++;
    up.rechoke(ticks % (OPTIMISTIC_UNCHOKE_SECONDS / REGULAR_UNCHOKE_SECONDS) === 0);
    // BEP 3: a keep-alive every two minutes, so quiet connections are not timed out.
    if (ticks % (KEEPALIVE_SECONDS / REGULAR_UNCHOKE_SECONDS) === 0) for (const p of peers) p.send({ type: "keep-alive" });
  }, REGULAR_UNCHOKE_SECONDS * 1000);
  choker.unref();

  const hooks = {
    infoHash: t.infoHashBytes,
    peerId,
    trace: options.trace,
    blockSink: (peer: Peer, piece: number, begin: number, length: number) => down.blockSink(peer, piece, begin, length),
    onHandshake(peer: Peer) {
      const id = peer.id!.toString("hex");
      if (peer.id!.equals(peerId)) return peer.close("that was ourselves");
      if (banned.has(id) || banned.has(peer.label)) return peer.close("banned");
      for (const q of peers) if (q !== peer && q.id?.equals(peer.id!)) return peer.close("already connected to that peer");
      emit({ type: "connected", peer: peer.label });
      if (down.haveCount > 0) peer.send({ type: "bitfield", bits: wordsToBitfield(down.have, n) });
    },
    onMessage(peer: Peer, m: WireMessage) {
      peer.started = true;
      // What the peer has and lets us fetch goes to the downloader; what it wants from us, to the uploader.
      if (m.type === "interested" || m.type === "not-interested" || m.type === "request") up.onMessage(peer, m);
      else down.onMessage(peer, m);
    },
    onClose(peer: Peer, reason: string) {
      peers.delete(peer);
      down.onClose(peer);
      up.onClose(peer);
      emit({ type: "closed", peer: peer.label, reason });
      down.fillAll();
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
  const schedule = (seconds: number) => {
    if (closed) return;
    timer = setInterval(() => void reannounce().catch(() => undefined), Math.max(1, seconds) * 1000);
    timer.unref();
  };
  /** One announce; its peers are dialled. `ip` (BEP 3) is the address we listen on, which the tracker cannot see when we dial it from another. */
  const reannounce = async (event?: "started" | "stopped" | "completed"): Promise<void> => {
    if (!announceUrl) return;
    try {
      const r = await announce(announceUrl, { infoHash: t.infoHashBytes, peerId, port: service.address.port, ip: service.address.host, uploaded: up.uploaded, downloaded: down.downloaded, left: down.left(), event });
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
    stats: () => ({ pieces: n, have: down.haveCount, downloaded: down.downloaded, uploaded: up.uploaded, peers: peers.size, banned: banned.size }),
    connect,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(choker);
      up.close();
      if (timer) clearInterval(timer);
      await reannounce("stopped").catch(() => undefined);
      for (const p of peers) p.close("closing");
      await service.close();
      await storage.close();
    },
  };
}
