/**
 * One temporary folder per test run. Every test's mkdtemp and every process the
 * tests start (kernels, servers, Jupyter, Chromium) write under it, through
 * TMPDIR, and it is removed when the run ends. A run used to leave some 200
 * folders and 100 MB in /tmp, on the machine whose CI runs it again and again.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "applayer-test-"));
  // Peers that drop to their own user (Dovecot's auth and mail processes, named) must pass through it to the files a
  // test gives them, as they pass through /tmp: search, but not list (mkdtemp made it 0700).
  chmodSync(dir, 0o711);
  process.env.TMPDIR = dir; // set before the test workers start: they, and what they start, inherit it
  return () => rmSync(dir, { recursive: true, force: true });
}
