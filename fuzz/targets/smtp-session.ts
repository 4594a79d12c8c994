/** The "smtp-session" fuzz target. */
import fc from "fast-check";
import { SmtpSession } from "../../lib/src/smtp/session";
import { ReplyParser, formatReply } from "../../lib/src/smtp/reply";
import { inputsFrom } from "../mutate";
import { chunks, dnsName, expect, refusesCleanly, Target, text, word } from "./contract";

const mailbox = fc.oneof(fc.constantFrom("bob@umass.edu", "alice@cs.umass.edu", "", "x@y", "postmaster"), fc.tuple(word, dnsName).map(([u, d]) => `${u}@${d}`));
const smtpLine = fc.oneof(
  fc.tuple(fc.constantFrom("EHLO", "HELO", "ehlo"), dnsName).map(([c, d]) => `${c} ${d}`),
  mailbox.map((m) => `MAIL FROM:<${m}>`),
  fc.tuple(mailbox, fc.constantFrom("", " BODY=8BITMIME", " SIZE=100", " SIZE=99999999", " BOGUS=1")).map(([m, p]) => `MAIL FROM:<${m}>${p}`),
  mailbox.map((m) => `RCPT TO:<${m}>`),
  fc.constantFrom("DATA", "RSET", "NOOP", "QUIT", "VRFY bob", "EXPN list", "HELP", "STARTTLS", "AUTH PLAIN", "AUTH PLAIN AGJvYgBwdw==", "AUTH LOGIN", "*", "=", ".", "..", "MAIL", "RCPT TO:", "BDAT 10 LAST"),
  fc.tuple(word, word).map(([a, b]) => `${a} ${b}`),
  fc.string({ maxLength: 80 }),
);
const smtpStream = fc.array(smtpLine, { minLength: 1, maxLength: 16 });

export const smtpSession: Target = {
  name: "smtp-session",
  what: "the SMTP server's session (RFC 5321): commands, the DATA phase to CRLF.CRLF, AUTH PLAIN, STARTTLS, limits",
  files: ["smtp/session.ts", "smtp/reply.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(smtpStream)),
  check(input) {
    const s = new SmtpSession({ hostname: "mail.umass.edu", localDomains: ["umass.edu"], isLocalUser: (a) => a.startsWith("bob@"), auth: true, tls: (input.length & 1) === 1, maxMessageSize: 4000, maxRecipients: 4, maxBadCommands: 6 });
    let closed = false;
    for (const chunk of chunks(input)) {
      let out = refusesCleanly(() => s.feed(chunk), [])!;
      for (;;) {
        for (const r of out.replies) {
          // Every reply, as the client reads it back line by line, has the code the session gave it.
          const parser = new ReplyParser();
          const lines = formatReply(r).split("\r\n").slice(0, -1);
          const read = lines.map((l) => refusesCleanly(() => parser.push(l), [])).at(-1);
          expect(read?.code === r.code && read.lines.length === r.lines.length, `reply ${r.code} read back as ${read?.code}`);
        }
        if (out.close) closed = true;
        if (out.deliver) out = s.delivered(out.deliver.message.length % 2 === 0);
        else if (out.authenticate) out = s.authenticated(out.authenticate.password === "pw");
        else if (out.startTls) out = s.tlsStarted();
        else break;
      }
      if (closed) break;
    }
  },
};
