/** Named limits of the POP3 server, with their sources. Each is tested at the cap and one past it. */

/** RFC 1939 §3: a POP3 command line is at most 255 octets, CRLF included. */
export const MAX_POP3_LINE = 255;

/** RFC 1939 §3: the POP3 autologout timer is at least 10 minutes; lessons use less. */
export const POP3_IDLE_TIMEOUT_MS = 120_000;
