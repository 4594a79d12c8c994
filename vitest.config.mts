import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A temporary folder for the run, removed at its end (test/global-setup.ts).
    globalSetup: ["test/global-setup.ts"],
    // Interop tests start real peers and notebooks start a Jupyter kernel each.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
