import { createHash } from "node:crypto";
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppLayerError } from "../errors";

/**
 * A student's home on the class hub: the released notebooks copied in on the
 * first spawn, new ones added by later releases, and nothing a student has
 * edited ever overwritten. A manifest remembers the hash of what was last
 * copied, so "unedited" is a fact, not a guess from timestamps.
 */

/** Where the manifest lives in a home. */
export const SEED_MANIFEST = join(".applayer", "seeded.json");

/** What one seeding did to each released notebook. */
export interface SeedReport {
  /** New to this home. */
  added: string[];
  /** Untouched by the student since the last seeding, and changed in the release: replaced. */
  updated: string[];
  /** Edited by the student (or not from us): left alone, whatever the release says. */
  kept: string[];
  unchanged: string[];
}

export interface SeedOptions {
  /** The released notebooks (`applayer course release --out`). */
  release: string;
  home: string;
  /** The shared install's node_modules, linked as the home's, so notebooks import "applayer" as in the lessons. */
  modules?: string;
  /** The student's uid and gid, when the hub runs as root and homes belong to students. */
  owner?: { uid: number; gid: number };
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Writes a file whole or not at all: a crash mid-copy leaves the old notebook, never half of one. */
function writeAtomically(path: string, bytes: Buffer): void {
  const tmp = `${path}.seeding-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/**
 * Seeds a home from a release.
 *
 * @example seedHome({ release: "build/hub/release", home: "/home/alice", modules: "/opt/applayer/node_modules" })
 */
export function seedHome(options: SeedOptions): SeedReport {
  if (!existsSync(options.release)) throw new AppLayerError("BAD_ARGUMENT", `no release at ${options.release}: make one with applayer course release --source notebooks --out ${options.release}`);
  const report: SeedReport = { added: [], updated: [], kept: [], unchanged: [] };
  const own = (path: string) => options.owner && chownSync(path, options.owner.uid, options.owner.gid);
  mkdirSync(join(options.home, ".applayer"), { recursive: true });
  own(options.home);
  own(join(options.home, ".applayer"));
  const manifestPath = join(options.home, SEED_MANIFEST);
  const manifest: Record<string, string> = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : {};
  for (const file of readdirSync(options.release).filter((f) => f.endsWith(".ipynb")).sort()) {
    const released = readFileSync(join(options.release, file));
    const dest = join(options.home, file);
    const hash = sha256(released);
    if (!existsSync(dest)) {
      writeAtomically(dest, released);
      report.added.push(file);
    } else {
      const current = sha256(readFileSync(dest));
      if (current === hash) report.unchanged.push(file);
      else if (current === manifest[file]) {
        writeAtomically(dest, released);
        report.updated.push(file);
      } else {
        report.kept.push(file);
        continue; // the student's work: the manifest keeps the hash of what we gave them
      }
    }
    manifest[file] = hash;
    own(dest);
  }
  writeAtomically(manifestPath, Buffer.from(JSON.stringify(manifest, null, 1)));
  own(manifestPath);
  if (options.modules) linkModules(join(options.home, "node_modules"), options.modules);
  return report;
}

/** Points the home's node_modules at the shared install, unless the student made a real one. */
function linkModules(link: string, target: string): void {
  const stat = lstatSync(link, { throwIfNoEntry: false });
  if (stat && !stat.isSymbolicLink()) return;
  if (stat && readlinkSync(link) === target) return;
  if (stat) unlinkSync(link); // a stale link (removing a link leaves what it pointed to)
  symlinkSync(target, link, "dir");
}
