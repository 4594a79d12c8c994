/** Named limits of the IMAP server, with their sources. Each is tested at the cap and one past it. */

/** RFC 9051 §4.3: a server may limit literals; larger ones get NO [TOOBIG] (or BAD), not memory. */
export const MAX_IMAP_LITERAL = 16 * 1024 * 1024;

/** An IMAP command line (outside literals). RFC 7162 §4 recommends accepting at least 8192 octets. */
export const MAX_IMAP_LINE = 8192;

/** Malformed IMAP commands tolerated before BYE and a close, as with SMTP's MAX_BAD_COMMANDS. */
export const MAX_IMAP_BAD_COMMANDS = 10;

/** RFC 9051 §5.4: the autologout timer is at least 30 minutes; lessons use less. */
export const IMAP_IDLE_TIMEOUT_MS = 300_000;
