import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = new Set<string>();

/**
 * A fresh folder for a lesson's files (a mail store, a file to share), removed
 * when the kernel exits. Lessons run again and again, in a class, in the tests
 * and for every lecture build: each run's folders stayed in the temporary folder.
 * `parent` puts it elsewhere (it must exist).
 *
 * @example const dir = scratchDir("lesson42"); // /tmp/lesson42-XXXXXX, gone when the kernel is
 */
export function scratchDir(prefix: string, parent = tmpdir()): string {
  if (!made.size) process.once("exit", () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dir = mkdtempSync(join(parent, `${prefix}-`));
  made.add(dir);
  return dir;
}

/**
 * Runs `work` in a fresh temporary folder, removed when it ends however it ends:
 * scratchDir's scoped twin, for a build step rather than a kernel's lifetime.
 *
 * @example await withTempDir("applayer-public", async (dir) => build(dir));
 */
export async function withTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
