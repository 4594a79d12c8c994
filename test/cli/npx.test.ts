/**
 * `npx applayer --help` works on a fresh clone after the set-up both README
 * commands run (scripts/setup.sh). It once printed "applayer: not found": npm ci
 * links a workspace's bin only if the file exists, and lib/dist does not exist
 * yet when npm ci runs. This clones the committed HEAD, as CI and a new user do.
 */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, run } from "../helpers";

describe("a fresh clone", () => {
  it("runs `npx applayer --help` after the set-up", { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-clone-"));
    try {
      execFileSync("git", ["clone", "--quiet", ROOT, dir]);
      // Before the set-up the command exists but says what to do, rather than "not found".
      await run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], "", { timeoutMs: 240_000, cwd: dir });
      const early = await run("npx", ["--no-install", "applayer", "--help"], "", { cwd: dir }).catch((e: Error) => e.message);
      expect(early).toContain("the lib is not built yet");
      await run("bash", ["scripts/setup.sh"], "", { timeoutMs: 240_000, cwd: dir });
      const help = await run("npx", ["--no-install", "applayer", "--help"], "", { cwd: dir });
      expect(help).toMatch(/^usage: applayer <command>/);
      for (const c of ["udp-upper", "mail-server", "dns-server", "tracker"]) expect(help).toContain(`  ${c} `);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
