/** Named limits of the message format (RFC 5322, MIME), with their sources. Each is tested at the cap and one past it. */

/** RFC 5322 §2.1.1: a line of a message should be at most 78 characters; encoders fold there. */
export const FOLD_WIDTH = 78;

/** RFC 2045 §6.7/6.8: base64 and quoted-printable lines are at most 76 characters. */
export const ENCODED_LINE = 76;

/** Multipart nesting deeper than this is kept as an opaque part (real mail nests 3–4 deep). */
export const MAX_MIME_DEPTH = 16;

/** A message with more parts than this is refused (a "MIME bomb"), with MIME_LIMIT. */
export const MAX_MIME_PARTS = 1000;
