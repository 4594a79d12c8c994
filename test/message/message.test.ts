import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { isAppLayerError } from "../../lib/src/errors";
import { decodeBase64, decodeQuotedPrintable, encodeBase64, encodeQuotedPrintable } from "../../lib/src/message/encoding";
import { decodeWords, encodeWords, foldHeader, parseAddressList, parseHeaderBlock, parseParameterized } from "../../lib/src/message/header";
import { MAX_MIME_PARTS } from "../../lib/src/message/limits";
import { composeMessage, envelopeRecipients, parseMessage } from "../../lib/src/message/message";

const corpus = join(__dirname, "../fixtures/mail/python-email");
const squash = (s?: string) => (s ?? "").replace(/\s+/g, " ").trim();
const addresses = (list: Array<{ address?: string }>) => list.map((a) => a.address ?? "").filter(Boolean);
const theirAddresses = (x: unknown) => (Array.isArray(x) ? x : x ? [x] : []).flatMap((a: { value: Array<{ address?: string }> }) => addresses(a.value));
const mailparser = (raw: Buffer | string) => simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });

describe("transfer encodings (RFC 2045 §6)", () => {
  it("base64 round-trips every byte value in 76-letter lines", () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
    const text = encodeBase64(bytes);
    expect(Math.max(...text.split("\r\n").map((l) => l.length))).toBe(76);
    expect(decodeBase64(text)).toEqual(bytes);
  });

  it("quoted-printable keeps ASCII readable, escapes '=' and 8-bit bytes, soft-breaks long lines, and round-trips", () => {
    const text = Buffer.from(`Café = 3€ \r\n${"x".repeat(200)}\r\ntrailing space \r\nend`);
    const qp = encodeQuotedPrintable(text);
    expect(qp.startsWith("Caf=C3=A9 =3D 3=E2=82=AC=20\r\n")).toBe(true);
    expect(qp.split("\r\n").every((l) => l.length <= 76)).toBe(true);
    expect(qp).toContain("trailing space=20\r\n");
    expect(decodeQuotedPrintable(qp)).toEqual(text);
  });

  it("quoted-printable decoding keeps a malformed '=' as it is", () => {
    expect(decodeQuotedPrintable("a=ZZb=4").toString()).toBe("a=ZZb=4");
  });
});

describe("header fields (RFC 5322, RFC 2047, RFC 2231)", () => {
  it("folds long fields before white space, and unfolding gives the value back", () => {
    const value = Array.from({ length: 30 }, (_, i) => `word${i}`).join(" ");
    const folded = foldHeader("Subject", value);
    expect(folded.split("\r\n").length).toBeGreaterThan(2);
    expect(folded.split("\r\n").every((l) => l.length <= 78)).toBe(true);
    expect(parseHeaderBlock(folded)).toEqual([{ name: "Subject", value }]);
  });

  it("encodes non-ASCII text in encoded words of at most 75 characters, never splitting a letter", () => {
    const text = "Grüße aus Zürich — 東京の会議は午後三時からです。".repeat(2);
    const encoded = encodeWords(text);
    expect(/^[\x20-\x7e]+$/.test(encoded)).toBe(true);
    expect(encoded.split(" ").every((w) => w.length <= 75)).toBe(true);
    expect(decodeWords(encoded)).toBe(text);
    expect(encodeWords("plain ASCII")).toBe("plain ASCII");
  });

  it("decodes B and Q words, drops white space between adjacent words, and keeps it around plain text", () => {
    expect(decodeWords("=?ISO-8859-1?Q?Andr=E9?= Pirard")).toBe("André Pirard");
    expect(decodeWords("=?UTF-8?B?Q2Fm?= =?UTF-8?B?w6k=?=")).toBe("Café");
    expect(decodeWords("=?utf-8?q?a_b?=  =?utf-8?q?c?=")).toBe("a bc");
  });

  it("reads parameters, quoted strings and RFC 2231 continuations", () => {
    expect(parseParameterized('Text/Plain; charset="utf-8"; format=flowed')).toEqual({ value: "text/plain", params: { charset: "utf-8", format: "flowed" } });
    const p = parseParameterized("attachment; filename*0*=utf-8''%E2%82%AC%20rates; filename*1=.pdf");
    expect(p.params.filename).toBe("€ rates.pdf");
  });

  it("parses address lists with quoted commas, comments, groups and encoded names", () => {
    const list = parseAddressList('"Doe, Jane" <jane@x.org>, bob@umass.edu (Bob), team: a@b.c, d@e.f;, =?UTF-8?B?SsO8cmdlbg==?= <j@g.de>');
    expect(list).toEqual([
      { name: "Doe, Jane", address: "jane@x.org" },
      { name: "Bob", address: "bob@umass.edu" },
      { name: "", address: "a@b.c" },
      { name: "", address: "d@e.f" },
      { name: "Jürgen", address: "j@g.de" },
    ]);
  });
});

