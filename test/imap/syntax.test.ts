import { describe, expect, it } from "vitest";
import { ImapFramer, formatSequenceSet, imapString, parseSequenceSet, tokenize } from "../../lib/src/imap/syntax";
import { bodyStructure, envelope, parseFetchItems, sectionBytes } from "../../lib/src/imap/fetch";
import { composeMessage, parseMessage } from "../../lib/src/message/message";

describe("ImapFramer", () => {
  it("joins a line with its literal, however the bytes are cut, and asks for '+' before a synchronizing literal", () => {
    const wire = Buffer.from('a1 LOGIN {3}\r\nbob "pw"\r\na2 NOOP\r\n');
    for (const cut of [1, 5, 13, 14, 20]) {
      const f = new ImapFramer();
      const events = [...f.push(wire.subarray(0, cut)), ...f.push(wire.subarray(cut))];
      expect(events.map((e) => e.kind)).toEqual(["continue", "line", "line"]);
      const line = events[1] as { text: string; literals: Buffer[] };
      expect(tokenize(line.text, line.literals)).toEqual(["a1", "LOGIN", Buffer.from("bob"), "pw"]);
    }
  });
  it("does not ask for '+' before a LITERAL+ literal", () => {
    expect(new ImapFramer().push(Buffer.from("a1 APPEND INBOX {2+}\r\nhi\r\n")).map((e) => e.kind)).toEqual(["line"]);
  });
  it("refuses literals over the limit: a synchronizing one with BAD before it is sent, a LITERAL+ one fatally", () => {
    const f = new ImapFramer(100, 10);
    expect(f.push(Buffer.from("a1 APPEND INBOX {10}\r\n"))).toEqual([{ kind: "continue", size: 10 }]);
    const [big] = f.push(Buffer.from("0123456789\r\na2 APPEND INBOX {11}\r\n")).slice(1);
    expect(big).toMatchObject({ kind: "error", tag: "a2", fatal: false });
    expect(new ImapFramer(100, 10).push(Buffer.from("a3 APPEND INBOX {11+}\r\n"))).toMatchObject([{ kind: "error", tag: "a3", fatal: true }]);
  });
  it("refuses a line over the limit with its tag, then reads the next line normally", () => {
    const f = new ImapFramer(20, 10);
    const events = f.push(Buffer.from(`a1 ${"X".repeat(30)}\r\na2 NOOP\r\n`));
    expect(events).toMatchObject([{ kind: "error", tag: "a1" }, { kind: "line", text: "a2 NOOP" }]);
  });
});

describe("ImapFramer for commands (the server's side)", () => {
  const commands = () => new ImapFramer(undefined, undefined, true);
  it("ends lines only at CRLF: a bare LF or CR stays in its line, which is refused with its tag, and the next line is read", () => {
    for (const end of ["\n", "\r"]) {
      const events = commands().push(Buffer.from(`a1 LOGIN bob bobpass${end}a2 DELETE INBOX\r\na3 NOOP\r\n`));
      expect(events.map((e) => [e.kind, e.kind === "error" ? e.tag : e.kind === "line" ? e.text : ""])).toEqual([["error", "a1"], ["line", "a3 NOOP"]]);
    }
  });
  it.each([["NUL", "\u0000"], ["TAB", "\t"], ["ESC", "\u001b"], ["DEL", "\u007f"]])("refuses %s outside literals", (_name, byte) => {
    expect(commands().push(Buffer.from(`a1 SELECT "IN${byte}BOX"\r\n`)).map((e) => e.kind)).toEqual(["error"]);
  });
  it("carries CR, LF and any byte inside a literal", () => {
    const [event] = commands().push(Buffer.from("a1 LOGIN bob {8+}\r\npw\r\na2 X\r\n"));
    expect(event).toMatchObject({ kind: "line", text: "a1 LOGIN bob \u00000" });
    expect(event.kind === "line" && event.literals[0].toString()).toBe("pw\r\na2 X");
  });
  it("keeps the CR that ends a skipped over-long line when the LF comes in the next read", () => {
    const f = new ImapFramer(20, 10, true);
    expect(f.push(Buffer.from(`a1 ${"x".repeat(30)}\r`)).map((e) => e.kind)).toEqual(["error"]);
    expect(f.push(Buffer.from("\na2 NOOP\r\n"))).toEqual([{ kind: "line", text: "a2 NOOP", literals: [] }]);
  });
});

