/** The "peer-wire" fuzz target. */
import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { WireDecoder, WireMessage, bitfieldToWords, decodeHandshake, encodeWireMessage, encodeHandshake } from "../../lib/src/bt/wire";
import { inputsFrom } from "../mutate";
import { chunks, expect, refusesCleanly, Target } from "./contract";

const wireMessage = fc.oneof(
  fc.constantFrom("choke", "unchoke", "interested", "not-interested", "keep-alive").map((type) => ({ type }) as never),
  fc.nat().map((piece) => ({ type: "have", piece }) as never),
  fc.uint8Array({ maxLength: 16 }).map((b) => ({ type: "bitfield", bits: Buffer.from(b) }) as never),
  fc.record({ type: fc.constantFrom("request", "cancel"), piece: fc.nat(), begin: fc.nat(), length: fc.nat(1 << 18) }) as fc.Arbitrary<never>,
  fc.record({ type: fc.constant("piece"), piece: fc.nat(), begin: fc.nat(), block: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }) as fc.Arbitrary<never>,
  fc.nat(65535).map((port) => ({ type: "port", port }) as never),
);
const wireArb = fc.tuple(fc.boolean(), fc.array(wireMessage, { maxLength: 10 })).map(([hs, ms]) =>
  Buffer.concat([...(hs ? [encodeHandshake(Buffer.alloc(20, 1), Buffer.alloc(20, 2))] : []), ...ms.map((m) => encodeWireMessage(m))]));

export const peerWire: Target = {
  name: "peer-wire",
  what: "the peer wire protocol (BEP 3): the handshake, length-prefixed messages fed in any cut, bitfields",
  files: ["bt/wire.ts"],
  inputs: (seeds) => inputsFrom(seeds, wireArb),
  check(input) {
    let rest = input;
    if (input.length >= 68 && input[0] === 19) {
      refusesCleanly(() => decodeHandshake(input.subarray(0, 68)), ["PEER_WIRE"]);
      rest = input.subarray(68);
    }
    // A second decoder is fed the same stream through one reused read buffer, overwritten after each push, and its
    // sink gives a slot for every other block (and a wrong-sized one, to be ignored, for the rest): it must read the
    // same messages, refuse at the same point, and keep nothing of the chunks it was given.
    const decoder = new WireDecoder(4096);
    const sunk = new WireDecoder(4096, (_piece, begin, length) => Buffer.alloc(begin % 2 === 0 ? length : length + 1));
    const reused = Buffer.alloc(97);
    const got: WireMessage[] = [];
    const sunkGot: WireMessage[] = [];
    for (const chunk of chunks(rest)) {
      const messages = refusesCleanly(() => decoder.push(chunk), ["PEER_WIRE"]);
      chunk.copy(reused);
      const sunkMessages = refusesCleanly(() => sunk.push(reused.subarray(0, chunk.length)), ["PEER_WIRE"]);
      reused.fill(0xa5);
      expect(!messages === !sunkMessages, "a decoder with a sink refused where the plain one did not (or the other way)");
      if (!messages || !sunkMessages) return; // the connection would be dropped
      got.push(...messages);
      sunkGot.push(...sunkMessages);
      for (const m of messages) if (m.type === "bitfield") refusesCleanly(() => bitfieldToWords(m.bits, 37), ["PEER_WIRE"]);
    }
    expect(isDeepStrictEqual(got, sunkGot), "a decoder with a sink, reading through a reused buffer, read other messages");
  },
};