describe("composeMessage", () => {
  const attachment = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
  const options = {
    from: { name: "Alice Ångström", address: "alice@cs.umass.edu" },
    to: ["bob@umass.edu"],
    cc: [{ name: "Carol", address: "carol@nyu.edu" }],
    bcc: ["dean@umass.edu"],
    subject: "Résumé and the lab's timetable, attached — please read before Friday's meeting",
    text: "Hi Bob,\nsee the attachment. Prix: 3€\n",
    html: "<p>Hi Bob,<br>see the attachment.</p>\n",
    attachments: [{ filename: "timetable.bin", content: attachment }],
  };
  const wire = composeMessage(options);

  it("writes 7-bit ASCII with CRLF line ends and lines of at most 78 characters", () => {
    expect(/^[\x00-\x7f]*$/.test(wire)).toBe(true);
    expect(wire.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(wire.split("\r\n").every((l) => l.length <= 78)).toBe(true);
  });

  it("keeps Bcc out of the header lines but in the envelope", () => {
    expect(wire).not.toMatch(/dean@umass.edu/);
    expect(envelopeRecipients(options)).toEqual(["bob@umass.edu", "carol@nyu.edu", "dean@umass.edu"]);
  });

  it("builds multipart/mixed around multipart/alternative, and parses back to the same content", () => {
    const m = parseMessage(wire);
    expect(m.contentType.value).toBe("multipart/mixed");
    expect(m.parts.map((p) => p.contentType.value)).toEqual(["multipart/alternative", "application/octet-stream"]);
    expect(m.subject).toBe(options.subject);
    expect(m.from).toEqual([options.from]);
    expect(m.text).toBe(options.text.replace(/\n/g, "\r\n"));
    expect(m.attachments[0].content).toEqual(attachment);
  });

  it("is read the same way by mailparser", async () => {
    const theirs = await mailparser(wire);
    expect(theirs.subject).toBe(options.subject);
    expect(theirAddresses(theirs.cc)).toEqual(["carol@nyu.edu"]);
    expect(squash(theirs.text)).toBe(squash(options.text));
    expect(squash(theirs.html as string)).toBe(squash(options.html));
    expect(theirs.attachments.map((a) => [a.filename, a.content.equals(attachment)])).toEqual([["timetable.bin", true]]);
  });
});

describe("parseMessage", () => {
  it("refuses a MIME bomb with MIME_LIMIT, and accepts the limit itself", () => {
    const bomb = (n: number) => `Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n\r\nx\r\n".repeat(n)}--b--\r\n`;
    expect(parseMessage(bomb(MAX_MIME_PARTS - 1)).parts).toHaveLength(MAX_MIME_PARTS - 1);
    try {
      parseMessage(bomb(MAX_MIME_PARTS));
      expect.unreachable();
    } catch (e) {
      expect(isAppLayerError(e, "MIME_LIMIT")).toBe(true);
    }
  });

  it("never throws on garbage", () => {
    for (const junk of ["", "\r\n\r\n", "no colon\r\n\r\nbody", "Content-Type: multipart/mixed\r\n\r\n--", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"]) {
      expect(() => parseMessage(junk)).not.toThrow();
    }
  });
});

/**
 * The cross-check: Python's e-mail test corpus (real mailers' output — Outlook
 * Express, KMail, Postfix and Exim bounces, mailing-list digests — collected for
 * CPython's own parser) read by our parser and by mailparser.
 */
describe("parseMessage agrees with mailparser on Python's e-mail corpus", () => {
  // Where the two readings differ on purpose, and why:
  const differ: Record<string, string> = {
    "msg_14.txt": '"Content-Type: text" has no subtype; RFC 2045 §5.2 says to read it as text/plain, mailparser makes it an attachment',
    "msg_15.txt": "a nested multipart reuses its parent's boundary, which RFC 2046 §5.1.2 forbids; the readings diverge",
    "msg_39.txt": "nested multiparts reuse their parent's boundary (forbidden by RFC 2046 §5.1.2); the readings diverge",
  };
  const files = readdirSync(corpus).filter((f) => f.endsWith(".txt")).sort();

  it("has a corpus to check", () => expect(files.length).toBeGreaterThan(40));

  for (const file of files.filter((f) => !differ[f])) {
    it(file, async () => {
      const raw = readFileSync(join(corpus, file));
      const [ours, theirs] = [parseMessage(raw), await mailparser(raw)];
      expect(squash(ours.subject)).toBe(squash(theirs.subject));
      expect(addresses(ours.from)).toEqual(theirAddresses(theirs.from));
      expect(addresses(ours.to)).toEqual(theirAddresses(theirs.to));
      expect(ours.messageId ?? "").toBe(theirs.messageId ?? "");
      if (ours.date) expect(ours.date.getTime()).toBe(theirs.date?.getTime());
      // mailparser reads into enclosed messages (message/rfc822, bounces); we keep them as parts. Compare the rest.
      const enclosed = (type: string) => type.startsWith("message/") || type === "text/rfc822-headers";
      if (ours.attachments.some((a) => enclosed(a.contentType))) return;
      expect(squash(ours.text)).toBe(squash(theirs.text));
      expect(ours.attachments.map((a) => `${a.filename}:${a.contentType}:${a.checksum}`)).toEqual(theirs.attachments.map((a) => `${a.filename ?? ""}:${a.contentType}:${a.checksum}`));
    });
  }

  it("reads a type without a subtype as text/plain (RFC 2045 §5.2), where mailparser differs", () => {
    const m = parseMessage(readFileSync(join(corpus, "msg_14.txt")));
    expect(m.contentType.value).toBe("text/plain");
    expect(m.text).toContain("drainbread ISP");
  });
});
