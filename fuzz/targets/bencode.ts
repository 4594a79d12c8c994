/** The "bencode" fuzz target. */
import fc from "fast-check";
import { decodeBencode, encodeBencode } from "../../lib/src/bt/bencode";
import { inputsFrom } from "../mutate";
import { expect, refusesCleanly, Target } from "./contract";

type B = number | string | B[] | { [k: string]: B };
const bvalue: fc.Arbitrary<B> = fc.letrec<{ v: B }>((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.integer(), fc.string({ maxLength: 20 }), fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 4 })),
})).v;
/** Any bencoded value, nested a little. */
export const bencodeArb = bvalue.map((v) => encodeBencode(v));

export const bencode: Target = {
  name: "bencode",
  what: "bencode (BEP 3): integers, strings, lists, dictionaries, nesting limits; decode then encode is stable",
  files: ["bt/bencode.ts"],
  inputs: (seeds) => inputsFrom(seeds, bencodeArb),
  check(input) {
    const v = refusesCleanly(() => decodeBencode(input), ["BENCODE"]);
    if (v === undefined) return;
    const again = encodeBencode(v);
    expect(encodeBencode(decodeBencode(again)).equals(again), "decode(encode(v)) does not encode to the same bytes");
  },
};
