import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { AppLayerError } from "../errors";

/**
 * The grading sandbox: every submission's kernel runs in a bubblewrap sandbox of
 * its own (Debian's `bwrap`, unprivileged namespaces), so nothing a student's
 * code does can reach the grader, the instructor's files or a classmate.
 *
 * - **its own uid**: when the grader is root, the sandbox runs as a fresh
 *   unprivileged uid (setpriv), never root; inside, it is uid 1000;
 * - **its own mount view**: a new root holding /usr and /etc read-only, the
 *   project's node_modules, lib and the lessons' fixtures read-only under
 *   /applayer, its own work folder (the kernel's connection file and sockets)
 *   and a size-capped /tmp. Never the source notebooks, the grader's output,
 *   other submissions or the grader's /proc. Paths are bind
 *   mounts staged by root in a private mount namespace, so the project may sit
 *   under a folder the sandbox's uid could not walk (/root, a 0750 test/);
 * - **its own network** (its own loopback: the lessons' 127.53.x servers work,
 *   nothing outside can be reached), **pid, IPC and UTS namespaces**: nothing
 *   it starts outlives it (`--die-with-parent`; pid 1 of its namespace is
 *   bwrap's reaper), nothing outside is visible;
 * - **caps**: memory, processes and CPU through cgroup v1 (when the grader is
 *   root), CPU seconds (RLIMIT_CPU), a /tmp size, a work folder size (a tmpfs,
 *   when root); wall-clock time is the grader's.
 *
 * The kernel talks to the grader over ZeroMQ `ipc://` sockets in the work
 * folder: the only door out, and it carries data, never a verdict.
 */

/** Where the project's pieces appear inside the sandbox. */
export const SANDBOX_PROJECT = "/applayer";
/** The sandbox's work folder (its cwd and HOME), rw, inside. */
export const SANDBOX_WORK = `${SANDBOX_PROJECT}/work`;

/** The Node binary the grader runs on, inside. */
export const SANDBOX_NODE = `${SANDBOX_PROJECT}/bin/node`;

/** The sandbox's caps; each a named default. */
export const SANDBOX_LIMITS = {
  /** Processes and threads in one sandbox (a tslab kernel uses ~20; a lesson's servers and peers fit well under). */
  pids: 512,
  /** The sandbox's /tmp (a tmpfs, counted in its memory): a lesson's mail stores and swarm files fit. */
  tmpMb: 512,
  /** The work folder, on the grader's disk the one place the sandbox can write: a tmpfs of this size when the grader is root. */
  workMb: 16,
  /** CPU the sandbox may use at once, in cores (cgroup cpu quota, when the grader is root). */
  cpus: 1,
  /** Memory allowed beyond the kernel's V8 heap cap: code, buffers, native memory, /tmp. */
  memoryHeadroomMb: 768,
  /** Unprivileged uids the sandboxes take when the grader is root: a random one of this range each. */
  uidBase: 200_000,
  uidRange: 100_000,
} as const;

/** The project's folders bound read-only into the sandbox (relative to the project root). */
const PROJECT_BINDS = ["node_modules", "lib"];

/** Who the sandbox's uid and gid 1000 are, by name: a peer that looks its user up (Dovecot does) finds one on any machine. */
export const SANDBOX_USER = "student";

/**
 * The sandbox's /etc/passwd and /etc/group: the machine's, with uid and gid
 * 1000 named {@link SANDBOX_USER} whoever holds them outside. bwrap copies them
 * from pipes into the sandbox (`--ro-bind-data`), so they are never a file on
 * the grader's disk: nothing to remove, nothing another user could write first.
 */
function sandboxIdentity(): { passwd: string; group: string } {
  const others = (file: string, id: string) => readFileSync(file, "utf8").split("\n").filter((l) => l && l.split(":")[2] !== id && l.split(":")[0] !== SANDBOX_USER);
  return {
    passwd: [...others("/etc/passwd", "1000"), `${SANDBOX_USER}:x:1000:1000:a graded submission:${SANDBOX_WORK}:/usr/sbin/nologin`, ""].join("\n"),
    group: [...others("/etc/group", "1000"), `${SANDBOX_USER}:x:1000:`, ""].join("\n"),
  };
}
/** The file descriptors of the sandbox's starter that carry its /etc/passwd and /etc/group to bwrap. */
const IDENTITY_FDS = { passwd: 3, group: 4 } as const;
/** The lessons' fixtures are under test/fixtures; these subfolders are the grader's own and stay out. */
const PRIVATE_FIXTURES = new Set(["course", "fuzz"]);
/** cgroup v1 controllers a root grader caps each sandbox with. */
const CGROUP_ROOT = "/sys/fs/cgroup";

/** True when this machine can run the sandbox (bubblewrap installed). */
export function sandboxAvailable(): boolean {
  return spawnSync("bwrap", ["--version"], { stdio: "ignore" }).status === 0;
}

