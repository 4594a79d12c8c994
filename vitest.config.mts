import { readFileSync, statSync } from "node:fs";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/** What a heavy suite (one that calls takeHeavySuiteTurn, test/heavy.ts) spends its turn on; undefined for a light one. */
const heavyKind = (spec: TestSpecification) => /takeHeavySuiteTurn\("(computes|waits)"\)/.exec(readFileSync(spec.moduleId, "utf8"))?.[1];

/**
 * Two workers. The heavy suites take turns (test/heavy.ts), so one worker runs
 * them one after another while the other runs the light ones. A heavy suite that
 * mostly waits (a hub starting, a cell meant to time out) leaves a core idle: the
 * light suites are dealt out after those, a share after each, to fill it. The
 * heavy suites that keep both cores busy come last, by themselves. A worker that
 * reaches a heavy suite while another holds the turn waits for it, so each share
 * of light suites should take about as long as the heavy suite before it: with
 * no timings yet (a fresh clone), a file's size stands for its time.
 */
class HeavyBesideLight extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const kinds = new Map(sorted.map((s) => [s, heavyKind(s)]));
    const waits = sorted.filter((s) => kinds.get(s) === "waits");
    const computes = sorted.filter((s) => kinds.get(s) === "computes");
    const light = sorted.filter((s) => !kinds.get(s));
    if (!waits.length) return [...computes.slice(0, 1), ...light, ...computes.slice(1)];
    const size = (s: TestSpecification) => statSync(s.moduleId).size;
    const shares = waits.map((w) => ({ w, weight: size(w), light: [] as TestSpecification[], filled: 0 }));
    // Each light suite, longest first, joins the share least filled for the length of its heavy suite.
    for (const l of light) {
      const share = shares.reduce((a, b) => (b.filled / b.weight < a.filled / a.weight ? b : a));
      share.light.push(l);
      share.filled += size(l);
    }
    return [...shares.flatMap((s) => [s.w, ...s.light]), ...computes];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A temporary folder for the run, removed at its end (test/global-setup.ts).
    globalSetup: ["test/global-setup.ts"],
    // Interop tests start real peers and notebooks start a Jupyter kernel each.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Vitest's default on a 2-core machine is one worker: every suite, one after another.
    maxWorkers: 2,
    sequence: { sequencer: HeavyBesideLight },
  },
});
