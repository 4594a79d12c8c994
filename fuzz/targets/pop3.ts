/** The "pop3" fuzz target. */
import fc from "fast-check";
import { isAppLayerError } from "../../lib/src/errors";
import { Pop3Session } from "../../lib/src/pop3/session";
import { LineSplitter } from "../../lib/src/net/framing";
import { inputsFrom } from "../mutate";
import { chunks, Defect, expect, Target, text, word } from "./contract";
import { mailAccess } from "./maildir";

const pop3Line = fc.oneof(fc.constantFrom("USER bob", "PASS bobpass", "PASS wrong", "APOP bob 0123", "STAT", "LIST", "LIST 1", "LIST 99", "RETR 1", "RETR 0", "TOP 2 1", "TOP 1 -1", "DELE 1", "DELE 1", "RSET", "UIDL", "UIDL 2", "NOOP", "CAPA", "QUIT", "list 1 2", ""),
  fc.tuple(fc.constantFrom("RETR", "DELE", "TOP", "LIST", "UIDL"), fc.oneof(fc.nat(5).map(String), word)).map((p) => p.join(" ")), fc.string({ maxLength: 30 }));

export const pop3: Target = {
  name: "pop3",
  what: "POP3 (RFC 1939): the line splitter, authorization and transaction states on a real maildir",
  files: ["pop3/session.ts", "net/framing.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(fc.array(pop3Line, { minLength: 1, maxLength: 12 }))),
  async check(input) {
    const session = new Pop3Session(await mailAccess());
    const splitter = new LineSplitter(255 * 4, true); // as the server reads commands: CRLF only
    try {
      for (const chunk of chunks(input)) {
        let lines: Buffer[];
        try {
          lines = splitter.push(chunk);
        } catch (e) {
          if (isAppLayerError(e)) return; // an over-long line: the server says -ERR and closes
          throw e;
        }
        for (const line of lines) {
          const out = await session.handle(line.toString("latin1"));
          expect(out.text === "" || /^(\+OK|-ERR)/.test(out.text), `a reply that is neither +OK nor -ERR: ${JSON.stringify(out.text.slice(0, 30))}`);
          if (out.close) return;
        }
      }
    } catch (e) {
      if (e instanceof Defect) throw e;
      throw new Defect(`the session threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
    } finally {
      session.release();
    }
  },
};
