import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * What a student's processes on the class hub may see of the machine: the
 * project's shared install (node_modules, the lib, the kernelspec) and the
 * release, never the source notebooks with their solutions and hidden tests,
 * the git history, the tests, or the hub's secrets. Students run as their own
 * accounts (deploy/hub/classroom.py), so plain file modes do the rest.
 */

/**
 * What of the project every student's server and kernel needs to read: the
 * install, the lib, the kernelspec, and the recorded captures and messages the
 * lessons start from and ask their Wireshark questions of (lib/src/lab/fixtures.ts
 * reads them there). Not the rest of test/fixtures: course/ holds a source
 * notebook with its solutions.
 */
export const SHARED_PATHS = ["node_modules", "lib", ".jupyter", "test/fixtures/dns", "test/fixtures/mail", "test/fixtures/captures"] as const;

/** cgroup v1 controllers the hub caps each student with, mounted under /sys/fs/cgroup (no systemd here). */
export const CGROUP_CONTROLLERS = ["cpu", "memory", "pids"] as const;
export const CGROUP_ROOT = "/sys/fs/cgroup";

/** Removes the others' read, write and search bits (group bits stay: the project's group is root's). */
const closeToOthers = (path: string) => chmodSync(path, statSync(path).mode & 0o7770);
/** Others may pass through, not list or read (to reach the homes and the release below). */
const passOnly = (path: string) => chmodSync(path, (statSync(path).mode & 0o7770) | 0o001);

/**
 * Closes the project to students, except the shared paths, the release and the
 * way down to them and to `state`: folders on the way can be passed through,
 * not listed, and everything else in them is closed.
 *
 * @example closeProject("/opt/applayer", "/opt/applayer/build/hub", "/opt/applayer/build/hub/release")
 */
export function closeProject(root: string, state: string, release: string): void {
  const open = new Set<string>(SHARED_PATHS.map((p) => join(root, p)));
  const onTheWay = new Set<string>();
  for (const target of [...open, state, release]) {
    const rel = relative(root, target);
    if (rel.startsWith("..")) continue;
    let p = root;
    for (const part of rel.split(sep).slice(0, -1)) onTheWay.add((p = join(p, part)));
    if (target === state) onTheWay.add(state);
    else open.add(target);
  }
  const close = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (open.has(path) || lstatSync(path).isSymbolicLink()) continue; // a link's target is not the project's to change
      if (onTheWay.has(path)) {
        passOnly(path);
        close(path);
      } else closeToOthers(path);
    }
  };
  close(root);
  chmodSync(state, 0o711); // the homes are reached through it; its files are the hub's (umask 077)
  chmodSync(join(state, "homes"), 0o711); // each home is 0700, its student's
  chmodSync(release, 0o755);
  for (const f of readdirSync(release)) chmodSync(join(release, f), 0o644);
}

/** The hub's cgroup folder under each controller: one per state folder, so hubs side by side never share one. */
export function hubCgroup(state: string): string {
  return `applayer/${createHash("sha256").update(state).digest("hex").slice(0, 12)}`;
}

/** The processes still in the hub's students' cgroups. */
export function cgroupProcesses(group: string): number[] {
  const dir = join(CGROUP_ROOT, "pids", group);
  if (!existsSync(dir)) return [];
  const students = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  return students.flatMap((s) => readFileSync(join(s, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number));
}

/**
 * After the hub has stopped: kills every process still working in `dir` (the
 * hub's state folder). JupyterHub stopped while it starts its proxy can leave the
 * proxy behind, outside the students' cgroups; it works in the state folder.
 */
export async function sweepWorkingIn(dir: string, timeoutMs = 5_000): Promise<void> {
  const inside = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).map(Number).filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/cwd`).startsWith(dir) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, "utf8"));
    } catch {
      return false; // gone while we looked
    }
  });
  const deadline = Date.now() + timeoutMs;
  for (let left = inside(); left.length && Date.now() < deadline; left = inside()) {
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * After the hub has stopped: kills whatever is left in its students' cgroups
 * (a kernel that outlived its server) and removes the cgroups.
 */
export async function sweepCgroups(group: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let left = cgroupProcesses(group); left.length && Date.now() < deadline; left = cgroupProcesses(group)) {
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const controller of CGROUP_CONTROLLERS) {
    const dir = join(CGROUP_ROOT, controller, group);
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) rmdirSync(join(dir, d.name));
    rmdirSync(dir);
  }
}
