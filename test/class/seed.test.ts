/**
 * Seeding a student's home from a release: new notebooks are added, untouched
 * ones follow the release, edited ones are never overwritten, and the shared
 * install is linked so notebooks import "applayer".
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEED_MANIFEST, seedHome } from "../../lib/src/class/seed";
import { CLI, run } from "../helpers";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "applayer-seed-"));
  const release = join(dir, "release");
  const home = join(dir, "home");
  const modules = join(dir, "node_modules");
  mkdirSync(release);
  mkdirSync(modules);
  writeFileSync(join(release, "01-a.ipynb"), "v1 of a");
  writeFileSync(join(release, "02-b.ipynb"), "v1 of b");
  return { release, home, modules };
}

describe("seeding a home", () => {
  it("adds, follows the release where untouched, keeps what the student edited", () => {
    const { release, home, modules } = setup();
    expect(seedHome({ release, home, modules })).toEqual({ added: ["01-a.ipynb", "02-b.ipynb"], updated: [], kept: [], unchanged: [] });
    expect(readlinkSync(join(home, "node_modules"))).toBe(modules);
    writeFileSync(join(home, "02-b.ipynb"), "b, with the student's answers");
    writeFileSync(join(release, "01-a.ipynb"), "v2 of a");
    writeFileSync(join(release, "02-b.ipynb"), "v2 of b");
    writeFileSync(join(release, "03-c.ipynb"), "v1 of c");
    expect(seedHome({ release, home, modules })).toEqual({ added: ["03-c.ipynb"], updated: ["01-a.ipynb"], kept: ["02-b.ipynb"], unchanged: [] });
    expect(readFileSync(join(home, "01-a.ipynb"), "utf8")).toBe("v2 of a");
    expect(readFileSync(join(home, "02-b.ipynb"), "utf8")).toBe("b, with the student's answers");
    // The next seeding still knows b was edited: the manifest holds what we last gave, not what is there.
    expect(seedHome({ release, home, modules })).toEqual({ added: [], updated: [], kept: ["02-b.ipynb"], unchanged: ["01-a.ipynb", "03-c.ipynb"] });
    expect(JSON.parse(readFileSync(join(home, SEED_MANIFEST), "utf8"))["02-b.ipynb"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a deleted notebook comes back; a student's own node_modules folder is left alone, a stale link is replaced", () => {
    const { release, home, modules } = setup();
    seedHome({ release, home, modules });
    rmSync(join(home, "01-a.ipynb"));
    rmSync(join(home, "node_modules"));
    symlinkSync("/nowhere", join(home, "node_modules"));
    expect(seedHome({ release, home, modules }).added).toEqual(["01-a.ipynb"]);
    expect(readlinkSync(join(home, "node_modules"))).toBe(modules);
    rmSync(join(home, "node_modules"));
    mkdirSync(join(home, "node_modules"));
    seedHome({ release, home, modules });
    expect(existsSync(join(home, "node_modules"))).toBe(true);
    expect(() => readlinkSync(join(home, "node_modules"))).toThrow();
  });

  it("applayer course seed: a missing release is refused with what to run; a missing owner is named", async () => {
    const { home } = setup();
    const e = await run(process.execPath, [CLI, "course", "seed", "--release", "/no/such/release", "--home", home]).catch((x: Error) => x.message);
    expect(e).toContain("make one with applayer course release --source notebooks --out /no/such/release");
    const { release } = setup();
    const o = await run(process.execPath, [CLI, "course", "seed", "--release", release, "--home", home, "--owner", "no-such-student-xyz"]).catch((x: Error) => x.message);
    expect(o).toContain("--owner no-such-student-xyz: no such system account");
    expect(await run(process.execPath, [CLI, "course", "seed", "--release", release, "--home", home])).toContain("added 2, updated 0, kept 0 edited by the student, 0 unchanged");
  });
});
