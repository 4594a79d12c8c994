/**
 * Named limits of the DNS code, each with its source. Each is tested at the cap and one past it.
 */

/** RFC 1035 §2.3.4: a label is at most 63 octets. */
export const MAX_LABEL_LENGTH = 63;

/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire (length bytes and the root's 0 included). */
export const MAX_NAME_LENGTH = 255;

/** RFC 1035 §4.2.1: a UDP reply to a query without EDNS is at most 512 bytes, or it is truncated (TC). */
export const UDP_PAYLOAD_DEFAULT = 512;

/** RFC 6891 §6.2.5: the largest UDP payload we honour when a client advertises more with EDNS. */
export const UDP_PAYLOAD_MAX = 4096;

/** RFC 1035 §4.2.2: a DNS message over TCP carries a 2-byte length, so at most 65,535 bytes. */
export const TCP_MESSAGE_MAX = 65_535;

/** A CNAME chain inside one zone is followed at most this many links before giving up (loops). */
export const MAX_CNAME_CHAIN = 8;

/** A TCP client that sends nothing for this long is disconnected (RFC 7766 §6.2.3 suggests seconds). */
export const TCP_IDLE_TIMEOUT_MS = 10_000;

/** The most RRsets a resolver's cache holds; the oldest entry is evicted past it. */
export const MAX_CACHE_ENTRIES = 100_000;

/** A resolver never keeps a record longer than this, whatever its TTL says (RFC 8767 §4 suggests 7 days). */
export const MAX_CACHE_TTL_S = 604_800;

/** Upstream queries one resolution may send before it gives up with SERVFAIL (loops, lame delegations). */
export const MAX_QUERIES_PER_RESOLUTION = 32;

/** How deep a resolver goes to find the address of a name server it was referred to without glue. */
export const MAX_NS_LOOKUP_DEPTH = 3;

/** How long a resolver waits for one upstream server before trying the next. */
export const UPSTREAM_TIMEOUT_MS = 800;

/**
 * How long a server that timed out is asked only when no other server of its
 * zone can be (RFC 1035 §7.2: keep track of how servers answer). 900 s is
 * Unbound's infra-host-ttl.
 */
export const UNRESPONSIVE_HOLD_MS = 900_000;

/** Replies an authoritative server's packet cache keeps; past it the cache starts over. */
export const PACKET_CACHE_ENTRIES = 10_000;

/** Encoded answers a resolver's message cache keeps; past it the oldest go first. */
export const MESSAGE_CACHE_ENTRIES = 10_000;

/**
 * RFC 9276 §3.2: validators may refuse NSEC3 records that hash more times than they
 * are willing to; 150 is the cap BIND and Unbound applied. Zone files and messages
 * with more are refused (FORMERR), and `dnssec sign --nsec3` will not make them.
 */
export const MAX_NSEC3_ITERATIONS = 150;

/**
 * RFC 8659 §4.1: a CAA tag is 1 to 255 octets (its length is one octet) of ASCII
 * letters and digits; zone files with a longer or empty tag are refused.
 */
export const MAX_CAA_TAG_LENGTH = 255;
