import { Clock } from "../../net/clock";
import { walkMessage, replyTo } from "../wire/codec";
import { MESSAGE_CACHE_ENTRIES } from "../wire/limits";

/** The OPT pseudo-record (RFC 6891): its "TTL" field holds EDNS flags, not a time. */
const OPT = 41;

interface Entry {
  reply: Buffer;
  /** Where each record's TTL field is, and the TTL written there when the reply was stored. */
  ttls: Array<[offset: number, ttl: number]>;
  stored: number;
  expires: number;
  /** The record cache's generation the reply was built from. */
  generation: number;
}

/**
 * A resolver's message cache, as in Unbound: the encoded reply to a question,
 * keyed by the query's bytes after its id and the transport (so the question's
 * letter case, RD, CD, DO and the EDNS size all match), stored with where its
 * TTLs are. A hit costs a lookup and a copy: the query's id is written in and
 * every TTL lowered by the seconds the reply has waited, as a resolver's
 * answers count down. A reply lives until its smallest TTL runs out, and only
 * while the record cache it was built from has not changed (`generation`):
 * anything stored, replaced or flushed there sends the next query the slow way.
 * A validated reply is stored as it was sent, AD and all, so a hit is not
 * validated again.
 */
export class MessageCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly generation: () => number,
    readonly maxEntries = MESSAGE_CACHE_ENTRIES,
  ) {}

  /** The reply to `query` with its id and aged TTLs written in, or undefined. */
  get(key: string, query: Uint8Array): Buffer | undefined {
    const e = this.entries.get(key);
    const now = this.clock.now();
    if (!e || now >= e.expires || e.generation !== this.generation()) {
      if (e) this.entries.delete(key);
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    const reply = replyTo(query, e.reply);
    const age = Math.floor((now - e.stored) / 1000);
    if (age > 0) for (const [offset, ttl] of e.ttls) reply.writeUInt32BE(ttl - age, offset);
    return reply;
  }

  /** Keeps `reply` (built from the record cache as it is now) if it has records with TTLs above 0. */
  set(key: string, reply: Buffer): void {
    const ttls: Entry["ttls"] = [];
    walkMessage(reply, (type, _start, at) => {
      if (type !== OPT) ttls.push([at + 4, reply.readUInt32BE(at + 4)]);
      return undefined;
    });
    if (!ttls.length) return;
    const lowest = Math.min(...ttls.map(([, ttl]) => ttl));
    if (lowest <= 0) return;
    const now = this.clock.now();
    this.entries.delete(key);
    this.entries.set(key, { reply, ttls, stored: now, expires: now + lowest * 1000, generation: this.generation() });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
