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
