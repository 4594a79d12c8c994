/** The "mime" fuzz target. */
import fc from "fast-check";
import { parseMessage, mimeOutline } from "../../lib/src/message/message";
import { decodeWords, parseAddressList, parseHeaderBlock, parseParameterized } from "../../lib/src/message/header";
import { inputsFrom } from "../mutate";
import { refusesCleanly, Target, word } from "./contract";

const header = fc.tuple(fc.constantFrom("From", "To", "Cc", "Subject", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", "X-Junk", "Date"),
  fc.oneof(word, fc.constantFrom('multipart/mixed; boundary="b1"', "multipart/alternative; boundary=b2", "text/plain; charset=utf-8", 'text/plain; charset="iso-8859-1"', "message/rfc822", "base64", "quoted-printable", "8bit",
    'attachment; filename="a.txt"', "attachment; filename*=UTF-8''%e2%82%ac.txt", "=?UTF-8?B?w6k=?=", "=?ISO-8859-1?Q?caf=E9?=", "Alice <alice@cs.umass.edu>, bob@umass.edu", '"Doe, J" <j@x>', "(comment) <a@b>")))
  .map(([n, v]) => `${n}: ${v}`);
const mimeBody = fc.array(fc.oneof(fc.constantFrom("--b1", "--b1--", "--b2", "--b2--", "", "hello", "=E9t=E9", "SGVsbG8=", "=", "=\r", "Content-Type: text/html", "Content-Type: multipart/mixed; boundary=b1"), fc.string({ maxLength: 60 })), { maxLength: 20 });

export const mime: Target = {
  name: "mime",
  what: "RFC 5322 messages and MIME (RFC 2045–2047, 2231): headers, folding, encoded words, addresses, nested multiparts, transfer encodings",
  files: ["message/message.ts", "message/header.ts", "message/encoding.ts"],
  inputs: (seeds) => inputsFrom(seeds, fc.tuple(fc.array(header, { maxLength: 8 }), mimeBody).map(([h, b]) => Buffer.from([...h, "", ...b].join("\r\n"), "latin1"))),
  check(input) {
    const m = refusesCleanly(() => parseMessage(input), ["MIME_LIMIT"]);
    if (m) refusesCleanly(() => mimeOutline(m), []);
    const head = input.toString("latin1").split(/\r?\n\r?\n/)[0];
    for (const field of refusesCleanly(() => parseHeaderBlock(head), []) ?? []) {
      refusesCleanly(() => decodeWords(field.value), []);
      refusesCleanly(() => parseAddressList(field.value), []);
      refusesCleanly(() => parseParameterized(field.value), []);
    }
  },
};
