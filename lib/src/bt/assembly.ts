import { createHash, Hash } from "node:crypto";
import { BLOCK_SIZE } from "./wire";

/**
 * One piece on its way in: a piece-sized buffer that its blocks are copied into
 * (straight from the socket's read buffer: see WireDecoder's sink), and its SHA-1
 * computed block by block as they arrive in order. A block that comes early waits
 * until the ones before it are in; with one peer's pipelined requests, blocks come
 * in order and each is hashed the moment it lands, while it is still in the cache.
 * When the last block is in, the digest is ready: no pass over the whole piece at
 * the end.
 *
 * Hashing stays on the main thread: a hashing thread reading the pieces in place
 * (SharedArrayBuffer) made a 256 MiB loopback download 6% slower and cost 14% more
 * CPU on this 2-core machine (farm-bench, 10 runs each), the second core being
 * busy with the seeder and the kernel's copies.
 */
export class PieceAssembly {
  /** The piece's bytes, filled in block by block (the start of `buffer`). */
  readonly data: Buffer;
  /** Bytes received so far. */
  received = 0;
  /** Offset of the next block to request. */
  next = 0;
  /** Which blocks (by begin / BLOCK_SIZE) are in. */
  private readonly got: Uint8Array;
  private readonly hash: Hash = createHash("sha1");
  private hashed = 0;

  /** `buffer`: at least `size` bytes to assemble the piece in (a reused one saves the garbage collector a piece). */
  constructor(
    readonly piece: number,
    readonly size: number,
    readonly buffer: Buffer = Buffer.allocUnsafe(size),
  ) {
    this.data = buffer.subarray(0, size);
    this.got = new Uint8Array(Math.ceil(size / BLOCK_SIZE));
  }

  /**
   * Where the block at `begin` belongs, for the decoder to copy it straight in;
   * undefined for a block not on a block boundary, past the end, or already in.
   */
  slot(begin: number, length: number): Buffer | undefined {
    if (begin % BLOCK_SIZE !== 0 || begin + length > this.size || this.got[begin / BLOCK_SIZE]) return undefined;
    return this.data.subarray(begin, begin + length);
  }

  /** Takes a block (one we asked for: `begin` on a block boundary), copying it in unless it is already in its slot; true once the piece is whole. */
  add(begin: number, block: Buffer): boolean {
    const i = begin / BLOCK_SIZE;
    if (this.got[i]) return this.complete;
    if (block.buffer !== this.data.buffer || block.byteOffset !== this.data.byteOffset + begin) block.copy(this.data, begin);
    this.got[i] = 1;
    this.received += block.length;
    while (this.hashed < this.got.length && this.got[this.hashed]) {
      const from = this.hashed++ * BLOCK_SIZE;
      this.hash.update(this.data.subarray(from, Math.min(from + BLOCK_SIZE, this.size)));
    }
    return this.complete;
  }

  get complete(): boolean {
    return this.received === this.size;
  }

  /** The piece's SHA-1 (once complete). */
  digest(): Buffer {
    return this.hash.digest();
  }
}
