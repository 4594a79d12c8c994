import { PACKET_CACHE_ENTRIES } from "./limits";

/** What a cached reply stands for, so statistics still count every query. */
export interface CachedReply {
  reply: Buffer;
  type: string;
  kind: string;
}

/**
 * An authoritative server's packet cache (as in PowerDNS): the encoded reply to a
 * query, keyed by the query's bytes after its id, so the same question asked the
 * same way is answered by copying bytes and writing the new id — no decoding, no
 * lookup, no encoding. The server must clear it when a zone changes, and must not
 * store replies whose order rotates (round-robin).
 */
export class PacketCache {
  private readonly entries = new Map<string, CachedReply>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(readonly maxEntries = PACKET_CACHE_ENTRIES) {}

  /** The cache key: everything after the 2-byte id (flags, counts, question, EDNS) plus the transport. */
  static key(query: Uint8Array, transport: "udp" | "tcp"): string {
    return transport + Buffer.from(query.buffer, query.byteOffset + 2, query.length - 2).toString("latin1");
  }

  /** A copy of the cached reply with the query's id written in, or undefined. */
  get(key: string, query: Uint8Array): (CachedReply & { reply: Buffer }) | undefined {
    const hit = this.entries.get(key);
    if (!hit) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    const reply = Buffer.from(hit.reply);
    reply[0] = query[0];
    reply[1] = query[1];
    return { ...hit, reply };
  }

  set(key: string, value: CachedReply): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, value);
  }

  clear(): void {
    this.entries.clear();
  }
}
