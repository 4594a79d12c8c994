/**
 * Byte-level mutations, as fast-check arbitraries: a base input (a real capture
 * from the seed corpus, or a structured one) changed by one to six edits. Bytes
 * that parsers treat specially (0x00, 0xff, 0x7f/0x80 sign edges, 0xc0 DNS
 * pointers, CR, LF, '.', '{') are written more often than chance would.
 */
import fc from "fast-check";

const INTERESTING = [0x00, 0x01, 0x0a, 0x0d, 0x20, 0x2e, 0x3f, 0x40, 0x7b, 0x7f, 0x80, 0xc0, 0xfe, 0xff];

type Edit =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "cut"; at: number }
  | { op: "delete"; at: number; length: number }
  | { op: "repeat"; at: number; from: number; length: number }
  | { op: "insert"; at: number; bytes: Uint8Array };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(255)) }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant("repeat" as const), at: fc.nat(), from: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function apply(input: Buffer, e: Edit): Buffer {
  if (input.length === 0) return e.op === "insert" ? Buffer.from(e.bytes) : input;
  const at = e.at % input.length;
  switch (e.op) {
    case "flip": {
      const b = Buffer.from(input);
      b[at] ^= 1 << e.bit;
      return b;
    }
    case "set": {
      const b = Buffer.from(input);
      b[at] = e.value;
      return b;
    }
    case "cut":
      return input.subarray(0, at);
    case "delete":
      return Buffer.concat([input.subarray(0, at), input.subarray(at + e.length)]);
    case "repeat": {
      const from = e.from % input.length;
      return Buffer.concat([input.subarray(0, at), input.subarray(from, from + e.length), input.subarray(at)]);
    }
    case "insert":
      return Buffer.concat([input.subarray(0, at), e.bytes, input.subarray(at)]);
  }
}

/** `base` with one to six random edits. */
export const mutated = (base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> =>
  fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 6 })).map(([input, edits]) => edits.reduce(apply, input));

/**
 * A target's inputs: real captures mutated (half), structured inputs as they are
 * (a quarter) and structured inputs mutated (a quarter).
 */
export function inputsFrom(seeds: Buffer[], structured: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const corpus = fc.constantFrom(...seeds);
  return fc.oneof({ weight: 1, arbitrary: corpus }, { weight: 8, arbitrary: mutated(corpus) }, { weight: 5, arbitrary: structured }, { weight: 5, arbitrary: mutated(structured) });
}
