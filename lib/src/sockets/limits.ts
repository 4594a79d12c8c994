/**
 * Named limits of the uppercase servers. Each one is tested at the cap and one past it.
 */

/** The largest UDP payload over IPv4: 65,535 − 20 (IP header) − 8 (UDP header). RFC 768, RFC 791. */
export const UDP_MAX_PAYLOAD = 65_507;

/** The longest line the TCP uppercase server accepts before answering an error and closing. */
export const TCP_UPPER_MAX_LINE = 64 * 1024;

/** A TCP client that says nothing for this long is disconnected, freeing its socket. */
export const TCP_UPPER_IDLE_TIMEOUT_MS = 30_000;

/**
 * The longest the lossy relay may hold a datagram (its delayMs + jitterMs). The relay
 * keeps every held datagram in memory on a timer; seconds typed where milliseconds
 * were meant would otherwise stall a lesson for minutes instead of failing at once.
 */
export const RELAY_MAX_DELAY_MS = 10_000;
