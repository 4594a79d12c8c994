/** The "dnssec-records" fuzz target. */
import fc from "fast-check";
import * as dnsPacket from "dns-packet";
import { intake } from "../../lib/src/dns/transport/endpoint";
import { malformedDnssec } from "../../lib/src/dns/dnssec/wellformed";
import { parseNsec3param } from "../../lib/src/dns/wire/nsec3-rdata";
import { inputsFrom } from "../mutate";
import { dnsName, refusesCleanly, Target } from "./contract";
import { messageArb } from "./dns-message";

const dnssecRdata = fc.oneof(
  fc.record({ type: fc.constant("DNSKEY"), name: dnsName, ttl: fc.nat(), data: fc.record({ flags: fc.constantFrom(256, 257, 0, 1), algorithm: fc.constantFrom(8, 13, 15, 5, 0), key: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }) }),
  fc.record({ type: fc.constant("RRSIG"), name: dnsName, ttl: fc.nat(), data: fc.record({ typeCovered: fc.constantFrom("A", "SOA", "DNSKEY"), algorithm: fc.constantFrom(8, 13, 15), labels: fc.nat(255), originalTTL: fc.nat(), expiration: fc.nat(), inception: fc.nat(), keyTag: fc.nat(65535), signersName: dnsName, signature: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }) }),
  fc.record({ type: fc.constant("DS"), name: dnsName, ttl: fc.nat(), data: fc.record({ keyTag: fc.nat(65535), algorithm: fc.constantFrom(8, 13, 15), digestType: fc.constantFrom(1, 2, 4, 9), digest: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }) }),
  fc.record({ type: fc.constant("NSEC"), name: dnsName, ttl: fc.nat(), data: fc.record({ nextDomain: dnsName, rrtypes: fc.array(fc.constantFrom("A", "NS", "SOA", "MX", "TXT", "AAAA", "RRSIG", "NSEC", "DNSKEY"), { maxLength: 6 }) }) }),
  fc.record({ type: fc.constant("NSEC3"), name: dnsName, ttl: fc.nat(), data: fc.record({ algorithm: fc.constantFrom(1, 2), flags: fc.nat(255), iterations: fc.oneof(fc.nat(200), fc.nat(65535)), salt: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)), nextDomain: fc.uint8Array({ minLength: 0, maxLength: 32 }).map((b) => Buffer.from(b)), rrtypes: fc.array(fc.constantFrom("A", "NS", "SOA", "RRSIG", "DNSKEY", "NSEC3PARAM"), { maxLength: 5 }) }) }),
  fc.record({ type: fc.constant("NSEC3PARAM" as never), name: dnsName, ttl: fc.nat(), data: fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => Buffer.from(b)) }),
) as unknown as fc.Arbitrary<dnsPacket.Answer>;

export const dnssecRecords: Target = {
  name: "dnssec-records",
  what: "DNSSEC records in messages (RFC 4034, RFC 5155): DNSKEY, RRSIG, DS, NSEC, NSEC3, NSEC3PARAM, and the FORMERR checks",
  files: ["dns/dnssec/wellformed.ts", "dns/wire/nsec3-rdata.ts", "dns/transport/endpoint.ts"],
  inputs: (seeds) => inputsFrom(seeds, messageArb(dnssecRdata)),
  check(input) {
    const got = refusesCleanly(() => intake(input), []);
    if (got && "query" in got) {
      for (const r of [...(got.query.answers ?? []), ...(got.query.authorities ?? []), ...(got.query.additionals ?? [])]) {
        refusesCleanly(() => malformedDnssec(r), []);
        if ((r.type as string) === "NSEC3PARAM" && Buffer.isBuffer((r as { data?: unknown }).data)) refusesCleanly(() => parseNsec3param((r as { data: Buffer }).data), ["DNS_FORMAT", "DNSSEC"]);
      }
    }
  },
};