/** What starting a sandboxed command needs. */
export interface SandboxOptions {
  /** The project root (holding node_modules, lib, test/fixtures). */
  project: string;
  /** A folder of the grader's, bound read-write as {@link SANDBOX_WORK}: made over to the sandbox's uid. */
  work: string;
  /** The command and its arguments, as seen inside the sandbox. */
  command: string[];
  /** The whole environment inside (nothing of the grader's is passed on). */
  env: Record<string, string>;
  /** Memory cap, MiB (cgroup, when root). */
  memoryMb?: number;
  /** CPU seconds the sandbox may use in all (RLIMIT_CPU). */
  cpuSeconds?: number;
}

/** A running sandbox. */
export interface Sandbox {
  proc: ChildProcess;
  /** The unprivileged uid it runs as outside, when the grader is root. */
  uid?: number;
  /** True when the memory cgroup killed something in it for want of memory. */
  outOfMemory(): boolean;
  /** Kills everything in it and removes its cgroups. */
  dispose(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/** Creates the sandbox's cgroups (memory, pids); returns their folders. */
function makeCgroups(name: string, memoryMb: number | undefined): string[] {
  const made: string[] = [];
  for (const [controller, file, value] of [
    ["memory", "memory.limit_in_bytes", memoryMb ? String((memoryMb + SANDBOX_LIMITS.memoryHeadroomMb) * 1024 * 1024) : undefined],
    ["pids", "pids.max", String(SANDBOX_LIMITS.pids)],
    ["cpu", "cpu.cfs_quota_us", String(SANDBOX_LIMITS.cpus * 100_000)], // per cpu.cfs_period_us, 100 ms by default
  ] as const) {
    const dir = join(CGROUP_ROOT, controller, "applayer-grading", name);
    if (!existsSync(join(CGROUP_ROOT, controller))) continue;
    mkdirSync(dir, { recursive: true });
    if (value) writeFileSync(join(dir, file), value);
    made.push(dir);
  }
  return made;
}

/**
 * Waits until no process is left in the sandbox's cgroups (the kernel ends a pid
 * namespace's processes a moment after its first process dies), then removes them.
 */
async function removeCgroups(dirs: string[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  const members = (dir: string) => {
    try {
      return readFileSync(join(dir, "cgroup.procs"), "utf8").trim();
    } catch {
      return "";
    }
  };
  while (dirs.some((d) => members(d) !== "") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // a process that would not die: left for the machine's next cleanup
    }
  }
}

/**
 * Makes the sandbox's work folder at `dir` (an empty folder of the grader's): when
 * the grader is root, a tmpfs of {@link SANDBOX_LIMITS.workMb} MiB mounted there,
 * so that a submission cannot fill the grader's disk through it. The sandbox's
 * dispose() unmounts it.
 */
export function prepareWork(dir: string): void {
  if (!sandboxAvailable()) throw new AppLayerError("GRADING", "the grading sandbox needs bubblewrap: run `bash scripts/setup.sh` (or apt-get install bubblewrap)");
  if (!isRoot()) return;
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${SANDBOX_LIMITS.workMb}m,mode=0700,nosuid,nodev`, "applayer-sandbox-work", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new AppLayerError("GRADING", `could not mount the sandbox's work folder: ${r.stderr.trim()}`);
}

function unmountWork(dir: string): void {
  if (isRoot()) spawnSync("umount", ["--lazy", dir], { stdio: "ignore" });
}

/**
 * Starts `command` in a fresh sandbox (see the module comment). Throws a GRADING
 * error naming the fix when bubblewrap is missing.
 *
 * @example const box = spawnSandboxed({ project, work, command: ["/usr/bin/node", "-e", "1"], env: {} });
 */
export function spawnSandboxed(options: SandboxOptions): Sandbox {
  if (!sandboxAvailable()) throw new AppLayerError("GRADING", "the grading sandbox needs bubblewrap: run `bash scripts/setup.sh` (or apt-get install bubblewrap)");
  const root = isRoot();
  // What the sandbox sees of the grader's files: [outside path, inside path, writable].
  const binds: Array<[string, string, boolean]> = PROJECT_BINDS.map((p) => [join(options.project, p), `${SANDBOX_PROJECT}/${p}`, false]);
  const fixtures = join(options.project, "test", "fixtures");
  if (existsSync(fixtures)) {
    for (const f of readdirSync(fixtures)) {
      if (!PRIVATE_FIXTURES.has(f) && statSync(join(fixtures, f)).isDirectory()) binds.push([join(fixtures, f), `${SANDBOX_PROJECT}/test/fixtures/${f}`, false]);
    }
  }
  // Node itself, wherever it is installed (nvm puts it under /root), as `node` on the sandbox's PATH.
  binds.push([process.execPath, SANDBOX_NODE, false], [options.work, SANDBOX_WORK, true]);

  const args: string[] = ["--unshare-all", "--die-with-parent", "--new-session", "--uid", "1000", "--gid", "1000", "--clearenv"];
  args.push("--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc");
  for (const link of ["bin", "sbin", "lib", "lib64"]) if (existsSync(`/usr/${link}`)) args.push("--symlink", `usr/${link}`, `/${link}`);
  args.push("--proc", "/proc", "--dev", "/dev", "--size", String(SANDBOX_LIMITS.tmpMb * 1024 * 1024), "--tmpfs", "/tmp");
  // A root grader first binds each path at STAGE/N in a private mount namespace, so that the unprivileged
  // bwrap can reach it even under a folder its uid may not walk (a project under /root, a 0750 test/).
  binds.forEach(([outside, inside, writable], n) => args.push(writable ? "--bind" : "--ro-bind", root ? `${STAGE}/${n}` : outside, inside));
  for (const [file, fd] of Object.entries(IDENTITY_FDS)) args.push("--perms", "0644", "--ro-bind-data", String(fd), `/etc/${file}`);
  args.push("--chdir", SANDBOX_WORK);
  // A lesson's captures go to /tmp too: the work folder is small.
  const env = { PATH: `${SANDBOX_PROJECT}/bin:/usr/bin:/bin`, HOME: SANDBOX_WORK, TMPDIR: "/tmp", LANG: "C.UTF-8", APPLAYER_CAPTURE_DIR: "/tmp/captures", ...options.env };
  for (const [k, v] of Object.entries(env)) args.push("--setenv", k, v);
  args.push("--", ...options.command);

  let uid: number | undefined;
  let cgroups: string[] = [];
  let argv: string[];
  const cpu = options.cpuSeconds ? `ulimit -t ${Math.ceil(options.cpuSeconds)}; ` : "";
  if (root) {
    uid = SANDBOX_LIMITS.uidBase + randomInt(SANDBOX_LIMITS.uidRange);
    chownTree(options.work, uid);
    cgroups = makeCgroups(`box-${uid}-${process.pid}`, options.memoryMb);
    // Join the cgroups before anything runs, cap CPU seconds, stage the binds, then drop to the unprivileged uid for good.
    const joinCgroups = cgroups.map((d) => `echo $$ > ${d}/cgroup.procs; `).join("");
    const staged = binds.flatMap(([outside]) => [statSync(outside).isDirectory() ? "d" : "f", outside]);
    argv = ["/bin/sh", "-c", `${joinCgroups}${cpu}exec unshare --mount --propagation private /bin/sh -c '${STAGE_SCRIPT}' stage ${uid} "$@"`, "sandbox", ...staged, "--", ...args];
  } else {
    argv = ["/bin/sh", "-c", `${cpu}exec bwrap "$@"`, "sandbox", ...args];
  }
  const proc = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  const identity = sandboxIdentity();
  for (const [file, fd] of Object.entries(IDENTITY_FDS)) {
    const pipe = proc.stdio[fd] as Writable;
    pipe.on("error", () => undefined); // a sandbox that failed before reading it: its stderr says why
    pipe.end(identity[file as keyof typeof IDENTITY_FDS]);
  }
  const exited = new Promise<void>((done) => (proc.exitCode !== null || proc.signalCode !== null ? done() : proc.once("exit", () => done())));
  return {
    proc,
    uid,
    outOfMemory() {
      const memory = cgroups.find((d) => d.includes("/memory/"));
      if (!memory) return false;
      try {
        return /oom_kill [1-9]/.test(readFileSync(join(memory, "memory.oom_control"), "utf8"));
      } catch {
        return false;
      }
    },
    async dispose() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
      await removeCgroups(cgroups);
      unmountWork(options.work);
    },
  };
}

/** Where a root grader stages the binds, in the sandbox's private mount namespace only. */
const STAGE = "/mnt";
/**
 * Run as root in a private mount namespace: a tmpfs on STAGE, each source bound at
 * STAGE/0, STAGE/1, … (arguments: UID, then KIND PATH pairs, then --, then bwrap's),
 * then bwrap as the unprivileged UID. No quote may appear in it (it is single-quoted).
 */
const STAGE_SCRIPT = [
  "set -e; uid=$1; shift; mount -t tmpfs -o mode=755,size=64k applayer-stage " + STAGE + "; n=0",
  'while [ "$1" != "--" ]; do if [ "$1" = d ]; then mkdir ' + STAGE + '/$n; else : > ' + STAGE + '/$n; fi; mount --bind "$2" ' + STAGE + "/$n; n=$((n+1)); shift 2; done; shift",
  'exec setpriv --reuid "$uid" --regid "$uid" --clear-groups -- bwrap "$@"',
].join("\n");

/** Gives a folder and what is in it to `uid`, so the sandbox can use it and nobody else can. */
function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}
