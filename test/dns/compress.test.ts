import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compressMessage, MAX_POINTER_OFFSET } from "../../lib/src/dns/wire/compress";
import { DnsMessage, decodeMessage, encodeMessage } from "../../lib/src/dns/wire/codec";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { respond } from "../../lib/src/dns/authoritative/server";
import { isAppLayerError } from "../../lib/src/errors";
import { FIXTURES, fixtureZone } from "./fixtures";

const decoded = (b: Buffer) => JSON.parse(JSON.stringify(decodeMessage(b).message));

const soaReply: DnsMessage = {
  id: 7, type: "response", flags: 0x8400,
  questions: [{ name: "www.cs.umass.edu", type: "CNAME", class: "IN" }],
  answers: [
    { name: "www.cs.umass.edu", type: "CNAME", ttl: 60, class: "IN", data: "gaia.cs.umass.edu" },
    { name: "gaia.cs.umass.edu", type: "A", ttl: 60, class: "IN", data: "128.119.245.12" },
    { name: "12.245.119.128.in-addr.arpa", type: "PTR", ttl: 60, class: "IN", data: "gaia.cs.umass.edu" },
  ],
  authorities: [
    { name: "cs.umass.edu", type: "SOA", ttl: 60, class: "IN", data: { mname: "dns.cs.umass.edu", rname: "hostmaster.cs.umass.edu", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } },
    { name: "cs.umass.edu", type: "NS", ttl: 60, class: "IN", data: "dns.cs.umass.edu" },
  ],
  additionals: [{ name: "dns.cs.umass.edu", type: "A", ttl: 60, class: "IN", data: "128.119.240.1" }],
} as DnsMessage;

describe("name compression (RFC 1035 §4.1.4)", () => {
  it("our server's reply to dig's MX query is Knot's captured reply, byte for byte, but for the EDNS payload size it offers", () => {
    const query = readFileSync(join(FIXTURES, "dig-query-cs-umass-edu-mx.bin"));
    const knot = readFileSync(join(FIXTURES, "knot-reply-cs-umass-edu-mx.bin"));
    const ours = respond(new Authority([fixtureZone("umass.edu.zone")]), query, "udp").reply!;
    expect(ours.length).toBe(knot.length); // 115, where the names written in full took 191
    expect(encodeMessage(decodeMessage(ours).message).length).toBe(191);
    const payloadSize = ours.length - 8; // the OPT record (root name, TYPE, CLASS, TTL, RDLENGTH): its CLASS is the UDP payload size
    expect(Buffer.concat([ours.subarray(0, payloadSize), ours.subarray(payloadSize + 2)])).toEqual(Buffer.concat([knot.subarray(0, payloadSize), knot.subarray(payloadSize + 2)]));
  });

  it("keeps every name, and compresses owners, the question and the names inside CNAME, PTR, SOA and NS data", () => {
    const full = encodeMessage(soaReply);
    const small = compressMessage(full);
    expect(decoded(small)).toEqual(decoded(full));
    expect(small.length).toBeLessThan(full.length - 60);
    // The CNAME's owner is the question's name: a pointer to offset 12.
    const firstAnswer = 12 + "www.cs.umass.edu".length + 2 + 4;
    expect(small.readUInt16BE(firstAnswer)).toBe(0xc000 | 12);
  });

  it("copies the RDATA of newer types (an RRSIG's signer name) as it is: their receivers need not follow pointers (RFC 3597 §4)", () => {
    const rrsig = { name: "umass.edu", type: "RRSIG", ttl: 60, class: "IN", data: { typeCovered: "A", algorithm: 13, labels: 2, originalTTL: 60, expiration: 2, inception: 1, keyTag: 9, signersName: "umass.edu", signature: Buffer.alloc(64, 1) } };
    const full = encodeMessage({ id: 1, type: "response", flags: 0x8400, questions: [{ name: "umass.edu", type: "A", class: "IN" }], answers: [rrsig as never] } as DnsMessage);
    const small = compressMessage(full);
    expect(decoded(small)).toEqual(decoded(full));
    expect(small.length).toBe(full.length - 9); // only the owner ("umass.edu", 11 bytes) became a pointer
    expect(small.includes(Buffer.from("\x05umass\x03edu\x00", "latin1"), 30)).toBe(true); // the signer, in full
  });

  it("points only into the first 16 KiB, so a long TCP reply still decodes to the same names", () => {
    const answers = Array.from({ length: 1500 }, (_, i) => ({ name: `host${i}.cs.umass.edu`, type: "CNAME", ttl: 60, class: "IN", data: `target${i % 7}.cs.umass.edu` }));
    const full = encodeMessage({ id: 1, type: "response", flags: 0x8400, questions: [{ name: "cs.umass.edu", type: "ANY", class: "IN" }], answers } as unknown as DnsMessage);
    const small = compressMessage(full);
    expect(small.length).toBeGreaterThan(2 * MAX_POINTER_OFFSET);
    // A pointer to a name past 16 KiB would lose its top bits and name the wrong bytes.
    expect(decoded(small)).toEqual(decoded(full));
  });

  it("refuses bytes that are not a whole message with DNS_FORMAT", () => {
    const full = encodeMessage(soaReply);
    for (const bad of [full.subarray(0, 11), full.subarray(0, 40), Buffer.concat([full, Buffer.from([0])])]) {
      let code = "";
      try {
        compressMessage(bad);
      } catch (e) {
        code = isAppLayerError(e) ? e.code : "other";
      }
      expect(code).toBe("DNS_FORMAT");
    }
  });
});
