import * as net from "node:net";
import { spawn, ChildProcess, execFile } from "node:child_process";
import { basename, join, resolve } from "node:path";
import { Address } from "../lib/src/net/address";

export const ROOT = resolve(__dirname, "..");
export const CLI = join(ROOT, "lib", "dist", "cli", "main.js");

/** True while process `pid` exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A CLI server started as its own process, as a student would from a terminal. */
export interface CliServer {
  proc: ChildProcess;
  /** Every "NAME listening on H:N" line, by NAME ("" when unnamed). */
  addresses: Map<string, Address>;
  address: Address;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `applayer ARGS…` and resolves once it has printed its `listening on` line(s). */
export function startCli(args: string[], expectLines = 1): Promise<CliServer> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const addresses = new Map<string, Address>();
    let out = "";
    let err = "";
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    proc.stderr!.on("data", (d) => (err += d));
    proc.stdout!.on("data", (d) => {
      out += d;
      for (const m of out.matchAll(/^(?:(\S+) )?listening on ([\d.]+):(\d+)$/gm)) {
        addresses.set(m[1] ?? "", { host: m[2], port: Number(m[3]) });
      }
      if (addresses.size >= expectLines) {
        const address = addresses.get("") ?? [...addresses.values()][0];
        resolvePromise({ proc, addresses, address, stop: () => (proc.kill("SIGTERM"), exited) });
      }
    });
    exited.then((code) => reject(new Error(`applayer ${args.join(" ")} exited ${code} before listening:\n${out}${err}`)));
  });
}

/**
 * Runs a command with stdin `input` and resolves with its stdout (rejecting on a
 * non-zero exit). Output is read as UTF-8, or byte for byte with "latin1".
 */
export function run(cmd: string, args: string[], input = "", options: { timeoutMs?: number; encoding?: "utf8" | "latin1"; cwd?: string } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const encoding = options.encoding ?? "utf8";
    const child = execFile(cmd, args, { timeout: options.timeoutMs ?? 10_000, encoding, cwd: options.cwd }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(" ")}: ${error.message}\n${stdout}${stderr}`));
      else resolvePromise(stdout);
    });
    // A command that exits without reading its input (--help, an early refusal) closes the pipe first: the
    // EPIPE that writing it then meets is no failure of the test (the exit code and the output judge the command).
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(input, encoding);
  });
}

/** A TCP port that is free on `host` right now (for servers started with a fixed port). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/**
 * The lessons a suite runs: all of them, or those whose names start with one of
 * APPLAYER_LESSONS's comma-separated prefixes (`APPLAYER_LESSONS=01,42 npx vitest
 * run test/notebooks.test.ts`), so that work on one lesson need not run eleven.
 */
export function lessonsUnderTest(paths: string[]): string[] {
  const only = (process.env.APPLAYER_LESSONS ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  return only.length === 0 ? paths : paths.filter((p) => only.some((prefix) => basename(p).startsWith(prefix)));
}
