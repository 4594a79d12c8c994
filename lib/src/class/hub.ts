import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join, resolve } from "node:path";
import { AppLayerError } from "../errors";
import { releaseFolder } from "../course/release";
import { closeProject, hubCgroup, sweepCgroups, sweepWorkingIn } from "./isolation";

/**
 * The class hub: Debian's JupyterHub with deploy/hub/jupyterhub_config.py, one
 * classic Notebook server per student, the project's tslab kernel and lib shared
 * by all. This file starts and stops it; the config file says what it does.
 */

/** The hub's defaults, each a flag of `applayer hub`. */
export const HUB_DEFAULTS = {
  /** Each tslab kernel's V8 heap: notebook 33 peaks near 570 MB of RSS. */
  kernelMemoryMb: 1024,
  /** Idle kernels (and kernels busy without a word, as in an endless loop) are culled after this; idle servers after twice this. */
  idleTimeoutS: 3600,
  /** How often the Notebook looks for kernels to cull. */
  cullIntervalS: 60,
  /** Servers starting at once; more wait (a class logging in at 9:00). */
  spawnLimit: 20,
  /** A tslab server on a busy 2-core machine can take this long to answer. */
  startTimeoutS: 120,
  /** Cores one student's processes may use together (a cgroup CFS quota): an endless loop takes this much, never the machine. */
  studentCpus: 1,
  /** Memory one student's processes may use together: a kernel at its heap cap (1024) with a lesson's servers, plus the Notebook server. */
  studentMemoryMb: 2048,
  /** Tasks one student may have (threads count: a tslab kernel has about 12): a fork bomb stops here. */
  studentPids: 1024,
} as const;

/** How long the hub itself may take to answer /hub/health. */
export const HUB_START_TIMEOUT_MS = 30_000;

export interface HubOptions {
  /** The project: its node_modules, .jupyter kernelspec and deploy/hub/ are used in place. */
  root: string;
  /** The hub's own files: database, secrets, the release, and (workshop) the homes. */
  state: string;
  host?: string;
  port?: number;
  /** Anyone may log in with any name and this password; without it, PAM (system accounts). */
  workshopPassword?: string;
  /** Released notebooks to seed homes from; default: released now from the project's notebooks/ into STATE/release. */
  release?: string;
  kernelMemoryMb?: number;
  idleTimeoutS?: number;
  cullIntervalS?: number;
  spawnLimit?: number;
  startTimeoutS?: number;
  studentCpus?: number;
  studentMemoryMb?: number;
  studentPids?: number;
  /** Aborted while the hub starts (a SIGTERM then): the hub is stopped, and startHub rejects with ABORTED. */
  signal?: AbortSignal;
}

export interface Hub {
  url: string;
  /** The admin service's token (also in STATE/api-token): for the instructor's scripts. */
  apiToken: string;
  release: string;
  process: ChildProcess;
  /** Where a workshop's homes are. */
  homes: string;
  /** The hub's log: STATE/jupyterhub.log. */
  log: string;
  /** The hub's cgroup folder under /sys/fs/cgroup/{cpu,memory,pids}: one folder per student below it. */
  cgroup: string;
  /** SIGTERM: the hub stops the proxy and every student's server, then what is left in the students' cgroups is killed; homes stay. */
  stop(): Promise<void>;
}

/** A free loopback TCP port (closed again before the hub takes it). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => done(port));
    });
    s.on("error", fail);
  });
}

/**
 * Starts the hub and resolves once it answers; rejects with the end of its log if it does not.
 *
 * @example const hub = await startHub({ root: ".", state: "build/hub", port: 8000, workshopPassword: "tcp-ip" });
 */
