import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { AppLayerError } from "../errors";
import { Torrent, pieceSize } from "./metainfo";

/** Pieces kept in memory by a seed (16 pieces of 256 KiB: 4 MiB). */
export const PIECE_CACHE = 16;
/** Spare piece buffers kept for reuse. */
const PIECE_POOL = 64;

/** A piece's bytes, valid until `release()` is called. */
export interface PieceHold {
  ready: Promise<Buffer>;
  release(): void;
}

interface CacheEntry {
  piece: number;
  whole: Buffer;
  data: Buffer;
  refs: number;
  cached: boolean;
  ready: Promise<Buffer>;
}

/**
 * A torrent's bytes on disk: the files under `dir`, seen as one stream cut into
 * pieces. Pieces are written whole, after their SHA-1 has been checked, so what is
 * on disk is always verified data.
 */
export class Storage {
  private handles = new Map<string, fs.FileHandle>();
  /** Recently read pieces (a peer's requests for one piece come together, and several pieces are in flight). */
  private cache = new Map<number, CacheEntry>();
  /** Piece-sized buffers no longer in use. */
  private pool: Buffer[] = [];
  /** Writes not yet done. */
  private readonly writes = new Set<Promise<unknown>>();
  /** True when the files were just created: nothing on disk to check. */
  fresh = true;

  private constructor(readonly torrent: Torrent, readonly dir: string) {}

  /** Opens (creating the files, at their full size, when missing) the torrent's files under `dir`. */
  static async open(torrent: Torrent, dir: string): Promise<Storage> {
    const s = new Storage(torrent, dir);
    const root = resolve(dir);
    for (const f of torrent.files) {
      if (f.pad) continue; // BEP 47: a padding file is never written
      const path = s.pathOf(f.path);
      if (!resolve(path).startsWith(root + sep)) throw new AppLayerError("TORRENT", `the file ${f.path.join("/")} would be outside ${dir}`);
      await fs.mkdir(dirname(path), { recursive: true });
      const exists = (await fs.stat(path).catch(() => undefined)) !== undefined;
      if (exists) s.fresh = false;
      const h = await fs.open(path, exists ? "r+" : "w+");
      if ((await h.stat()).size !== f.length) await h.truncate(f.length);
      s.handles.set(path, h);
    }
    return s;
  }

  private pathOf(components: string[]): string {
    return this.torrent.multiFile ? join(this.dir, this.torrent.name, ...components) : join(this.dir, components[0]);
  }

  /** The file ranges a span of the torrent's stream covers; a padding file's range has no handle (its bytes are zeros). */
  private *ranges(offset: number, length: number): Generator<{ handle?: fs.FileHandle; at: number; length: number; into: number }> {
    for (const f of this.torrent.files) {
      const end = f.offset + f.length;
      if (end <= offset || f.offset >= offset + length) continue;
      const start = Math.max(offset, f.offset);
      const stop = Math.min(offset + length, end);
      yield { handle: f.pad ? undefined : this.handles.get(this.pathOf(f.path))!, at: start - f.offset, length: stop - start, into: start - offset };
    }
  }

  /**
   * A piece's bytes for reading, held until `release`. The last PIECE_CACHE pieces
   * stay in memory (a peer asks for a piece's blocks together). Buffers come from a
   * pool and go back to it once no send holds them: a seed that allocated a fresh
   * 256 KiB buffer per piece spent much of its time collecting garbage.
   */
  acquire(piece: number): PieceHold {
    let entry = this.cache.get(piece);
    if (entry) this.cache.delete(piece); // most recently used goes last
    else {
      const size = pieceSize(this.torrent, piece);
      const whole = this.pool.pop() ?? Buffer.allocUnsafe(this.torrent.pieceLength);
      const data = whole.subarray(0, size);
      const e: CacheEntry = { piece, whole, data, refs: 0, cached: true, ready: Promise.resolve(data) };
      e.ready = (async () => {
        for (const r of this.ranges(piece * this.torrent.pieceLength, size)) {
          if (r.handle) await r.handle.read(data, r.into, r.length, r.at);
          else data.fill(0, r.into, r.into + r.length); // BEP 47 padding: zeros, read from nowhere
        }
        return data;
      })();
      e.ready.catch(() => this.evict(e));
      entry = e;
    }
    this.cache.set(piece, entry);
    entry.refs++;
    if (this.cache.size > PIECE_CACHE) this.evict(this.cache.values().next().value!);
    const held = entry;
    let released = false;
    return {
      ready: held.ready,
      release: () => {
        if (released) return;
        released = true;
        held.refs--;
        this.recycle(held);
      },
    };
  }

  private evict(e: CacheEntry): void {
    if (this.cache.get(e.piece) === e) this.cache.delete(e.piece);
    e.cached = false;
    this.recycle(e);
  }

  private recycle(e: CacheEntry): void {
    if (e.refs === 0 && !e.cached && this.pool.length < PIECE_POOL) this.pool.push(e.whole);
  }

  /**
   * Writes a verified piece, with one write per file it spans. Writes are not
   * chained: each goes to libuv's thread pool at once. Chained, each waited for the
   * main thread's next turn, and a busy download's writes fell up to 967 pieces
   * behind (pieces never overlap, so their writes may run together).
   */
  writePiece(piece: number, data: Buffer): Promise<void> {
    const done = Promise.all([...this.ranges(piece * this.torrent.pieceLength, data.length)].map((r) => r.handle?.write(data, r.into, r.length, r.at))).then(() => undefined);
    const settled = done.catch(() => undefined);
    this.writes.add(settled);
    void settled.then(() => this.writes.delete(settled));
    return done;
  }

  /** Does this piece's data match its SHA-1? */
  verify(piece: number, data: Buffer): boolean {
    return data.length === pieceSize(this.torrent, piece) && this.matches(piece, createHash("sha1").update(data).digest());
  }

  /** Is this the SHA-1 the torrent gives for the piece? */
  matches(piece: number, digest: Buffer): boolean {
    return digest.equals(this.torrent.pieces[piece]);
  }

  /** Checks every piece on disk; returns which are good (what a seed has, or what a resumed download keeps). */
  async check(onProgress?: (done: number) => void): Promise<boolean[]> {
    if (this.fresh) return this.torrent.pieces.map(() => false); // files just made: nothing to find
    const good: boolean[] = [];
    for (let p = 0; p < this.torrent.pieces.length; p++) {
      const hold = this.acquire(p);
      good.push(this.verify(p, await hold.ready));
      hold.release();
      onProgress?.(p + 1);
    }
    for (const e of [...this.cache.values()]) this.evict(e); // what a peer asks for later is read then, from the disk as it is
    return good;
  }

  async close(): Promise<void> {
    await Promise.all(this.writes);
    await Promise.all([...this.handles.values()].map((h) => h.close()));
    this.handles.clear();
  }
}
