/**
 * Replays every kept fuzzing input: each target's seed corpus (real captures) and
 * the input of every crash or hang the campaign (`npm run fuzz`) found and we
 * fixed. An input that breaks its target's contract again fails here.
 */
import { describe, expect, it } from "vitest";
import { TARGETS, corpusOf } from "../fuzz/targets";

describe("kept fuzzing inputs", () => {
  for (const target of TARGETS) {
    const kept = corpusOf(target.name);
    it(`${target.name}: has a seed corpus`, () => {
      expect(kept.filter((k) => k.file.startsWith("seed-")).length).toBeGreaterThan(0);
    });
    for (const { file, bytes } of kept) {
      it(`${target.name}: ${file} keeps its contract`, async () => {
        await target.check(bytes);
      });
    }
  }
});
