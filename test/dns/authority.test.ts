import { describe, expect, it } from "vitest";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { DnsMessage, FLAGS, RCODES } from "../../lib/src/dns/wire/codec";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { fixtureZone } from "./fixtures";

const auth = new Authority([fixtureZone("umass.edu.zone"), fixtureZone("lessons.test.zone"), fixtureZone("1.0.127.in-addr.arpa.zone")]);
const query = (name: string, type = "A", opcode?: string): DnsMessage =>
  ({ id: 4242, type: "query", flags: FLAGS.RD, opcode, questions: [{ name, type, class: "IN" }] }) as DnsMessage;
const ask = (name: string, type = "A") => auth.answer(query(name, type));
const values = (list: DnsMessage["answers"]) => (list ?? []).map((r) => `${rrTuple(r).type} ${rrTuple(r).value}`);

describe("Authority", () => {
  it("answers with AA, echoes id and RD, and puts the rcode in the flag bits", () => {
    const { response, kind } = ask("gaia.cs.umass.edu");
    expect(kind).toBe("answer");
    expect(response.id).toBe(4242);
    expect((response.flags ?? 0) & (FLAGS.QR | FLAGS.AA | FLAGS.RD | FLAGS.RA)).toBe(FLAGS.QR | FLAGS.AA | FLAGS.RD);
    expect(values(response.answers)).toEqual(["A 127.0.1.12"]);
  });
  it("follows a CNAME chain inside the zone", () => {
    const { response, kind } = ask("alias2.lessons.test");
    expect(kind).toBe("cname");
    const got = values(response.answers);
    expect(got.slice(0, 2)).toEqual(["CNAME alias.lessons.test.", "CNAME www.lessons.test."]);
    expect(got.slice(2).sort()).toEqual(["A 127.0.2.10", "A 127.0.2.11", "A 127.0.2.12"]); // in rotated order
  });
  it("stops a CNAME leaving the zone at the CNAME, for the resolver to go on", () => {
    expect(values(ask("outside.lessons.test").response.answers)).toEqual(["CNAME gaia.cs.umass.edu."]);
  });
  it("ends a CNAME loop without repeating records", () => {
    expect(values(ask("loop1.lessons.test").response.answers)).toEqual(["CNAME loop2.lessons.test.", "CNAME loop1.lessons.test."]);
  });
  it("refers a delegated name to its servers with glue, AA off", () => {
    const { response, kind } = ask("deep.x.sub.lessons.test");
    expect(kind).toBe("referral");
    expect((response.flags ?? 0) & FLAGS.AA).toBe(0);
    expect(values(response.answers)).toEqual([]);
    expect(values(response.authorities)).toEqual(["NS ns.sub.lessons.test."]);
    expect(values(response.additionals)).toEqual(["A 127.0.2.53"]);
  });
  it("says NXDOMAIN with the SOA, its TTL capped by the SOA minimum (RFC 2308)", () => {
    const { response, kind } = ask("nosuch.lessons.test");
    expect(kind).toBe("nxdomain");
    expect((response.flags ?? 0) & 0xf).toBe(RCODES.NXDOMAIN);
    expect(response.authorities!.map((r) => [r.type, (r as { ttl: number }).ttl])).toEqual([["SOA", 60]]);
  });
  it("says NODATA (NOERROR, SOA) for an existing name without the type, and for an empty non-terminal", () => {
    for (const [name, type] of [["gaia.cs.umass.edu", "MX"], ["b.c.lessons.test", "A"]]) {
      const { response, kind } = ask(name, type);
      expect(kind).toBe("nodata");
      expect((response.flags ?? 0) & 0xf).toBe(RCODES.NOERROR);
      expect(response.authorities!.map((r) => r.type)).toEqual(["SOA"]);
    }
  });
  it("adds the addresses of MX exchanges it knows", () => {
    const { response } = ask("cs.umass.edu", "MX");
    expect(values(response.additionals)).toEqual(["A 127.0.1.26", "A 127.0.1.25"]);
  });
  it("rotates several A records round-robin, one place per query", () => {
    const fresh = new Authority([fixtureZone("lessons.test.zone")]); // rotation state starts at zero
    const firsts = [1, 2, 3, 4].map(() => values(fresh.answer(query("www.lessons.test")).response.answers)[0]);
    expect(firsts).toEqual(["A 127.0.2.10", "A 127.0.2.11", "A 127.0.2.12", "A 127.0.2.10"]);
  });
  it("answers a reverse (PTR) lookup", () => {
    expect(values(ask("12.1.0.127.in-addr.arpa", "PTR").response.answers)).toEqual(["PTR gaia.cs.umass.edu."]);
  });
  it("REFUSES names outside its zones, NOTIMP for other opcodes, FORMERR without exactly one question", () => {
    expect(ask("www.example.com").kind).toBe("refused");
    expect(auth.answer(query("gaia.cs.umass.edu", "A", "IQUERY")).kind).toBe("notimp");
    expect(auth.answer({ ...query("x"), questions: [] }).kind).toBe("formerr");
  });
});
