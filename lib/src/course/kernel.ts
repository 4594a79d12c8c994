import { ChildProcess, spawn } from "node:child_process";
import { GUARD_PARENT_ENV } from "./orphan-guard";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { SANDBOX_LIMITS, SANDBOX_NODE, SANDBOX_PROJECT, SANDBOX_WORK, Sandbox, prepareWork, spawnSandboxed } from "./sandbox";
import * as net from "node:net";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { Output } from "./notebook";

/**
 * A tslab kernel driven over Jupyter's wire protocol (ZeroMQ, HMAC-signed
 * messages: jupyter-client's "messaging" spec), without Jupyter in between. The
 * grader runs each submission in one of these: it starts in ~1 s, runs one cell
 * at a time with a deadline, and can be killed and replaced when a student's code
 * hangs, crashes or calls process.exit. Its memory is capped (Node's heap limit).
 */

/** The project this lib belongs to (lib/dist/course → the folder holding lib/). */
export const PROJECT_ROOT = resolve(__dirname, "..", "..", "..");
const DELIM = Buffer.from("<IDS|MSG>");
/** How many times {@link Kernel.start} starts a kernel that does not come up before it gives up. */
export const START_ATTEMPTS = 2;
/** After a failed cell, tslab aborts requests for 200 ms (its execQueue.reset(200)); wait a little longer. */
const ABORT_WINDOW_MS = 250;

/** What one executed cell produced. */
export interface CellRun {
  status: "ok" | "error";
  outputs: Output[];
  /** Wall time of the cell, ms. */
  ms: number;
}

/** Why a kernel stopped answering: it was killed for its deadline, or it exited or crashed. */
export class KernelDied extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "KernelDied";
  }
}

