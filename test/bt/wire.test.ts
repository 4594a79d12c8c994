import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { WireDecoder, bitfieldToWords, decodeHandshake, describeWire, encodeHandshake, encodeWireMessage, wordsToBitfield, MAX_WIRE_MESSAGE, WireMessage } from "../../lib/src/bt/wire";
import { isAppLayerError } from "../../lib/src/errors";
import { Random } from "../../lib/src/sim/random";

const all: WireMessage[] = [
  { type: "keep-alive" }, { type: "choke" }, { type: "unchoke" }, { type: "interested" }, { type: "not-interested" },
  { type: "have", piece: 7 }, { type: "bitfield", bits: Buffer.from([0xa0]) }, { type: "request", piece: 1, begin: 16384, length: 16384 },
  { type: "piece", piece: 1, begin: 0, block: Buffer.from("data") }, { type: "cancel", piece: 1, begin: 16384, length: 16384 }, { type: "port", port: 6881 },
];

describe("describeWire", () => {
  it.each([
    [{ type: "interested" } as const, "interested"],
    [{ type: "have", piece: 7 } as const, "have piece 7"],
    [{ type: "bitfield", bits: Buffer.from([0b10110000, 0x01]) } as const, "bitfield (4 of 16 bits set)"],
    [{ type: "request", piece: 3, begin: 16384, length: 16384 } as const, "request piece 3 @16384 (16384 B)"],
    [{ type: "cancel", piece: 3, begin: 0, length: 100 } as const, "cancel piece 3 @0 (100 B)"],
    [{ type: "piece", piece: 1, begin: 32768, block: Buffer.alloc(10) } as const, "piece 1 @32768 (10 B)"],
    [{ type: "unknown", id: 20, length: 5 } as const, "unknown message id 20 (5 B)"],
  ])("%j reads %s", (m, text) => expect(describeWire(m)).toBe(text));
});

describe("peer wire codec", () => {
  it("writes the handshake of BEP 3 and reads it back", () => {
    const h = encodeHandshake(Buffer.alloc(20, 1), Buffer.from("-AL0100-abcdefghijkl"));
    expect(h.length).toBe(68);
    expect(h.subarray(0, 20).toString("latin1")).toBe("\x13BitTorrent protocol");
    expect(decodeHandshake(h).peerId.toString()).toBe("-AL0100-abcdefghijkl");
    expect(() => decodeHandshake(Buffer.alloc(68, 0x55))).toThrow(/not a BitTorrent handshake/);
  });
  it("round-trips every message however the bytes are cut", () => {
    const wire = Buffer.concat(all.map(encodeWireMessage));
    for (const cut of [1, 3, 4, 5, 17, 40]) {
      const d = new WireDecoder();
      const got: WireMessage[] = [];
      for (let i = 0; i < wire.length; i += cut) got.push(...d.push(wire.subarray(i, i + cut)));
      expect(got).toEqual(all);
    }
  });
  it("copies a piece's block into the slot its sink gives, and keeps nothing of a chunk once push returns", () => {
    const block = randomBytes(40_000);
    const wire = Buffer.concat([encodeWireMessage({ type: "have", piece: 3 }), encodeWireMessage({ type: "piece", piece: 2, begin: 16384, block }), encodeWireMessage({ type: "bitfield", bits: Buffer.from([0xf0]) })]);
    const slot = Buffer.alloc(40_000);
    const asked: number[][] = [];
    const d = new WireDecoder(MAX_WIRE_MESSAGE, (piece, begin, length) => (asked.push([piece, begin, length]), slot));
    const reused = Buffer.alloc(1000);
    const got: WireMessage[] = [];
    for (let i = 0; i < wire.length; i += reused.length) {
      const n = wire.copy(reused, 0, i, i + reused.length);
      got.push(...d.push(reused.subarray(0, n)));
      reused.fill(0xaa); // as a socket's read buffer is overwritten by the next read
    }
    expect(asked).toEqual([[2, 16384, 40_000]]);
    expect(got).toEqual([{ type: "have", piece: 3 }, { type: "piece", piece: 2, begin: 16384, block }, { type: "bitfield", bits: Buffer.from([0xf0]) }]);
    expect((got[1] as { block: Buffer }).block).toBe(slot);
  });
  it("skips an unknown message without holding it, and refuses a piece message too short for its index and offset at once", () => {
    const unknown = Buffer.concat([Buffer.from([0, 0, 0, 6, 20]), Buffer.alloc(5, 1), encodeWireMessage({ type: "unchoke" })]);
    expect(new WireDecoder().push(unknown)).toEqual([{ type: "unknown", id: 20, length: 5 }, { type: "unchoke" }]);
    expect(() => new WireDecoder().push(Buffer.from([0, 0, 0, 5, 7]))).toThrow(/no room for its index and offset/);
  });
  it("refuses a length prefix over the limit, and fixed messages with the wrong length", () => {
    const over = Buffer.alloc(4);
    over.writeUInt32BE(MAX_WIRE_MESSAGE + 1);
    expect(() => new WireDecoder().push(over)).toThrow(/over the limit/);
    expect(() => new WireDecoder().push(Buffer.from([0, 0, 0, 3, 4, 0, 0]))).toThrow(/must carry 4 bytes/);
    expect(() => new WireDecoder().push(Buffer.from([0, 0, 0, 2, 0, 9]))).toThrow(/must carry 0 bytes/);
    expect(new WireDecoder().push(Buffer.from([0, 0, 0, 3, 20, 1, 2]))).toEqual([{ type: "unknown", id: 20, length: 2 }]);
  });
  it("checks a bitfield's size and spare bits", () => {
    expect(Array.from(bitfieldToWords(Buffer.from([0b10100000]), 3))).toEqual([0b101]);
    expect(() => bitfieldToWords(Buffer.from([0, 0]), 3)).toThrow(/1 bytes, not 2/);
    expect(() => bitfieldToWords(Buffer.from([0b00010000]), 3)).toThrow(/spare bits/);
    const words = new Uint32Array([0xdeadbeef, 0x5]);
    expect(Array.from(bitfieldToWords(wordsToBitfield(words, 35), 35))).toEqual(Array.from(words));
  });
  it("survives fuzzing: random bytes give messages or a PEER_WIRE error, never a crash", () => {
    const random = new Random(5);
    for (let n = 0; n < 5000; n++) {
      const b = Buffer.from(Array.from({ length: random.int(64) }, () => (random.chance(0.5) ? random.int(16) : random.int(256))));
      try {
        new WireDecoder(4096).push(b);
      } catch (e) {
        expect(isAppLayerError(e, "PEER_WIRE")).toBe(true);
      }
    }
  });
});
