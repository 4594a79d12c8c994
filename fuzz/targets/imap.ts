/** The "imap" fuzz target. */
import fc from "fast-check";
import { ImapFramer, parseImapDate, parseSequenceSet, tokenize } from "../../lib/src/imap/syntax";
import { ImapSession } from "../../lib/src/imap/session";
import { inputsFrom } from "../mutate";
import { chunks, Defect, expect, refusesCleanly, Target, text, word } from "./contract";
import { mailAccess } from "./maildir";

const seqSet = fc.constantFrom("1", "1:*", "*", "2,1", "1:3", "0", "4294967296", "3:1", "1,,2", "");
const imapCommand = fc.oneof(
  fc.constantFrom("LOGIN bob bobpass", 'LOGIN "bob" {7+}\r\nbobpass', "SELECT INBOX", "EXAMINE INBOX", "SELECT nosuch", "CAPABILITY", "NOOP", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "LIST \"\" *", "LSUB \"\" %", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT)",
    "CREATE Work", "DELETE Work", "RENAME Work Play", "SUBSCRIBE INBOX", "IDLE", "DONE", "NAMESPACE", "ID NIL", "AUTHENTICATE PLAIN", "AUTHENTICATE PLAIN AGJvYgBib2JwYXNz", "APPEND INBOX {5}\r\nhello", "APPEND INBOX (\\Seen) {3+}\r\nabc", "LOGOUT"),
  fc.tuple(fc.constantFrom("FETCH", "UID FETCH"), seqSet, fc.constantFrom("FLAGS", "(FLAGS UID RFC822.SIZE)", "BODY[]", "BODY.PEEK[HEADER.FIELDS (Subject)]", "BODY[1]", "BODY[2.1.MIME]", "BODY[]<0.5>", "ENVELOPE", "BODYSTRUCTURE", "ALL", "FULL", "(BODY[TEXT]<10.>)", "BOGUS"))
    .map(([c, s, f]) => `${c} ${s} ${f}`),
  fc.tuple(fc.constantFrom("STORE", "UID STORE"), seqSet, fc.constantFrom("+FLAGS", "-FLAGS.SILENT", "FLAGS"), fc.constantFrom("(\\Seen)", "(\\Deleted)", "(\\Flagged $Junk)", "()", "\\Recent")).map((p) => p.join(" ")),
  fc.tuple(fc.constantFrom("SEARCH", "UID SEARCH"), fc.constantFrom("ALL", "UNSEEN", "FROM alice", "SUBJECT \"two\"", "SINCE 1-Jan-2020", "BEFORE 32-Foo-99", "OR SEEN DELETED", "NOT 1:2", "LARGER 10", "UID 1:*", "CHARSET UTF-8 TEXT x", "(")).map((p) => p.join(" ")),
  fc.tuple(fc.constantFrom("COPY", "MOVE", "UID MOVE"), seqSet, fc.constantFrom("INBOX", "Work", '"a b"')).map((p) => p.join(" ")),
  fc.tuple(word, word, word).map((p) => p.join(" ")),
);
const imapStream = fc.array(fc.tuple(fc.constantFrom("a1", "a2", "*", "+", "A.B", ""), imapCommand).map(([t, c]) => `${t} ${c}`), { minLength: 1, maxLength: 10 });

export const imap: Target = {
  name: "imap",
  what: "IMAP4rev1 (RFC 3501): the framer (lines, literals, LITERAL+), the tokenizer, sequence sets, dates and the server session on a real maildir",
  files: ["imap/syntax.ts", "imap/session.ts", "imap/commands.ts", "imap/folders.ts", "imap/selected.ts", "imap/search.ts", "imap/fetch.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(imapStream)),
  async check(input) {
    const session = new ImapSession(await mailAccess());
    const framer = new ImapFramer(1000, 4096, true); // as the server reads commands: CRLF only, no control bytes outside literals
    for (const chunk of chunks(input)) {
      for (const event of refusesCleanly(() => framer.push(chunk), []) ?? []) {
        if (event.kind === "line") {
          refusesCleanly(() => tokenize(event.text, event.literals), ["ImapSyntaxError"]);
          const seq = event.text.split(" ")[2] ?? "";
          refusesCleanly(() => parseSequenceSet(seq, 3)(2), ["ImapSyntaxError"]);
          refusesCleanly(() => parseImapDate(event.text), []);
        }
        let out;
        try {
          out = await session.handle(event);
        } catch (e) {
          throw new Defect(`the session threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
        }
        expect(out.text === "" || out.text.endsWith("\r\n"), `a reply not ending in CRLF: ${JSON.stringify(out.text.slice(-20))}`);
        if (out.close) return;
      }
    }
  },
};
