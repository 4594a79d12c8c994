import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as net from "node:net";
import { AppLayerError } from "../errors";
import { Address, DEFAULT_HOST } from "../net/address";
import { Closable, track, untrack, withDeadline } from "../net/lifecycle";
import { NOT_IMPLEMENTED } from "../lab/check";

/**
 * Debian's BitTorrent programs as judges of a student's code, on loopback:
 * aria2c seeds a torrent for a student's peer to download from, transmission-show
 * says a .torrent's info-hash, mktorrent and transmission-create make torrents the
 * lib did not. Each runs inside the grading sandbox too (/usr is bound there).
 */

/** How long aria2c may take to check its copy and listen. */
export const ARIA2_START_MS = 10_000;

/** aria2c with everything that would leave loopback or linger turned off (no DHT, LPD, PEX, IPv6, config file). */
const ARIA2_QUIET = ["--no-conf=true", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
  "--disable-ipv6=true", "--summary-interval=0", "--console-log-level=notice", "--enable-color=false", "--file-allocation=none"];

/** A running aria2c seed: where it listens. `close()` (or closeAll) stops it. */
export interface Aria2Seed extends Closable {
  address: Address;
}

/**
 * Starts aria2c seeding `torrentPath`, whose file(s) are in `dir`; resolves once
 * aria2c has checked every piece and listens (it picks a port of 20000–60000 and
 * says which). It stops with this process, too.
 *
 * @example
 * const seed = await seedWithAria2({ torrentPath: "/tmp/x/lesson.torrent", dir: "/tmp/x" });
 * // seed.address: { host: "127.0.0.1", port: 2xxxx }
 */
export function seedWithAria2(options: { torrentPath: string; dir: string; host?: string }): Promise<Aria2Seed> {
  const host = options.host ?? DEFAULT_HOST;
  const proc: ChildProcess = spawn("aria2c", [...ARIA2_QUIET, `--interface=${host}`, "--listen-port=20000-60000", `--dir=${options.dir}`,
    "--check-integrity=true", "--seed-ratio=0.0", `--stop-with-process=${process.pid}`, options.torrentPath], { stdio: ["ignore", "pipe", "pipe"] });
  let said = "";
  const exited = new Promise<void>((done) => proc.once("exit", () => done()));
  const close = async () => {
    untrack(seed);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL"); // SIGTERM makes aria2 announce "stopped" first: seconds
    await exited;
  };
  const seed: Aria2Seed = { address: { host, port: 0 }, close };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void close().then(() => reject(new AppLayerError("TIMEOUT", `aria2c did not start seeding: ${why} ${said.trim().split("\n").slice(-3).join(" | ")}`)));
    };
    const timer = setTimeout(() => fail(`nothing within ${ARIA2_START_MS / 1000} s.`), ARIA2_START_MS);
    proc.once("error", (e) => fail(String(e)));
    const early = (code: number | null) => fail(`it exited (${code}).`);
    proc.once("exit", early);
    const listen = (d: Buffer) => {
      said += d.toString("utf8");
      // aria2c 1.36: "[NOTICE] IPv4 BitTorrent: listening on TCP port 2xxxx", after "Verification finished successfully".
      const m = /BitTorrent: listening on TCP port (\d+)/.exec(said);
      if (!m) return;
      clearTimeout(timer);
      proc.off("exit", early);
      proc.stdout!.off("data", listen);
      proc.stdout!.resume();
      seed.address = { host, port: Number(m[1]) };
      resolve(track(seed));
    };
    proc.stdout!.on("data", listen);
    proc.stderr!.on("data", (d) => (said += d));
  });
}

/** What transmission-show says of a .torrent: its name and info-hash (hex, lower case), from its "Name:" and "Hash:" lines. */
export function transmissionShow(torrentPath: string): { name: string; hash: string } {
  const out = execFileSync("transmission-show", [torrentPath], { encoding: "utf8", timeout: 10_000 });
  const field = (name: string) => new RegExp(`^\\s*${name}: (.*)$`, "m").exec(out)?.[1].trim();
  const hash = field("Hash");
  if (!hash) throw new AppLayerError("BAD_ARGUMENT", `transmission-show printed no Hash: line for ${torrentPath}`);
  return { name: field("Name") ?? "", hash };
}

/**
 * Makes a .torrent of `target` (a file or a folder) with Debian's mktorrent or
 * transmission-create, as a student would; returns the path written
 * (`target`.TOOL.torrent). `webSeed` adds mktorrent's url-list, a key that
 * sorts after info; `private` sets the private flag; `source` adds mktorrent's
 * source, a key inside info.
 *
 * @example makeTorrentWith("mktorrent", "/tmp/x/notes", { webSeed: "http://127.0.0.1/notes" })
 */
