import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { annotateMessage } from "../../lib/src/dns/wire/annotate";
import { decodeMessage } from "../../lib/src/dns/wire/codec";
import { annotatedHexdump } from "../../lib/src/lab/hexdump";
import { FIXTURES } from "./fixtures";

// Golden bytes: dig's query (BIND 9.18) and Knot 3.2's reply to it, captured on loopback.
const query = readFileSync(join(FIXTURES, "dig-query-cs-umass-edu-mx.bin"));
const knot = readFileSync(join(FIXTURES, "knot-reply-cs-umass-edu-mx.bin"));

describe("the captured messages decode", () => {
  it("dig's query: one MX question, no RD, EDNS with a 1232-byte buffer and a cookie", () => {
    const m = decodeMessage(query).message;
    expect(m.questions).toEqual([{ name: "cs.umass.edu", type: "MX", class: "IN" }]);
    expect(m.flags! & 0x0100).toBe(0);
    const opt = m.additionals![0] as { type: string; udpPayloadSize: number; options: Array<{ type: string }> };
    expect([opt.type, opt.udpPayloadSize, opt.options.map((o) => o.type)]).toEqual(["OPT", 1232, ["COOKIE"]]);
  });
  it("Knot's reply: two MX answers and three additional records (two A, one OPT)", () => {
    const m = decodeMessage(knot).message;
    expect(m.answers!.map((r) => (r as { data: { exchange: string } }).data.exchange)).toEqual(["mail.cs.umass.edu", "mail.umass.edu"]);
    expect(m.additionals!.map((r) => r.type)).toEqual(["A", "A", "OPT"]);
  });
});

describe("annotateMessage", () => {
  it("names the header bits, AD included (dig sets it)", () => {
    const dump = annotatedHexdump(query, annotateMessage(query)).split("\n");
    expect(dump[1]).toMatch(/flags\s+QR=0 OPCODE=0 AA=0 TC=0 RD=0 RA=0 Z=0 AD=1 CD=0 RCODE=0$/);
  });
  it("shows Knot's compression pointers and where they point", () => {
    const pointers = annotateMessage(knot).filter((f) => f.name.endsWith("pointer"));
    expect(pointers.map((p) => [p.offset, p.meaning])).toEqual([
      [30, "→ offset 12: cs.umass.edu."],
      [51, "→ offset 12: cs.umass.edu."],
      [72, "→ offset 44: mail.cs.umass.edu."], // xxd: c0 2c at 0x48
      [88, "→ offset 65: mail.umass.edu."], // xxd: c0 41 at 0x58
    ]);
  });
  it("covers every byte of the message exactly once", () => {
    for (const m of [query, knot]) {
      const covered = annotateMessage(m).reduce((n, f) => n + f.length, 0);
      expect(covered).toBe(m.length);
    }
  });
});
