import { createHash, Hash } from "node:crypto";
import { BLOCK_SIZE } from "./wire";

/**
 * One piece on its way in: its blocks, kept as they came off the wire (no copy
 * into a piece buffer), and its SHA-1 computed block by block as they arrive in
 * order. A block that comes early waits until the ones before it are in; with
 * one peer's pipelined requests, blocks come in order and each is hashed the
 * moment it lands. When the last block is in, the digest is ready: no pass over
 * the whole piece at the end.
 */
export class PieceAssembly {
  /** The blocks by index (begin / BLOCK_SIZE); undefined until received. */
  readonly blocks: Array<Buffer | undefined>;
  /** Bytes received so far. */
  received = 0;
  /** Offset of the next block to request. */
  next = 0;
  private readonly hash: Hash = createHash("sha1");
  private hashed = 0;

  constructor(
    readonly piece: number,
    readonly size: number,
  ) {
    this.blocks = new Array(Math.ceil(size / BLOCK_SIZE));
  }

  /** Takes a block (one we asked for: `begin` on a block boundary); true once the piece is whole. */
  add(begin: number, block: Buffer): boolean {
    const i = begin / BLOCK_SIZE;
    if (this.blocks[i]) return this.received === this.size;
    this.blocks[i] = block;
    this.received += block.length;
    while (this.hashed < this.blocks.length && this.blocks[this.hashed]) this.hash.update(this.blocks[this.hashed++]!);
    return this.received === this.size;
  }

  get complete(): boolean {
    return this.received === this.size;
  }

  /** The piece's SHA-1 (once complete). */
  digest(): Buffer {
    return this.hash.digest();
  }
}
