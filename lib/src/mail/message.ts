import { randomBytes } from "node:crypto";

/**
 * A minimal RFC 5322 message: header lines, a blank line, the body. The header
 * lines From/To/Subject are what a user agent shows; they need not match the
 * envelope (MAIL FROM / RCPT TO), which is what servers act on.
 *
 * @example composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject: "hi", body: "Hello Bob" })
 */
export function composeMessage(m: { from: string; to: string[]; subject: string; body: string; date?: Date; messageId?: string }): string {
  const domain = m.from.split("@")[1] ?? "localhost";
  const headers = [
    `From: ${m.from}`,
    `To: ${m.to.join(", ")}`,
    `Subject: ${m.subject}`,
    `Date: ${(m.date ?? new Date()).toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${m.messageId ?? `<${randomBytes(8).toString("hex")}@${domain}>`}`,
  ];
  return `${headers.join("\r\n")}\r\n\r\n${m.body.replace(/\r?\n/g, "\r\n").replace(/(\r\n)?$/, "\r\n")}`;
}