export async function startHub(options: HubOptions): Promise<Hub> {
  const root = resolve(options.root);
  const state = resolve(options.state);
  const config = join(root, "deploy", "hub", "jupyterhub_config.py");
  if (!existsSync("/usr/bin/jupyterhub")) throw new AppLayerError("BAD_ARGUMENT", "JupyterHub is not installed: run bash scripts/setup.sh --hub (it installs Debian's jupyterhub)");
  mkdirSync(join(state, "homes"), { recursive: true });
  const release = options.release ? resolve(options.release) : join(state, "release");
  if (!options.release) releaseFolder(join(root, "notebooks"), release);
  // Students run as their own accounts: they may read the shared install and the release, nothing else of the project.
  closeProject(root, state, release);
  const cgroup = hubCgroup(state);
  const host = options.host ?? "127.0.0.1";
  const port = options.port || (await freePort());
  const apiToken = randomBytes(24).toString("hex");
  writeFileSync(join(state, "api-token"), `${apiToken}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: process.env.LANG ?? "C.UTF-8",
    // Debian's configurable-http-proxy finds its modules only there; this machine's Node does not look by itself.
    NODE_PATH: "/usr/share/nodejs",
    APPLAYER_HUB_ROOT: root,
    APPLAYER_HUB_STATE: state,
    APPLAYER_HUB_RELEASE: release,
    APPLAYER_HUB_BIND: `${host}:${port}`,
    APPLAYER_HUB_API_PORT: String(await freePort()),
    APPLAYER_HUB_PROXY_API_PORT: String(await freePort()),
    APPLAYER_HUB_KERNEL_MEMORY_MB: String(options.kernelMemoryMb ?? HUB_DEFAULTS.kernelMemoryMb),
    APPLAYER_HUB_IDLE_S: String(options.idleTimeoutS ?? HUB_DEFAULTS.idleTimeoutS),
    APPLAYER_HUB_CULL_INTERVAL_S: String(options.cullIntervalS ?? HUB_DEFAULTS.cullIntervalS),
    APPLAYER_HUB_SPAWN_LIMIT: String(options.spawnLimit ?? HUB_DEFAULTS.spawnLimit),
    APPLAYER_HUB_START_TIMEOUT_S: String(options.startTimeoutS ?? HUB_DEFAULTS.startTimeoutS),
    APPLAYER_HUB_API_TOKEN: apiToken,
    APPLAYER_HUB_NODE: process.execPath,
    APPLAYER_HUB_CGROUP: cgroup,
    APPLAYER_HUB_STUDENT_CPUS: String(options.studentCpus ?? HUB_DEFAULTS.studentCpus),
    APPLAYER_HUB_STUDENT_MEMORY_MB: String(options.studentMemoryMb ?? HUB_DEFAULTS.studentMemoryMb),
    APPLAYER_HUB_STUDENT_PIDS: String(options.studentPids ?? HUB_DEFAULTS.studentPids),
    ...(options.workshopPassword ? { APPLAYER_HUB_WORKSHOP_PASSWORD: options.workshopPassword } : {}),
  };
  const proc = spawn("/usr/bin/jupyterhub", ["-f", config], { cwd: state, env, stdio: ["ignore", "pipe", "pipe"] });
  // The hub's own log (and its proxy's, and every student server's) goes to STATE/jupyterhub.log, and its end into errors.
  const logFile = createWriteStream(join(state, "jupyterhub.log"), { flags: "a", mode: 0o600 });
  let log = "";
  const keep = (d: Buffer) => {
    logFile.write(d);
    log = (log + d.toString()).slice(-20_000);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  const exited = new Promise<void>((r) => proc.once("exit", () => logFile.end(() => r())));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    await exited;
    await sweepCgroups(cgroup);
    await sweepWorkingIn(state);
  };
  const deadline = Date.now() + HUB_START_TIMEOUT_MS;
  for (;;) {
    if (options.signal?.aborted) {
      await stop();
      throw new AppLayerError("ABORTED", "the hub was stopped while it started");
    }
    if (proc.exitCode !== null) throw new AppLayerError("CONNECTION_CLOSED", `jupyterhub exited with ${proc.exitCode}:\n${log.slice(-3000)}`);
    const ok = await fetch(`${url}/hub/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new AppLayerError("TIMEOUT", `jupyterhub did not answer ${url}/hub/health within ${HUB_START_TIMEOUT_MS / 1000} s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, apiToken, release, process: proc, homes: join(state, "homes"), log: join(state, "jupyterhub.log"), cgroup, stop };
}
