import { readFileSync } from "node:fs";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/** A suite that calls takeHeavySuiteTurn() (test/heavy.ts): it runs many kernels at once, and waits for its turn. */
const isHeavy = (spec: TestSpecification) => readFileSync(spec.moduleId, "utf8").includes("takeHeavySuiteTurn()");

/**
 * Two workers: one runs the heavy suites, one after another (they take turns,
 * test/heavy.ts), while the other runs the light ones in the time the heavy ones
 * spend waiting on kernels, peers and deadlines. The first heavy suite goes
 * first, every light suite next, the other heavy suites last: a worker that
 * picked a heavy suite while another held the turn would sit idle waiting for it.
 */
class HeavyBesideLight extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const heavy = sorted.filter(isHeavy);
    const light = sorted.filter((s) => !isHeavy(s));
    return [...heavy.slice(0, 1), ...light, ...heavy.slice(1)];
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
