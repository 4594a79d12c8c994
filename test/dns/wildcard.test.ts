/**
 * Wildcards (RFC 4592) in the authoritative server, unsigned: a name that does
 * not exist is answered from the wildcard below its closest encloser, with the
 * name asked as owner; never across a name that exists (an owner or an empty
 * non-terminal); a wildcard without the type is a NODATA; a wildcard CNAME is
 * followed. The zone (fixtures/dns/wild.test.zone) is also the signed tests' (dnssec-proofs).
 */
import { describe, expect, it } from "vitest";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { DnsMessage, FLAGS } from "../../lib/src/dns/wire/codec";
import { rrTuple } from "../../lib/src/dns/wire/records";
import { closestEncloser, nextCloser, sourceOfSynthesis } from "../../lib/src/dns/wire/wildcard";
import { fixtureZone } from "./fixtures";

const zone = fixtureZone("wild.test.zone");
const auth = new Authority([zone]);
const ask = (name: string, type = "A") => auth.answer({ id: 1, type: "query", flags: FLAGS.RD, questions: [{ name, type, class: "IN" }] } as DnsMessage);
const lines = (list: DnsMessage["answers"]) => (list ?? []).map((r) => `${rrTuple(r).name} ${rrTuple(r).type} ${rrTuple(r).value}`);

describe("wildcard synthesis (RFC 4592)", () => {
  it("answers a name that does not exist from the wildcard, owned by the name asked, AA set", () => {
    const { response, kind, proof } = ask("host.wild.wild.test");
    expect(kind).toBe("answer");
    expect((response.flags ?? 0) & FLAGS.AA).toBe(FLAGS.AA);
    expect(lines(response.answers)).toEqual(["host.wild.wild.test. A 192.0.2.77"]);
    expect(proof?.synthesized).toEqual([{ name: "host.wild.wild.test", source: "*.wild.wild.test" }]);
  });
  it("matches any number of labels below the closest encloser (§2.1.1)", () => {
    expect(lines(ask("a.b.c.wild.wild.test", "TXT").response.answers)).toEqual(['a.b.c.wild.wild.test. TXT "from the wildcard"']);
  });
  it("a wildcard without the type asked: NODATA (NOERROR, SOA), saying which wildcard matched", () => {
    const { response, kind, proof } = ask("host.wild.wild.test", "MX");
    expect([kind, (response as { rcode?: string }).rcode, response.answers?.length]).toEqual(["nodata", "NOERROR", 0]);
    expect(response.authorities?.map((r) => r.type)).toEqual(["SOA"]);
    expect(proof?.denied).toEqual({ kind: "nodata", name: "host.wild.wild.test", source: "*.wild.wild.test" });
  });
  it("not across a name that exists: x.sub.wild is NXDOMAIN, sub.wild itself a plain answer", () => {
    expect(ask("x.sub.wild.wild.test").kind).toBe("nxdomain");
    expect(lines(ask("sub.wild.wild.test").response.answers)).toEqual(["sub.wild.wild.test. A 192.0.2.1"]);
    expect(ask("sub.wild.wild.test", "TXT").kind).toBe("nodata"); // it exists, so the wildcard's TXT does not apply
  });
  it("not for empty non-terminals, nor below a name with no wildcard", () => {
    expect(ask("ent.wild.test").kind).toBe("nodata");
    expect(ask("x.b.ent.wild.test").kind).toBe("nxdomain");
    expect(ask("nothere.wild.test").kind).toBe("nxdomain");
  });
  it("the wildcard's own name is answered as any owner, and its descendants are not synthesised from it", () => {
    expect(ask("*.wild.wild.test").proof?.synthesized).toEqual([]);
    expect(lines(ask("*.wild.wild.test").response.answers)).toEqual(["*.wild.wild.test. A 192.0.2.77"]);
    // Its closest encloser is *.wild itself, and *.*.wild does not exist (RFC 4592 §2.2.1).
    expect(ask("x.*.wild.wild.test").kind).toBe("nxdomain");
  });
  it("a wildcard CNAME is synthesised and followed inside the zone", () => {
    const { response, kind } = ask("foo.cname.wild.test");
    expect(kind).toBe("cname");
    expect(lines(response.answers)).toEqual(["foo.cname.wild.test. CNAME www.wild.test.", "www.wild.test. A 127.0.0.10"]);
  });
  it("closest encloser, next closer name and source of synthesis, as RFC 4592 §3.3.1 and RFC 5155 §1.3 define them", () => {
    expect(closestEncloser(zone, "a.b.wild.wild.test")).toBe("wild.wild.test");
    expect(closestEncloser(zone, "x.b.ent.wild.test")).toBe("b.ent.wild.test");
    expect(nextCloser("a.b.wild.wild.test", "wild.wild.test")).toBe("b.wild.wild.test");
    expect(nextCloser("com", "")).toBe("com");
    expect(sourceOfSynthesis(zone, "x.b.ent.wild.test")).toBeUndefined();
    expect(sourceOfSynthesis(zone, "sub.wild.wild.test")).toBeUndefined();
  });
});