type Zmq = typeof import("zeromq");

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((done) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => done(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

/** A request waiting for its reply (shell) and for the kernel to go idle (iopub). */
interface Pending {
  outputs: Output[];
  /** Display id → index in outputs, for update_display_data. */
  displays: Map<string, number>;
  reply?: string;
  idle: boolean;
  done: () => void;
}

interface Message {
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

/** Options for starting a kernel. */
export interface KernelOptions {
  /** V8's old-space limit for the kernel, MiB: a runaway notebook dies alone, with a reason. */
  memoryMb?: number;
  /** Extra environment for the kernel process. */
  env?: Record<string, string>;
  /** CPU seconds the kernel may use in all (sandboxed kernels only). */
  cpuSeconds?: number;
  /** false: no sandbox (the author's own notebooks). Default: sandboxed. */
  sandbox?: boolean;
}

/**
 * One running tslab kernel. `execute(code, deadlineMs)` runs a cell and resolves
 * with its outputs; past the deadline the kernel is killed and it rejects with
 * {@link KernelDied}, as it does when the kernel exits by itself.
 *
 * @example
 * const k = await Kernel.start({ memoryMb: 1024 });
 * const run = await k.execute('console.log("hi")', 10_000);
 * await k.shutdown();
 */
export class Kernel {
  private readonly pending = new Map<string, Pending>();
  private deathReason?: string;
  /** When the last cell failed: tslab cancels what arrives in the next 200 ms (tslab#19). */
  private lastError = 0;
  private readonly died: Promise<void>;
  private stderr = "";

  private constructor(
    private readonly proc: ChildProcess,
    private readonly shell: InstanceType<Zmq["Dealer"]>,
    private readonly iopub: InstanceType<Zmq["Subscriber"]>,
    private readonly key: string,
    private readonly session: string,
    private readonly dir: string,
    private readonly memoryMb?: number,
    private readonly box?: Sandbox,
  ) {
    this.died = new Promise((done) => proc.once("exit", (code, signal) => {
      this.deathReason ??= this.explainExit(code, signal);
      for (const p of this.pending.values()) p.done();
      done();
    }));
    proc.stderr?.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    void this.pump(shell, false);
    void this.pump(iopub, true);
  }

  private explainExit(code: number | null, signal: NodeJS.Signals | null): string {
    if (/heap out of memory|Allocation failed/i.test(this.stderr)) return `ran out of memory (the kernel's cap is ${this.memoryMb} MiB)`;
    if (this.box?.outOfMemory()) return `ran out of memory (the sandbox's cap is ${(this.memoryMb ?? 0) + SANDBOX_LIMITS.memoryHeadroomMb} MiB)`;
    // A sandboxed kernel's death by signal N reaches us as bwrap's exit code 128 + N.
    const boxed = this.box && code !== null && code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
    if (signal || boxed) return `the kernel was ended by ${signal ?? boxed}`;
    return `the kernel exited with code ${code} (did the code call process.exit?)`;
  }

  /**
   * Starts a kernel. By default it runs in a sandbox of its own (see sandbox.ts)
   * and speaks ZeroMQ over `ipc://` sockets in its work folder, the sandbox's only
   * door out; `sandbox: false` runs it as a plain child over loopback TCP, for
   * the author's own notebook (`course lint`, `validate`). A kernel that dies or
   * goes silent before it answers is started afresh, up to {@link START_ATTEMPTS}
   * times: on a loaded machine tslab can lose its first exchange, and no code of
   * the notebook has run yet.
   */
  static async start(options: KernelOptions = {}): Promise<Kernel> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Kernel.startOnce(options);
      } catch (e) {
        if (!(e instanceof KernelDied) || attempt >= START_ATTEMPTS) throw e;
      }
    }
  }

  private static async startOnce(options: KernelOptions): Promise<Kernel> {
    const zmq = (await import("zeromq")) as Zmq;
    const work = join(PROJECT_ROOT, ".grading");
    mkdirSync(work, { recursive: true });
    const dir = mkdtempSync(join(work, "kernel-"));
    const key = randomBytes(16).toString("hex");
    const nodeOptions = options.memoryMb ? `--max-old-space-size=${options.memoryMb}` : "";
    const tslab = (root: string) => join(root, "node_modules", "tslab", "bin", "tslab");
    let address: (port: number) => string;
    let proc: ChildProcess;
    let box: Sandbox | undefined;
    const connection = (ip: string, transport: string, ports: number[]) => JSON.stringify({ ip, transport, shell_port: ports[0], iopub_port: ports[1], stdin_port: ports[2], control_port: ports[3], hb_port: ports[4], key, signature_scheme: "hmac-sha256" });
    if (options.sandbox !== false) {
      prepareWork(dir);
      // ipc://DIR/k:N outside is ipc:///applayer/work/k:N inside: the same socket files, through the bind.
      writeFileSync(join(dir, "connection.json"), connection(`${SANDBOX_WORK}/k`, "ipc", [1, 2, 3, 4, 5]));
      address = (port) => `ipc://${dir}/k:${port}`;
      box = spawnSandboxed({
        project: PROJECT_ROOT, work: dir, memoryMb: options.memoryMb, cpuSeconds: options.cpuSeconds,
        command: [SANDBOX_NODE, tslab(SANDBOX_PROJECT), "kernel", "--config-path", `${SANDBOX_WORK}/connection.json`],
        env: { APPLAYER_HEADLESS: "1", NODE_OPTIONS: nodeOptions, ...options.env },
      });
      proc = box.proc;
    } else {
      // The kernel's temporary folder is inside its own: what a notebook leaves there goes with shutdown(),
      // which kills the kernel before any exit handler of its could run.
      const tmp = join(dir, "tmp");
      mkdirSync(tmp);
      const ports = await freePorts(5);
      writeFileSync(join(dir, "connection.json"), connection("127.0.0.1", "tcp", ports));
      address = (port) => `tcp://127.0.0.1:${ports[port - 1]}`;
      // The guard ends the kernel when this process dies without stopping it (see orphan-guard.ts).
      proc = spawn(process.execPath, ["--require", join(PROJECT_ROOT, "lib", "dist", "course", "orphan-guard.js"), tslab(PROJECT_ROOT), "kernel", "--config-path", join(dir, "connection.json")], {
        cwd: dir,
        env: { ...process.env, APPLAYER_HEADLESS: "1", TMPDIR: tmp, ...options.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, nodeOptions].filter(Boolean).join(" "), [GUARD_PARENT_ENV]: String(process.pid) },
        stdio: ["ignore", "ignore", "pipe"],
      });
    }
    const shell = new zmq.Dealer({ linger: 0 });
    const iopub = new zmq.Subscriber({ linger: 0 });
    shell.connect(address(1));
    iopub.connect(address(2));
    iopub.subscribe();
    const kernel = new Kernel(proc, shell, iopub, key, randomUUID(), dir, options.memoryMb, box);
    try {
      await kernel.ready();
    } catch (e) {
      await kernel.shutdown();
      throw e;
    }
    return kernel;
  }

  /** Waits until the kernel answers on shell and its iopub messages reach us (ZeroMQ's slow joiner). */
  private async ready(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.deathReason) throw new KernelDied(`the kernel did not start: ${this.deathReason}\n${this.stderr}`);
      const id = await this.send("kernel_info_request", {});
      const seen = await new Promise<boolean>((done) => {
        const entry: Pending = { outputs: [], displays: new Map(), idle: false, done: () => done(entry.idle) };
        this.pending.set(id, entry);
        setTimeout(() => done(entry.idle), 300);
      });
      this.pending.delete(id);
      if (seen) return;
    }
    this.kill();
    throw new KernelDied(`the kernel did not answer within 30 s\n${this.stderr}`);
  }

  private sign(parts: string[]): string {
    const h = createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  private async send(type: string, content: Record<string, unknown>): Promise<string> {
    const header = { msg_id: randomUUID(), username: "applayer-grader", session: this.session, date: new Date().toISOString(), msg_type: type, version: "5.3" };
    const parts = [JSON.stringify(header), "{}", "{}", JSON.stringify(content)];
    await this.shell.send([DELIM, this.sign(parts), ...parts]);
    return header.msg_id;
  }

  private async pump(socket: AsyncIterable<Buffer[]>, iopub: boolean): Promise<void> {
    try {
      for await (const frames of socket) {
        const at = frames.findIndex((f) => f.equals(DELIM));
        if (at < 0) continue;
        const [hmac, ...parts] = frames.slice(at + 1).map((f) => f.toString());
        if (hmac !== this.sign(parts.slice(0, 4))) continue; // not signed with our key: ignore
        this.handle({ header: JSON.parse(parts[0]), parent_header: JSON.parse(parts[1]), content: JSON.parse(parts[3]) }, iopub);
      }
    } catch {
      // the socket was closed
    }
  }

  private handle(m: Message, iopub: boolean): void {
    const entry = this.pending.get(m.parent_header.msg_id ?? "");
    if (!entry) return;
    const c = m.content as Record<string, never>;
    if (!iopub) {
      entry.reply = String(c.status);
    } else if (m.header.msg_type === "status") {
      if (c.execution_state === "idle") entry.idle = true;
    } else if (m.header.msg_type === "stream") {
      entry.outputs.push({ output_type: "stream", name: c.name, text: c.text });
    } else if (["display_data", "update_display_data", "execute_result"].includes(m.header.msg_type)) {
      // An update replaces the output with the same display id, as a front end does.
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      const out: Output = { output_type: "display_data", data: c.data, metadata: c.metadata ?? {} };
      const old = id === undefined ? -1 : entry.displays.get(id) ?? -1;
      if (m.header.msg_type === "update_display_data" && old >= 0) entry.outputs[old] = out;
      else if (m.header.msg_type !== "update_display_data") {
        if (id !== undefined) entry.displays.set(id, entry.outputs.length);
        entry.outputs.push(out);
      }
    } else if (m.header.msg_type === "error") {
      entry.outputs.push({ output_type: "error", text: `${c.ename}: ${c.evalue}` });
    }
    if (entry.reply !== undefined && entry.idle) entry.done();
  }

  /**
   * Runs one cell. Resolves when the kernel has replied and gone idle; rejects
   * with {@link KernelDied} when it dies, or when `deadlineMs` passes (the kernel
   * is then killed: a synchronous infinite loop cannot be interrupted).
   */
  async execute(code: string, deadlineMs: number): Promise<CellRun> {
    if (this.deathReason) throw new KernelDied(this.deathReason);
    const quiet = this.lastError + ABORT_WINDOW_MS - Date.now();
    if (quiet > 0) await new Promise((r) => setTimeout(r, quiet));
    const start = Date.now();
    const id = randomUUID();
    const entry: Pending = { outputs: [], displays: new Map(), idle: false, done: () => undefined };
    const finished = new Promise<void>((done) => (entry.done = done));
    this.pending.set(id, entry);
    const header = { msg_id: id, username: "applayer-grader", session: this.session, date: new Date().toISOString(), msg_type: "execute_request", version: "5.3" };
    const parts = [JSON.stringify(header), "{}", "{}", JSON.stringify({ code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false })];
    await this.shell.send([DELIM, this.sign(parts), ...parts]);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((done) => (timer = setTimeout(() => done("late"), deadlineMs)));
    const outcome = await Promise.race([finished.then(() => "done" as const), late]);
    clearTimeout(timer);
    this.pending.delete(id);
    if (outcome === "late") {
      this.deathReason = `timed out after ${(deadlineMs / 1000).toFixed(0)} s (an endless loop, or waiting for something that never comes?)`;
      this.kill();
      throw new KernelDied(this.deathReason);
    }
    if (this.deathReason) throw new KernelDied(this.deathReason);
    if (entry.reply !== "ok") this.lastError = Date.now();
    return { status: entry.reply === "ok" ? "ok" : "error", outputs: entry.outputs, ms: Date.now() - start };
  }

  private kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }

  /** The kernel's own folder (its connection file and sockets): removed by shutdown(). */
  get folder(): string {
    return this.dir;
  }

  /** The kernel's process id (bwrap's, for a sandboxed kernel). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Stops the kernel (killing it: nothing of a graded run is worth a graceful exit) and cleans up. */
  async shutdown(): Promise<void> {
    this.kill();
    await this.died;
    await this.box?.dispose();
    this.shell.close();
    this.iopub.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
