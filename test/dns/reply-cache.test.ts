import { describe, expect, it } from "vitest";
import { FLAGS, encodeMessage, queryKey, replyTo } from "../../lib/src/dns/wire/codec";

const query = (id: number, flags: number, name = "gaia.cs.umass.edu") => encodeMessage({ id, type: "query", flags, questions: [{ name, type: "A", class: "IN" }] });

describe("reply cache keys and copies", () => {
  it("keys a query by its bytes after the id: another id finds it, another RD or letter case does not", () => {
    expect(queryKey(query(1, FLAGS.RD))).toBe(queryKey(query(0xbeef, FLAGS.RD)));
    expect(queryKey(query(1, FLAGS.RD))).not.toBe(queryKey(query(1, 0)));
    expect(queryKey(query(1, 0))).not.toBe(queryKey(query(1, 0, "GAIA.cs.umass.edu")));
  });
  it("keys a view into a larger buffer by the view's own bytes", () => {
    const bytes = query(7, 0);
    const inside = Buffer.concat([Buffer.from([1, 2, 3]), bytes]).subarray(3);
    expect(queryKey(inside)).toBe(queryKey(bytes));
  });
  it("gives a copy carrying the asker's id and leaves the cached reply as it was", () => {
    const cached = Buffer.from([0x00, 0x01, 0x81, 0x80, 0xaa]);
    const reply = replyTo(Buffer.from([0xbe, 0xef]), cached);
    expect([...reply]).toEqual([0xbe, 0xef, 0x81, 0x80, 0xaa]);
    expect([...cached]).toEqual([0x00, 0x01, 0x81, 0x80, 0xaa]);
  });
});
