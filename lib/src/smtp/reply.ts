import { AppLayerError } from "../errors";

/** One SMTP reply: a 3-digit code, an optional enhanced status code (RFC 3463), and its text lines. */
export interface SmtpReply {
  code: number;
  /** e.g. "2.1.0"; absent in greetings and in replies of servers that do not use them. */
  enhanced?: string;
  lines: string[];
}

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
