/**
 * A seeded fuzzing run: real messages and zones, mutated thousands of ways. The
 * decoders may refuse input only with an AppLayerError carrying a stable code;
 * the server edge and the resolver's state machine must never throw at all.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../../lib/src/sim/random";
import { decodeMessage, DnsRecord, encodeMessage } from "../../lib/src/dns/wire/codec";
import { parseZone, parseRecords } from "../../lib/src/dns/wire/zone";
import { decodeUpdate } from "../../lib/src/dns/authoritative/update";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { respond } from "../../lib/src/dns/authoritative/server";
import { Resolution } from "../../lib/src/dns/resolver/resolution";
import { DnsCache } from "../../lib/src/dns/resolver/cache";
import { VirtualClock } from "../../lib/src/sim/clock";
import { isAppLayerError } from "../../lib/src/errors";
import { FIXTURES, fixtureZone } from "./fixtures";
import { Dnskey, generateZoneKey } from "../../lib/src/dns/dnssec/keys";
import { signZone } from "../../lib/src/dns/dnssec/sign";
import { validateRrset } from "../../lib/src/dns/dnssec/validate";
import { formatRecord } from "../../lib/src/dns/wire/records";

const ROUNDS = 20_000;
const seeds = ["dig-query-cs-umass-edu-mx.bin", "knot-reply-cs-umass-edu-mx.bin", "nsupdate-delete-add.bin"].map((f) => readFileSync(join(FIXTURES, f)));

/** One random mutation: flip bits, overwrite, cut, duplicate or insert bytes. */
function mutate(input: Buffer, rng: Random): Buffer {
  const b = Buffer.from(input);
  switch (rng.int(5)) {
    case 0:
      for (let i = 0; i < 1 + rng.int(4); i++) b[rng.int(b.length)] ^= 1 << rng.int(8);
      return b;
    case 1:
      for (let i = 0; i < 1 + rng.int(4); i++) b[rng.int(b.length)] = rng.int(256);
      return b;
    case 2:
      return b.subarray(0, rng.int(b.length));
    case 3: {
      const at = rng.int(b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(rng.int(b.length)), b.subarray(at)]);
    }
    default: {
      const at = rng.int(b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + rng.int(8) }, () => rng.int(256))), b.subarray(at)]);
    }
  }
}

/** Runs f; a thrown error must be an AppLayerError with one of `codes`. */
function refusesCleanly(f: () => unknown, codes: string[]): void {
  try {
    f();
  } catch (e) {
    if (!isAppLayerError(e) || !codes.includes(e.code)) throw new Error(`unexpected ${(e as Error).name}: ${(e as Error).message}`);
  }
}

