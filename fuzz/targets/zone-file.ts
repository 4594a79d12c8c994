/** The "zone-file" fuzz target. */
import fc from "fast-check";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { inputsFrom } from "../mutate";
import { dnsName, refusesCleanly, Target, text, word } from "./contract";

const zoneLine = fc.oneof(
  fc.tuple(fc.constantFrom("$ORIGIN", "$TTL", "$INCLUDE", "$GENERATE"), word).map(([d, w]) => `${d} ${w}`),
  fc.tuple(fc.oneof(dnsName, fc.constantFrom("@", "", " ", "*")), fc.oneof(fc.constant(""), fc.nat(100000).map(String), fc.constantFrom("1h", "2d", "1w30m", "-1")), fc.constantFrom("", "IN", "CH"),
    fc.constantFrom("A", "AAAA", "NS", "CNAME", "MX", "TXT", "SOA", "PTR", "SRV", "CAA", "DS", "DNSKEY", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "TYPE65534", "BOGUS"),
    fc.array(fc.oneof(word, dnsName, fc.nat(70000).map(String), fc.constantFrom("(", ")", ";", '"quoted text"', '"unterminated', "\\065", "\\.")), { maxLength: 8 }))
    .map(([n, t, c, ty, rd]) => [n, t, c, ty, ...rd].join(" ")),
  fc.constantFrom("; a comment", "(", ")", "\t\tIN A 10.0.0.1", '@ TXT "a" "b" ( "c" )'),
);

export const zoneFile: Target = {
  name: "zone-file",
  what: "master files (RFC 1035 §5): directives, TTLs, parentheses, quoting, every record type the lessons use",
  files: ["dns/wire/zone.ts", "dns/wire/records.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(fc.array(zoneLine, { minLength: 1, maxLength: 12 }), fc.constant("\n"))),
  check(input) {
    refusesCleanly(() => parseZone(input.toString("utf8"), { origin: "umass.edu." }), ["ZONE_SYNTAX", "DNS_NAME"]);
  },
};