describe("tokenize", () => {
  it("reads atoms, quoted strings with escapes, NIL, nested lists, and sections with spaces inside brackets", () => {
    expect(tokenize('* 1 FETCH (FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM TO)]<0.10> "a \\"q\\" \\\\" NIL)')).toEqual([
      "*", "1", "FETCH", ["FLAGS", ["\\Seen"], "BODY[HEADER.FIELDS (FROM TO)]<0.10>", 'a "q" \\', null],
    ]);
  });
  it.each(["a1 (unclosed", "a1 closed)", 'a1 "unterminated', "a1 BODY[HEADER"])("throws on %s", (text) => {
    expect(() => tokenize(text)).toThrow();
  });
});

describe("sequence sets and strings", () => {
  it("parses ranges, * and reversed ranges, and writes compact sets", () => {
    const set = parseSequenceSet("1:3,7,10:*,5:4", 12);
    expect([...Array(13).keys()].filter(set)).toEqual([1, 2, 3, 4, 5, 7, 10, 11, 12]);
    expect(formatSequenceSet([1, 2, 3, 7, 9, 10])).toBe("1:3,7,9:10");
    expect(() => parseSequenceSet("1:x", 5)).toThrow();
  });
  it("quotes what it can and sends the rest as a literal", () => {
    expect(imapString('say "hi"')).toBe('"say \\"hi\\""');
    expect(imapString("two\r\nlines")).toBe("{10}\r\ntwo\r\nlines");
    expect(imapString(null)).toBe("NIL");
  });
});

describe("FETCH data", () => {
  const wire = Buffer.from(composeMessage({
    from: { name: "Alice", address: "alice@cs.umass.edu" }, to: ["bob@umass.edu"], subject: "Lab", text: "see attached\n", html: "<p>see attached</p>\n",
    attachments: [{ filename: "notes.txt", content: "line one\n", contentType: "text/plain" }],
  }));
  it("cuts sections: header fields, a part by number, its MIME header", () => {
    const section = (raw: string) => parseFetchItems(raw)[0] as Parameters<typeof sectionBytes>[1];
    expect(sectionBytes(wire, section("BODY.PEEK[HEADER.FIELDS (SUBJECT)]")).toString()).toBe("Subject: Lab\r\n\r\n");
    const alt = parseMessage(wire).parts[0];
    expect(sectionBytes(wire, section("BODY[1.1]")).toString()).toBe(alt.parts[0].rawBody.toString());
    expect(sectionBytes(wire, section("BODY[2.MIME]")).toString()).toMatch(/^Content-Type: text\/plain; name="notes.txt"/);
    expect(sectionBytes(wire, section("BODY[2]")).toString("latin1")).toBe(Buffer.from("line one\n").toString("base64"));
  });
  it("writes the ENVELOPE and BODYSTRUCTURE a client reads", () => {
    const env = tokenize(envelope(wire))[0] as unknown[];
    expect(env[1]).toBe("Lab");
    expect(env[2]).toEqual([["Alice", null, "alice", "cs.umass.edu"]]);
    const structure = tokenize(bodyStructure(parseMessage(wire)))[0] as unknown[];
    expect(structure[structure.length - 1]).toBe("MIXED");
    expect((structure[0] as unknown[]).slice(-1)).toEqual(["ALTERNATIVE"]);
  });
  it("refuses unknown items and malformed sections", () => {
    expect(() => parseFetchItems("BOGUS")).toThrow();
    expect(() => parseFetchItems("BODY[HEADER.FIELDS]")).toThrow();
  });
});
