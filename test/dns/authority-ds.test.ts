/**
 * A server that serves a parent and its child answers the child's DS from the
 * parent (RFC 4035 §3.1.4.1): the child holds no DS of its own, so answering
 * from the most specific zone would deny the DS the parent publishes. Every
 * other question about the child's apex is still the child's.
 */
import { describe, expect, it } from "vitest";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { DnsMessage, FLAGS } from "../../lib/src/dns/wire/codec";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { parseZone } from "../../lib/src/dns/wire/zone";

const SOA = "@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\n";
const parent = parseZone(`$ORIGIN test.\n$TTL 3600\n${SOA}ns A 10.0.0.1\nshop NS ns.shop\nns.shop A 10.0.0.2\nshop DS 60708 13 2 ABCDEF\n`);
const child = parseZone(`$ORIGIN shop.test.\n$TTL 3600\n${SOA}ns A 10.0.0.2\n`);
const ask = (auth: Authority, name: string, type: string) =>
  auth.answer({ id: 1, type: "query", flags: 0, questions: [{ name, type, class: "IN" }] } as DnsMessage).response;
const values = (list: DnsMessage["answers"]) => (list ?? []).map((r) => `${rrTuple(r).type} ${rrTuple(r).value}`);

describe("Authority with a parent and its child", () => {
  for (const order of [[parent, child], [child, parent]]) {
    const auth = new Authority(order);
    it(`answers the child's DS from the parent, authoritatively (zones given ${order[0] === parent ? "parent" : "child"} first)`, () => {
      const r = ask(auth, "shop.test.", "DS");
      expect(values(r.answers)).toEqual(["DS 60708 13 2 ABCDEF"]);
      expect((r.flags ?? 0) & FLAGS.AA).toBe(FLAGS.AA);
    });
    it("answers the child's other apex records from the child", () => {
      expect(values(ask(auth, "shop.test.", "NS").answers)).toEqual(["NS ns.shop.test."]);
      expect(values(ask(auth, "ns.shop.test.", "A").answers)).toEqual(["A 10.0.0.2"]);
    });
  }
  it("answers a DS at the apex of a zone whose parent it does not serve from that zone (NODATA, its SOA)", () => {
    const r = ask(new Authority([child]), "shop.test.", "DS");
    expect(values(r.answers)).toEqual([]);
    expect(values(r.authorities)[0]).toMatch(/^SOA ns\.shop\.test\./);
  });
});
