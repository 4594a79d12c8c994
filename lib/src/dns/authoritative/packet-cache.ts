import { PACKET_CACHE_ENTRIES } from "../wire/limits";
import { replyTo } from "../wire/codec";

/** What a cached reply stands for, so statistics still count every query. */
export interface CachedReply {
  reply: Buffer;
  type: string;
  kind: string;
}

/** The replies kept for one question: one, or one per order of a round-robin RRset. */
interface Entry extends Omit<CachedReply, "reply"> {
  /** The orders a round-robin answer goes through (1: a fixed answer). */
  period: number;
  replies: Buffer[];
  next: number;
}

/**
 * An authoritative server's packet cache (as in PowerDNS): the encoded reply to a
 * query, keyed by the query's bytes after its id, so the same question asked the
 * same way is answered by copying bytes and writing the new id — no decoding, no
 * lookup, no encoding. A round-robin answer (an RRset of `period` records, each
 * query getting it rotated by one) is kept in all its orders once the server has
 * given each of them, and handed out in turn. The server must clear the cache
 * when a zone changes.
 */
export class PacketCache {
  private readonly udp = new Map<string, Entry>();
  private readonly tcp = new Map<string, Entry>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(readonly maxEntries = PACKET_CACHE_ENTRIES) {}

  /** A copy of the cached reply with the query's id written in, or undefined. `key` is the query's queryKey(). */
  get(key: string, query: Uint8Array, transport: "udp" | "tcp"): CachedReply | undefined {
    const hit = this[transport].get(key);
    if (!hit || hit.replies.length < hit.period) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    const reply = replyTo(query, hit.replies[hit.next]);
    hit.next = (hit.next + 1) % hit.period;
    return { reply, type: hit.type, kind: hit.kind };
  }

  /** Keeps a reply; with `period` > 1, one of the orders of a round-robin answer, given in turn. */
  set(key: string, transport: "udp" | "tcp", value: CachedReply, period = 1): void {
    const map = this[transport];
    const known = map.get(key);
    if (known && known.period === period && known.replies.length < period) {
      known.replies.push(value.reply);
      return;
    }
    if (map.size >= this.maxEntries) map.clear();
    map.set(key, { type: value.type, kind: value.kind, period, replies: [value.reply], next: 0 });
  }

  clear(): void {
    this.udp.clear();
    this.tcp.clear();
  }
}
