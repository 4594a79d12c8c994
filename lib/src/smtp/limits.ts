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

/** The first retry of a deferred delivery waits this long; each further one twice as long (capped below). */
export const RETRY_BASE_MS = 5_000;
export const RETRY_MAX_MS = 3_600_000;

/** A message still undelivered after this long is bounced to its sender (RFC 5321 §4.5.4.1 suggests 4–5 days). */
export const MAX_QUEUE_AGE_MS = 5 * 86_400_000;

/** How often the queue looks for deliveries that are due. */
export const QUEUE_SCAN_MS = 1_000;