export function makeTorrentWith(tool: "mktorrent" | "transmission-create", target: string, options: { webSeed?: string; private?: boolean; source?: string; comment?: string } = {}): string {
  const out = `${target}.${tool}.torrent`;
  const announce = "http://127.0.0.1:6969/announce";
  const args = tool === "mktorrent"
    ? ["-d", "-a", announce, "-o", out, ...(options.webSeed ? ["-w", options.webSeed] : []), ...(options.private ? ["-p"] : []),
      ...(options.source ? ["-s", options.source] : []), ...(options.comment ? ["-c", options.comment] : []), target]
    : ["-o", out, "-t", announce, ...(options.private ? ["-p"] : []), ...(options.comment ? ["-c", options.comment] : []), target];
  try {
    execFileSync(tool, args, { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 });
  } catch (e) {
    throw new AppLayerError("BAD_ARGUMENT", `${tool} failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
  }
  return out;
}

/** How a student's call ended, as a value a check compares: it resolved, it rejected, it was still pending, or it is the released stub. */
export type Outcome = "accepted" | "refused" | "no answer" | "not written";

/**
 * Runs `fn`, which must settle within `withinMs`; rejects with TIMEOUT saying so
 * if it does not (`fn` goes on in the background: close what it talks to).
 */
export function settleWithin<T>(withinMs: number, what: string, fn: () => Promise<T>): Promise<T> {
  return withDeadline(what, { timeoutMs: withinMs, timeoutError: () => new AppLayerError("TIMEOUT", `${what}: no answer within ${withinMs / 1000} s`) }, async () => fn());
}

/**
 * How `run` ended within `withinMs`, as an {@link Outcome}: what a check compares
 * when a peer must be refused (a stub is never "refused", a hang never either).
 *
 * @example expectEqual(await outcomeOf(() => handshake(peer, otherHash, myId)), "refused")
 */
export function outcomeOf(run: () => Promise<unknown>, withinMs = 3000): Promise<Outcome> {
  return settleWithin(withinMs, "the call", run).then(
    () => "accepted",
    (e: unknown) => {
      if (e instanceof AppLayerError && e.code === "TIMEOUT") return "no answer";
      return String((e as Error)?.message).startsWith(NOT_IMPLEMENTED) ? "not written" : "refused";
    },
  );
}

/** A loopback door to a judge (aria2c): it passes every byte both ways, and notes whether the judge hung up on a connection first. */
interface JudgeDoor extends Closable {
  address: Address;
  /** Whether the judge ended or dropped a connection while the student's side still had it open. */
  hungUp(): boolean;
}

/** Opens a {@link JudgeDoor} to `judge`, on its host. */
function openJudgeDoor(judge: Address): Promise<JudgeDoor> {
  let hungUp = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (peer) => {
    const toJudge = net.connect({ host: judge.host, port: judge.port, allowHalfOpen: true });
    let peerDone = false;
    for (const s of [peer, toJudge]) sockets.add(s.on("close", () => sockets.delete(s)));
    peer.on("end", () => (peerDone = true)).on("close", () => ((peerDone = true), toJudge.destroy())).on("error", () => undefined);
    const judgeLeft = () => {
      if (!peerDone) hungUp = true;
    };
    toJudge.on("end", judgeLeft).on("close", () => (judgeLeft(), peer.destroy())).on("error", () => undefined);
    peer.pipe(toJudge);
    toJudge.pipe(peer);
  });
  const door: JudgeDoor = {
    address: { host: judge.host, port: 0 },
    hungUp: () => hungUp,
    close: async () => {
      untrack(door);
      for (const s of sockets) s.destroy();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
  return new Promise((resolve, reject) => {
    server.once("error", reject).listen(0, judge.host, () => {
      door.address = { host: judge.host, port: (server.address() as net.AddressInfo).port };
      resolve(track(door));
    });
  });
}

/**
 * Starts aria2c seeding, runs `fn` with its address, and stops aria2c when `fn`
 * settles or after `withinMs`, whichever comes first (then TIMEOUT): a student's
 * peer that never finishes loses its check and leaves no aria2c behind. The
 * address is a door that passes everything to aria2c: if `fn` fails after
 * aria2c hung up on the peer, it fails with JUDGE_HUNG_UP, which says so where
 * feedback withholds the student's own words ("the peer hung up").
 *
 * @example await withAria2Seed({ torrentPath, dir }, (seed) => downloadPiece(seed, torrent, 0))
 */
export async function withAria2Seed<T>(options: { torrentPath: string; dir: string }, fn: (seed: Address) => Promise<T>, withinMs = 6000): Promise<T> {
  const seed = await seedWithAria2(options);
  let door: JudgeDoor | undefined;
  try {
    door = await openJudgeDoor(seed.address);
    return await settleWithin(withinMs, "your peer, talking to aria2c", () => fn(door!.address));
  } catch (e) {
    if (door?.hungUp()) throw new AppLayerError("JUDGE_HUNG_UP", "aria2c hung up on your peer: it sent something aria2c would not accept", { cause: String(e) });
    throw e;
  } finally {
    await door?.close();
    await seed.close();
  }
}
