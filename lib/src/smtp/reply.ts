import { AppLayerError } from "../errors";

/** One SMTP reply: a 3-digit code, an optional enhanced status code (RFC 3463), and its text lines. */
export interface SmtpReply {
  code: number;
  /** e.g. "2.1.0"; absent in greetings and in replies of servers that do not use them. */
  enhanced?: string;
  lines: string[];
}

/**
 * What the first digit of a reply code means (RFC 5321 §4.2.1): the whole
 * protocol's error handling hangs on it.
 */
export const REPLY_CLASSES = {
  2: "positive completion: done",
  3: "positive intermediate: go on (send the data)",
  4: "transient failure: try again later",
  5: "permanent failure: do not retry",
} as const;

/** The replies the lesson meets, with their meaning (RFC 5321 §4.2.2–4.2.3). */
export const REPLY_CODES: Record<number, string> = {
  220: "service ready",
  221: "closing the connection",
  235: "authentication succeeded",
  250: "requested action done",
  251: "user not local; will forward",
  252: "cannot verify the user, but will accept the message",
  334: "server challenge (AUTH)",
  354: "start mail input; end with <CRLF>.<CRLF>",
  421: "service not available, closing the connection",
  450: "mailbox unavailable (busy)",
  451: "local error in processing",
  452: "insufficient storage (or too many recipients)",
  500: "syntax error, command unrecognized",
  501: "syntax error in parameters or arguments",
  502: "command not implemented",
  503: "bad sequence of commands",
  504: "command parameter not implemented",
  530: "authentication required",
  535: "authentication credentials invalid",
  550: "mailbox unavailable (no such user, or relaying denied)",
  552: "message exceeds the size limit",
  553: "mailbox name not allowed",
  554: "transaction failed",
};

/**
 * Formats a reply for the wire: every line but the last as `250-…`, the last as
 * `250 …` (RFC 5321 §4.2.1), each ending in CRLF.
 *
 * @example formatReply({ code: 250, lines: ["mail.umass.edu", "PIPELINING"] }) // "250-mail.umass.edu\r\n250 PIPELINING\r\n"
 */
export function formatReply(r: SmtpReply): string {
  const lines = r.lines.length ? r.lines : [""];
  return lines
    .map((l, i) => `${r.code}${i < lines.length - 1 ? "-" : " "}${i === 0 && r.enhanced ? `${r.enhanced} ` : ""}${l}`.trimEnd() + "\r\n")
    .join("");
}

/**
 * Collects reply lines until a reply is complete. Returns the reply once its last
 * line (code followed by a space) arrives, or undefined while lines are still due.
 * A line that is not `DDD-` or `DDD ` throws `BAD_ARGUMENT`.
 */
export class ReplyParser {
  private pending: string[] = [];
  private code = 0;

  push(line: string): SmtpReply | undefined {
    const m = /^([2-5]\d\d)([ -])?(.*)$/.exec(line);
    if (!m) throw new AppLayerError("BAD_ARGUMENT", `not an SMTP reply line: "${line.slice(0, 60)}"`);
    const code = Number(m[1]);
    if (this.pending.length && code !== this.code) throw new AppLayerError("BAD_ARGUMENT", `a multi-line reply changed its code from ${this.code} to ${code}`);
    this.code = code;
    this.pending.push(m[3]);
    if (m[2] === "-") return undefined;
    const lines = this.pending;
    this.pending = [];
    const enhanced = /^([245]\.\d{1,3}\.\d{1,3}) /.exec(lines[0]);
    if (enhanced) lines[0] = lines[0].slice(enhanced[0].length);
    return { code, enhanced: enhanced?.[1], lines };
  }
}
