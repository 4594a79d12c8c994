import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Closable, ListenOptions, track, untrack } from "../net/lifecycle";
import { createTorrent, parseTorrent, Torrent } from "./metainfo";
import { SessionEvent, TorrentSession, startSession } from "./session";
import { Tracker, serveTracker } from "./tracker";
import { Trace } from "../lab/trace";

/**
 * A whole swarm on loopback, for a lesson: a tracker, one seed with a file of
 * random bytes, and N leechers, each a real TorrentSession speaking the wire
 * protocol over TCP. Every piece a leecher gets is recorded, so the download
 * curves can be drawn from what the peers report.
 */
export interface LoopbackSwarm extends Closable {
  tracker: Tracker;
  torrent: Torrent;
  seed: TorrentSession;
  leechers: TorrentSession[];
  /** Each verified piece: when (ms since start), which leecher, how many it had then. */
  samples: Array<{ ms: number; peer: string; pieces: number; fraction: number }>;
  /** The folders of the seed's file and of each leecher's copy: close() removes them. */
  folders: { seed: string; leechers: string[] };
  /** Resolves when every leecher has the whole file; says whether each copy equals the original. */
  done: Promise<boolean[]>;
}

export async function startLoopbackSwarm(o: {
  leechers: number;
  megabytes: number;
  seedUploadRate?: number;
  leecherUploadRate?: number;
  onEvent?: (peer: string, e: SessionEvent) => void;
  /** Records leecher 1's wire messages, both ways (its handshakes and first pieces make a good diagram). */
  trace?: Trace;
  /** Records every announce and every peer connection (keep the torrent small: see MAX_CAPTURE_BYTES). */
  capture?: ListenOptions["capture"];
}): Promise<LoopbackSwarm> {
  const dir = mkdtempSync(join(tmpdir(), "applayer-swarm-"));
  const original = randomBytes(Math.round(o.megabytes * 1024 * 1024));
  writeFileSync(join(dir, "lesson.bin"), original);
  const tracker = await serveTracker({ port: 0, interval: 2, capture: o.capture });
  const torrent = parseTorrent(await createTorrent(join(dir, "lesson.bin"), { announce: tracker.announceUrl }));
  const seed = await startSession({ torrent, dir, port: 0, uploadRate: o.seedUploadRate, capture: o.capture, onEvent: (e) => o.onEvent?.("seed", e) });
  const samples: LoopbackSwarm["samples"] = [];
  const t0 = performance.now();
  const leechers: TorrentSession[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < o.leechers; i++) {
    const name = `leecher ${i + 1}`;
    const out = mkdtempSync(join(tmpdir(), "applayer-swarm-leecher-"));
    dirs.push(out);
    leechers.push(await startSession({
      torrent, dir: out, port: 0, uploadRate: o.leecherUploadRate, capture: o.capture,
      trace: i === 0 && o.trace ? { trace: o.trace, name } : undefined,
      onEvent: (e) => {
        if (e.type === "piece") samples.push({ ms: Math.round(performance.now() - t0), peer: name, pieces: e.have, fraction: e.have / torrent.pieces.length });
        o.onEvent?.(name, e);
      },
    }));
  }
  const done = Promise.all(leechers.map((l) => l.complete)).then(() => dirs.map((d) => readFileSync(join(d, "lesson.bin")).equals(original)));
  const handle: LoopbackSwarm = {
    tracker, torrent, seed, leechers, samples, done, folders: { seed: dir, leechers: dirs },
    async close() {
      untrack(handle);
      for (const l of leechers) await l.close();
      await seed.close();
      await tracker.close();
      // Nine copies of the file: megabytes that each run of the lesson left in the temporary folder.
      for (const d of [dir, ...dirs]) rmSync(d, { recursive: true, force: true });
    },
  };
  return track(handle, "swarm");
}
