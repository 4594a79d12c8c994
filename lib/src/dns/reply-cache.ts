/**
 * What the two reply caches share (the authoritative server's PacketCache and
 * the resolver's MessageCache): a query is looked up by its bytes after the id,
 * and a cached reply goes out as a copy carrying the asker's id.
 */

/** The key of a query: everything after its 2-byte id (flags, counts, question, EDNS). */
export function queryKey(query: Uint8Array): string {
  return Buffer.from(query.buffer, query.byteOffset, query.length).toString("latin1", 2);
}

/** A copy of a cached reply with the query's id written in (a reply carries its query's id, RFC 1035 §4.1.1). */
export function replyTo(query: Uint8Array, cached: Buffer): Buffer {
  const reply = Buffer.from(cached);
  reply[0] = query[0];
  reply[1] = query[1];
  return reply;
}
