/**
 * Named limits of the message parser and the mail-access servers (IMAP, POP3,
 * webmail), with their sources. Each is tested at the cap and one past it.
 */

/** RFC 5322 §2.1.1: a line of a message should be at most 78 characters; encoders fold there. */
export const FOLD_WIDTH = 78;

/** RFC 2045 §6.7/6.8: base64 and quoted-printable lines are at most 76 characters. */
export const ENCODED_LINE = 76;

/** Multipart nesting deeper than this is kept as an opaque part (real mail nests 3–4 deep). */
export const MAX_MIME_DEPTH = 16;

/** A message with more parts than this is refused (a "MIME bomb"), with MIME_LIMIT. */
export const MAX_MIME_PARTS = 1000;

/** RFC 9051 §4.3: a server may limit literals; larger ones get NO [TOOBIG] (or BAD), not memory. */
export const MAX_IMAP_LITERAL = 16 * 1024 * 1024;

/** An IMAP command line (outside literals). RFC 7162 §4 recommends accepting at least 8192 octets. */
export const MAX_IMAP_LINE = 8192;

/** Malformed IMAP commands tolerated before BYE and a close, as with SMTP's MAX_BAD_COMMANDS. */
export const MAX_IMAP_BAD_COMMANDS = 10;

/** RFC 1939 §3: a POP3 command line is at most 255 octets, CRLF included. */
export const MAX_POP3_LINE = 255;

/** RFC 9051 §5.4: the autologout timer is at least 30 minutes; lessons use less. */
export const IMAP_IDLE_TIMEOUT_MS = 300_000;

/** RFC 1939 §3: the POP3 autologout timer is at least 10 minutes; lessons use less. */
export const POP3_IDLE_TIMEOUT_MS = 120_000;

/** The largest form (a composed message) the webmail accepts. */
export const MAX_WEBMAIL_BODY = 1024 * 1024;
