/** The "dns-message" fuzz target. */
import fc from "fast-check";
import * as dnsPacket from "dns-packet";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeMessage } from "../../lib/src/dns/wire/codec";
import { compressMessage } from "../../lib/src/dns/wire/compress";
import { decodeUpdate } from "../../lib/src/dns/authoritative/update";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { respond } from "../../lib/src/dns/authoritative/server";
import { PacketCache } from "../../lib/src/dns/authoritative/packet-cache";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { inputsFrom } from "../mutate";
import { dnsName, expect, refusesCleanly, ROOT, Target } from "./contract";

const recordArb: fc.Arbitrary<dnsPacket.Answer> = fc.oneof(
  fc.record({ type: fc.constant("A" as const), name: dnsName, ttl: fc.nat(), data: fc.ipV4() }),
  fc.record({ type: fc.constant("AAAA" as const), name: dnsName, ttl: fc.nat(), data: fc.constantFrom("::1", "2001:db8::1") }),
  fc.record({ type: fc.constantFrom("NS" as const, "CNAME" as const, "PTR" as const), name: dnsName, ttl: fc.nat(), data: dnsName }),
  fc.record({ type: fc.constant("MX" as const), name: dnsName, ttl: fc.nat(), data: fc.record({ preference: fc.nat(65535), exchange: dnsName }) }),
  fc.record({ type: fc.constant("TXT" as const), name: dnsName, ttl: fc.nat(), data: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant("SOA" as const), name: dnsName, ttl: fc.nat(), data: fc.record({ mname: dnsName, rname: dnsName, serial: fc.nat(), refresh: fc.nat(), retry: fc.nat(), expire: fc.nat(), minimum: fc.nat() }) }),
) as fc.Arbitrary<dnsPacket.Answer>;
const optArb = fc.record({ name: fc.constant("."), type: fc.constant("OPT"), udpPayloadSize: fc.oneof(fc.constant(1232), fc.nat(65535)), flags: fc.constantFrom(0, 0x8000),
  options: fc.array(fc.oneof(fc.record({ code: fc.constant(10), data: fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)) }), fc.record({ code: fc.nat(65535), data: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) })), { maxLength: 2 }) }) as unknown as fc.Arbitrary<dnsPacket.Answer>;
/** DNS messages, as dns-packet encodes them, with records drawn from `records`. */
export const messageArb = (records: fc.Arbitrary<dnsPacket.Answer>) =>
  fc.record({
    id: fc.nat(65535),
    type: fc.constant("query" as const),
    flags: fc.oneof(fc.constantFrom(0, 0x0100, 0x0110, 0x2800, 0x7800), fc.nat(0x7fff)),
    questions: fc.array(fc.record({ name: dnsName, type: fc.constantFrom("A", "AAAA", "MX", "NS", "SOA", "TXT", "ANY", "AXFR", "DNSKEY", "DS", "NSEC3PARAM", "CNAME") as fc.Arbitrary<dnsPacket.RecordType>, class: fc.constantFrom("IN", "CH", "ANY") as fc.Arbitrary<dnsPacket.RecordClass> }), { minLength: 0, maxLength: 2 }),
    answers: fc.array(records, { maxLength: 3 }),
    authorities: fc.array(records, { maxLength: 2 }),
    additionals: fc.oneof(fc.constant([]), fc.tuple(optArb).map((o) => [...o])),
  }).map((m) => {
    try {
      return dnsPacket.encode(m as dnsPacket.Packet);
    } catch {
      return Buffer.alloc(12); // a combination dns-packet will not encode: a bare header
    }
  });

let authority: Authority | undefined;
/** Shared by all inputs, as a server's is: a repeated question is answered from it. */
const packetCache = new PacketCache(10_000);
const umass = () => (authority ??= new Authority([parseZone(readFileSync(join(ROOT, "test", "fixtures", "dns", "umass.edu.zone"), "utf8"), { origin: "umass.edu." })]));

export const dnsMessage: Target = {
  name: "dns-message",
  what: "DNS message decoding (RFC 1035 §4), name compression, and the authoritative server's edge: decode, answer, encode, truncate",
  files: ["dns/wire/codec.ts", "dns/wire/compress.ts", "dns/transport/endpoint.ts", "dns/authoritative/server.ts", "dns/authoritative/authority.ts", "dns/authoritative/packet-cache.ts", "dns/authoritative/update.ts", "dns/transport/cookie.ts"],
  inputs: (seeds) => inputsFrom(seeds, messageArb(recordArb)),
  check(input) {
    const decoded = refusesCleanly(() => decodeMessage(input), ["DNS_FORMAT"]);
    refusesCleanly(() => decodeUpdate(input), ["DNS_FORMAT"]);
    // Compression keeps every name: the compressed message decodes to what the original did.
    const compressed = refusesCleanly(() => compressMessage(input), ["DNS_FORMAT"]);
    if (decoded && compressed) expect(JSON.stringify(decodeMessage(compressed).message) === JSON.stringify(decoded.message), "the compressed message decodes differently");
    for (const transport of ["udp", "tcp"] as const) {
      const out = refusesCleanly(() => respond(umass(), input, transport, undefined, "127.0.0.1", { allowUpdate: false, cache: packetCache }), []);
      if (!out?.reply) continue;
      expect(out.reply.length >= 12, `a ${out.reply.length}-byte reply is shorter than a header`);
      expect(out.reply[0] === input[0] && out.reply[1] === input[1], "the reply's id is not the query's");
      expect((out.reply[2] & 0x80) !== 0, "the reply does not have QR set");
      if (transport === "udp") expect(out.reply.length <= 65535, "a UDP reply over 64 KiB");
    }
  },
};