describe("fuzzing", () => {
  it(`decodeMessage and decodeUpdate refuse ${ROUNDS} mutated messages only with DNS_FORMAT`, () => {
    const rng = new Random(2024);
    for (let i = 0; i < ROUNDS; i++) {
      const input = mutate(seeds[i % seeds.length], rng);
      refusesCleanly(() => decodeMessage(input), ["DNS_FORMAT"]);
      refusesCleanly(() => decodeUpdate(input), ["DNS_FORMAT"]);
    }
  });

  it(`the server edge answers or drops ${ROUNDS} mutated messages without ever throwing`, () => {
    const auth = new Authority([fixtureZone("umass.edu.zone")]);
    const rng = new Random(7);
    let answered = 0;
    for (let i = 0; i < ROUNDS; i++) {
      // Mutants of dig's query (mutants of a reply would rightly be dropped: QR is set).
      const out = respond(auth, mutate(seeds[0], rng), i % 3 ? "udp" : "tcp", undefined, "127.0.0.1", { allowUpdate: true });
      if (out.reply) {
        answered++;
        expect(out.reply.length).toBeGreaterThanOrEqual(12);
      }
    }
    expect(answered).toBeGreaterThan(ROUNDS * 0.8); // most mutants still get a reply, often FORMERR
  });

  it("the resolver's state machine survives any decodable reply", () => {
    const rng = new Random(99);
    const hints = parseRecords(readFileSync(join(FIXTURES, "root.hints"), "utf8"));
    for (let i = 0; i < 5_000; i++) {
      let reply;
      try {
        reply = decodeMessage(mutate(seeds[1], rng)).message;
      } catch {
        continue;
      }
      const r = new Resolution({ name: "cs.umass.edu", type: "MX", class: "IN" }, new DnsCache(new VirtualClock()), hints);
      for (let step = r.next(), n = 0; step.kind === "query" && n < 40; step = r.next(), n++) r.receive(reply);
    }
  });

  it(`parseZone refuses ${ROUNDS / 4} mutated zones only with ZONE_SYNTAX or DNS_NAME`, () => {
    const text = readFileSync(join(FIXTURES, "umass.edu.zone"));
    const rng = new Random(5);
    for (let i = 0; i < ROUNDS / 4; i++) {
      const input = mutate(text, rng).toString("latin1");
      refusesCleanly(() => parseZone(input, { origin: "umass.edu." }), ["ZONE_SYNTAX", "DNS_NAME"]);
    }
  });

  describe("DNSSEC", () => {
    const ZONE = `$ORIGIN example.test.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 604800 300\n@ NS ns\nns A 127.0.0.9\nwww A 127.0.0.10\n`;
    const ksk = generateZoneKey(13, { ksk: true });
    const signed = signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk });
    const signedText = Buffer.from(signed.map(formatRecord).join("\n"), "latin1");
    const authority = new Authority([parseZone(signedText.toString("latin1"))]);
    const reply = encodeMessage(authority.answer({ id: 1, type: "query", flags: 0, questions: [{ name: "www.example.test", type: "A" }], additionals: [{ name: ".", type: "OPT", udpPayloadSize: 4096, flags: 0x8000, options: [] } as never] } as never).response);

    const signed3Text = Buffer.from(signZone(parseZone(ZONE).records(), { origin: "example.test.", ksk, nsec3: { iterations: 1, salt: Buffer.from("beef", "hex") } }).map(formatRecord).join("\n"), "latin1");
    it.each([["NSEC", signedText], ["NSEC3, NSEC3PARAM", signed3Text]])(`parseZone refuses ${ROUNDS / 8} mutated signed zones (DNSKEY, RRSIG, %s) only with ZONE_SYNTAX or DNS_NAME`, (_chain, text) => {
      const rng = new Random(11);
      for (let i = 0; i < ROUNDS / 8; i++) refusesCleanly(() => parseZone(mutate(text, rng).toString("latin1"), { origin: "example.test." }), ["ZONE_SYNTAX", "DNS_NAME"]);
    });

    it(`the validator gives ${ROUNDS / 4} mutated signed replies a verdict, never an exception, and never "secure" for changed bytes`, () => {
      const rng = new Random(12);
      let secure = 0;
      for (let i = 0; i < ROUNDS / 4; i++) {
        const bytes = mutate(reply, rng);
        let message;
        try {
          message = decodeMessage(bytes).message;
        } catch (e) {
          if (!isAppLayerError(e, "DNS_FORMAT")) throw e;
          continue;
        }
        const answers = (message.answers ?? []) as DnsRecord[];
        const rrset = answers.filter((r) => r.type === "A");
        const sigs = answers.filter((r) => r.type === "RRSIG");
        if (!rrset.length) continue;
        const keys = signed.filter((r) => r.type === "DNSKEY").map((r) => (r as unknown as { data: Dnskey }).data);
        const v = validateRrset(rrset, sigs, keys);
        expect(["secure", "insecure", "bogus"]).toContain(v.status);
        if (v.status !== "secure") continue;
        // Secure only if what was signed is unchanged: the owner (in any letter case) and the address. A mutation
        // of the header, the TTL (the RRSIG carries the original) or the case of a name leaves the signature good.
        secure++;
        expect(rrset.map((r) => [r.name.toLowerCase(), (r as unknown as { data: string }).data])).toEqual([["www.example.test", "127.0.0.10"]]);
      }
      expect(secure).toBeGreaterThan(0);
    });
  });
});
