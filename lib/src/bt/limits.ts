/**
 * The BitTorrent peer's limits and tuning, each with its reason. The wire's own
 * limits (message length, request length) are in wire.ts beside the codec; the
 * choker's slots and rounds in choker.ts, shared with the swarm simulator.
 */

/**
 * Retries of the first announce when the tracker cannot be reached, before a
 * download that has no peer gives up with TRACKER_UNREACHABLE. BEP 3 says nothing;
 * clients back off (libtorrent: 5 s growing by 250 %), but a lesson's tracker is on
 * the same machine: if it is not there after a few seconds, it was not started.
 */
export const TRACKER_RETRIES = 4;
/** The wait before the first retry; each further retry waits twice as long (0.5 + 1 + 2 + 4 = 7.5 s in all). */
export const TRACKER_RETRY_MS = 500;

/**
 * Requests (of BLOCK_SIZE) in flight to one peer. 250 is the `reqq` BEP 10 gives as
 * the default a client can assume its peer takes without dropping any; Transmission
 * takes 511 and silently drops the rest (without the Fast extension, no reject comes),
 * and a dropped request is a block that never arrives.
 *
 * Why the depth matters (measured: 20 MiB from transmission-daemon 3.00 on loopback).
 * Transmission queues a peer's requests as they arrive but sends blocks only in its
 * pulse (every 500 ms, from its bandwidth timer) or when a write finishes: it empties
 * its queue in one burst, and requests that arrive after the burst wait for the next
 * pulse. Each 500 ms it therefore sends what we had in flight: with 128, 128 blocks
 * (2 MiB), 4 MiB/s, a 5-s data phase that libtorrent and aria2 (which answer each
 * request as it comes) never showed. At 250 it is about 7 MiB/s. The rest of that
 * download's 15.7 s was Transmission's: it unchokes only at its rechoke, every 10 s
 * (an interested peer is not unchoked when it asks, as ours and libtorrent do), and
 * answers a handshake at its next pulse.
 */
export const PIPELINE = 250;
/**
 * Requests are sent in batches of this many, once that many blocks of the pipeline
 * have arrived: one write carries them all, not one write per arriving block.
 */
export const REQUEST_BATCH = 32;
/** Piece buffers kept for reuse once their piece is written (a fresh 256 KiB buffer per piece kept the garbage collector busy). */
export const SPARE_PIECES = 64;
/** The read buffer of each connection we open: the socket reads into it, and blocks are copied out at once. */
export const READ_BUFFER = 256 * 1024;
/** BEP 3: peers drop a connection silent for two minutes, so a keep-alive goes out every 120 s. */
export const KEEPALIVE_SECONDS = 120;
/** Connections at most (libtorrent's default per torrent is 50 too): more cost memory and rechoke work for no speed on a lesson's swarm. */
export const MAX_PEERS = 50;
/** Seconds between announces when the tracker's answer gives no interval (BEP 3 leaves it to the tracker; ours says 30). */
export const DEFAULT_ANNOUNCE_SECONDS = 30;
/** With an upload cap, queued requests are let out every this many ms (20 times a second: smooth enough for a lesson's chart, cheap on the CPU). */
export const UPLOAD_TICK_MS = 50;
