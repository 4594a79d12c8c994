import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { AppLayerError } from "../errors";
import { Torrent, pieceSize } from "./metainfo";

/** Pieces kept in memory by a seed (16 pieces of 256 KiB: 4 MiB). */
export const PIECE_CACHE = 16;

/**
 * A torrent's bytes on disk: the files under `dir`, seen as one stream cut into
 * pieces. Pieces are written whole, after their SHA-1 has been checked, so what is
 * on disk is always verified data.
 */
export class Storage {
  private handles = new Map<string, fs.FileHandle>();
  /** Recently read pieces (a peer's requests for one piece come together, and several pieces are in flight). */
  private cache = new Map<number, Promise<Buffer>>();
  private writes: Promise<unknown> = Promise.resolve();
  /** True when the files were just created: nothing on disk to check. */
  fresh = true;

  private constructor(readonly torrent: Torrent, readonly dir: string) {}

  /** Opens (creating the files, at their full size, when missing) the torrent's files under `dir`. */
  static async open(torrent: Torrent, dir: string): Promise<Storage> {
    const s = new Storage(torrent, dir);
    const root = resolve(dir);
    for (const f of torrent.files) {
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

  /** The file ranges a span of the torrent's stream covers. */
  private *ranges(offset: number, length: number): Generator<{ handle: fs.FileHandle; at: number; length: number; into: number }> {
    for (const f of this.torrent.files) {
      const end = f.offset + f.length;
      if (end <= offset || f.offset >= offset + length) continue;
      const start = Math.max(offset, f.offset);
      const stop = Math.min(offset + length, end);
      yield { handle: this.handles.get(this.pathOf(f.path))!, at: start - f.offset, length: stop - start, into: start - offset };
    }
  }

  /** Reads a whole piece; the last PIECE_CACHE pieces read are kept (blocks of one piece are asked for together). */
  readPiece(piece: number): Promise<Buffer> {
    let data = this.cache.get(piece);
    if (data) {
      this.cache.delete(piece); // most recently used goes last
      this.cache.set(piece, data);
      return data;
    }
    data = (async () => {
      const size = pieceSize(this.torrent, piece);
      const buf = Buffer.allocUnsafe(size);
      for (const r of this.ranges(piece * this.torrent.pieceLength, size)) await r.handle.read(buf, r.into, r.length, r.at);
      return buf;
    })();
    this.cache.set(piece, data);
    data.catch(() => this.cache.delete(piece));
    if (this.cache.size > PIECE_CACHE) this.cache.delete(this.cache.keys().next().value!);
    return data;
  }

  /** Writes a verified piece. Writes go one at a time: overlapping writes to one file are several times slower. */
  writePiece(piece: number, data: Buffer): Promise<void> {
    const write = async () => {
      for (const r of this.ranges(piece * this.torrent.pieceLength, data.length)) await r.handle.write(data, r.into, r.length, r.at);
    };
    const done = this.writes.then(write, write);
    this.writes = done.catch(() => undefined);
    return done;
  }

  /** Does this piece's data match its SHA-1? */
  verify(piece: number, data: Buffer): boolean {
    return data.length === pieceSize(this.torrent, piece) && createHash("sha1").update(data).digest().equals(this.torrent.pieces[piece]);
  }

  /** Checks every piece on disk; returns which are good (what a seed has, or what a resumed download keeps). */
  async check(onProgress?: (done: number) => void): Promise<boolean[]> {
    if (this.fresh) return this.torrent.pieces.map(() => false); // files just made: nothing to find
    const good: boolean[] = [];
    for (let p = 0; p < this.torrent.pieces.length; p++) {
      good.push(this.verify(p, await this.readPiece(p)));
      onProgress?.(p + 1);
    }
    this.cache.clear();
    return good;
  }

  async close(): Promise<void> {
    await this.writes;
    await Promise.all([...this.handles.values()].map((h) => h.close()));
    this.handles.clear();
  }
}
