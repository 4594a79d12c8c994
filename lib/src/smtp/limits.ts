/**
 * Named limits of the SMTP code, with their sources. Each is tested at the cap and one past it.
 */

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
export const MAX_COMMAND_LINE = 512;

/** RFC 5321 §4.5.3.1.6: a text line of the message is at most 1000 octets, CRLF included. */
export const MAX_TEXT_LINE = 1000;

/** The largest message accepted (advertised as SIZE, RFC 1870). */
export const MAX_MESSAGE_SIZE = 10 * 1024 * 1024;

/** RFC 5321 §4.5.3.1.8 asks servers to accept at least 100 recipients; we accept exactly that many. */
export const MAX_RECIPIENTS = 100;

/** Unknown or malformed commands tolerated before 421 and a close (a client that is not speaking SMTP). */
export const MAX_BAD_COMMANDS = 10;

/** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command; lessons use less. */
export const IDLE_TIMEOUT_MS = 60_000;
