/**
 * Replays every kept fuzzing input: each target's seed corpus (real captures) and
 * the input of every crash or hang the campaign (`npm run fuzz`) found and we
 * fixed. An input that breaks its target's contract again fails here.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, TARGETS, corpusOf } from "../fuzz/targets";

// The campaign reports branch coverage over each target's `files`; c8 passes over a path that names nothing,
// so a file moved or renamed in lib/src would drop out of the report without a word.
describe("fuzz targets", () => {
  for (const target of TARGETS) {
    it(`${target.name}: every file it names is in lib/src`, () => {
      expect(target.files.length).toBeGreaterThan(0);
      expect(target.files.filter((f) => !existsSync(join(ROOT, "lib", "src", f)))).toEqual([]);
    });
  }
  it("names each target once", () => {
    expect(new Set(TARGETS.map((t) => t.name)).size).toBe(TARGETS.length);
  });
});

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
