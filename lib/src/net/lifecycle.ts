import * as net from "node:net";
import * as dgram from "node:dgram";
import { EventEmitter } from "node:events";
import { AppLayerError } from "../errors";
import { Address, DEFAULT_HOST, assertLoopback, formatAddress } from "./address";
import { Clock, realClock } from "./clock";

/** Anything a lesson starts and must stop: a server, a relay, a socket. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Something that records what crosses a server's sockets, both ways: the lab's
 * `Capture`, which writes it as a Wireshark capture. (An interface here, so that
 * net/ needs nothing from lab/.)
 */
export interface WireTap {
  /** Learns that a server of `kind` ("smtp", "dns", …) listens at `address`. */
  serves(address: Address, kind: string): void;
  /** Records a TCP connection: its opening, every byte each way, and how it ended. */
  tapTcp(socket: net.Socket, role: "client" | "server"): void;
  /** Records one UDP datagram. */
  udp(src: Address, dst: Address, payload: Uint8Array): void;
}

/** Options every `listen()` in the lib takes. Port 0 asks the OS for a free port. */
export interface ListenOptions {
  host?: string;
  port?: number;
  /** Records everything the server sends and receives (see the lab's `Capture`). */
  capture?: WireTap;
}

/** Options every client call in the lib takes. */
export interface CallOptions {
  /** Give up after this many milliseconds (error code `TIMEOUT`). */
  timeoutMs?: number;
  /** Abort from outside (error code `ABORTED`). */
  signal?: AbortSignal;
}

// One registry per process, shared by every copy of the lib a kernel may load.
interface Registry {
  open: Set<Closable>;
  byAddress: Map<string, Closable>;
}
const REGISTRY_KEY = Symbol.for("applayer.lifecycle");
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[REGISTRY_KEY] ??= { open: new Set(), byAddress: new Map() });
}

/**
 * Remembers a started resource so {@link closeAll} can stop it. When a cell that
 * listens on a fixed address is run a second time, the old server at that address
 * is closed first, so re-running a cell never fails with EADDRINUSE.
 */
export function track<T extends Closable>(resource: T, kind?: string, address?: Address): T {
  const r = registry();
  r.open.add(resource);
  if (kind && address) r.byAddress.set(`${kind} ${formatAddress(address)}`, resource);
  return resource;
}

/** Forgets a resource (its close() calls this). */
export function untrack(resource: Closable): void {
  const r = registry();
  r.open.delete(resource);
  for (const [k, v] of r.byAddress) if (v === resource) r.byAddress.delete(k);
}

/** Closes whatever this process still holds at `kind host:port` (a re-run cell's old server). */
export async function releaseAddress(kind: string, address: Address): Promise<void> {
  const old = registry().byAddress.get(`${kind} ${formatAddress(address)}`);
  if (old) await old.close();
}

/**
 * Closes every server, relay and socket the lib started in this process.
 * The last cell of each notebook calls it, so the kernel shuts down cleanly.
 *
 * @example await closeAll();
 */
export async function closeAll(): Promise<void> {
  await Promise.all([...registry().open].map((c) => c.close()));
}

/** How many lib resources are still open in this process. */
export function openCount(): number {
  return registry().open.size;
}

/** Resolves the host and port a listen() should use, refusing non-loopback hosts. */
export function resolveListen(options: ListenOptions = {}): Address {
  const host = options.host ?? DEFAULT_HOST;
  assertLoopback(host);
  const port = options.port ?? 0;
  // Node's dgram wraps a port over 65535 (99999 becomes 34463) instead of refusing it.
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new AppLayerError("BAD_ADDRESS", `port ${port} is not a port number (0 to 65535)`, { port });
  return { host, port };
}

function bindError(e: NodeJS.ErrnoException, where: Address): AppLayerError {
  const at = formatAddress(where);
  if (e.code === "EADDRINUSE") {
    return new AppLayerError("BAD_ADDRESS", `${at} is already in use: pick another port, or use port 0 for a free one`, { errno: e.code });
  }
  if (e.code === "EADDRNOTAVAIL") {
    return new AppLayerError("BAD_ADDRESS", `${at} is not configured on this machine (add it with: ip addr add ${where.host}/32 dev lo)`, { errno: e.code });
  }
  return new AppLayerError("BAD_ADDRESS", `cannot bind ${at}: ${e.message}`, { errno: e.code });
}

/** Runs `start` and resolves with the bound address once it calls back, or rejects with advice. */
function bindWith(emitter: EventEmitter, where: Address, start: (ready: () => void) => void, bound: () => Address): Promise<Address> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(bindError(e, where));
    emitter.once("error", onError);
    start(() => {
      emitter.off("error", onError);
      resolve(bound());
    });
  });
}

/** How long close() lets open connections finish before destroying them. */
export const CLOSE_GRACE_MS = 200;

/**
 * Stops a TCP server the polite way: no new connections, a FIN on every open one,
 * and after CLOSE_GRACE_MS a reset for any that still linger. Resolves once the
 * server is closed. `sockets` is the set the server keeps of its connections.
 */
export function closeTcpServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.end();
    setTimeout(() => sockets.forEach((s) => s.destroy()), CLOSE_GRACE_MS).unref();
  });
}

/** Binds a TCP server and resolves with its real address once it is listening. */
export function bindTcp(server: net.Server, where: Address): Promise<Address> {
  return bindWith(server, where, (ready) => server.listen(where.port, where.host, ready), () => {
    const a = server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  });
}

/** Binds a UDP socket and resolves with its real address once it is bound. */
export function bindUdp(socket: dgram.Socket, where: Address): Promise<Address> {
  return bindWith(socket, where, (ready) => socket.bind(where.port, where.host, ready), () => {
    const a = socket.address();
    return { host: a.address, port: a.port };
  });
}

/** What {@link withDeadline} takes besides a client call's options. */
export interface DeadlineOptions extends CallOptions {
  /**
   * The error a timeout rejects with, for a caller whose words differ from a
   * client's (a check's deadline, a judge's wait). Default: `TIMEOUT`, "no answer
   * within … ms", with advice.
   */
  timeoutError?: () => Error;
}

/**
 * Runs `work` under a deadline: it gets a signal that fires on timeout or when the
 * caller aborts, and must release its sockets when that signal fires. The promise
 * rejects with `TIMEOUT` (or `options.timeoutError()`) or `ABORTED`, saying what
 * was being waited for, or with what `work` rejects with.
 *
 * @example const line = await withDeadline("IMAP greeting", { timeoutMs: 5000 }, () => greeting);
 */
export function withDeadline<T>(
  what: string,
  options: DeadlineOptions,
  work: (signal: AbortSignal) => Promise<T>,
  clock: Clock = realClock,
): Promise<T> {
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const fail = (e: Error) => {
      cleanup();
      inner.abort(e);
      reject(e);
    };
    const onAbort = () => fail(new AppLayerError("ABORTED", `${what}: aborted by the caller`));
    const late = () =>
      options.timeoutError?.() ??
      new AppLayerError("TIMEOUT", `${what}: no answer within ${options.timeoutMs} ms (is the server running? try a longer timeoutMs)`, { timeoutMs: options.timeoutMs });
    const timer = options.timeoutMs === undefined ? undefined : clock.setTimer(() => fail(late()), options.timeoutMs);
    const cleanup = () => {
      if (timer) clock.clearTimer(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    work(inner.signal).then(
      (v) => { cleanup(); resolve(v); },
      (e) => { cleanup(); inner.abort(e); reject(e); },
    );
  });
}

/** A running TCP service: its address and how many connections it has taken. */
export interface TcpService extends Closable {
  readonly address: Address;
  readonly stats: { connections: number };
}

/**
 * The socket side every line-protocol server shares (SMTP, IMAP, POP3, HTTP):
 * binds (replacing a lesson server left on a fixed port), turns Nagle off so each
 * reply goes out at once, ignores a connection's errors (they end that connection
 * only), and closes politely. `onConnection` runs the protocol on each socket.
 *
 * @example
 * const echo = await serveTcp("echo", { port: 0 }, (socket) => socket.pipe(socket));
 */
export async function serveTcp(kind: string, options: ListenOptions, onConnection: (socket: net.Socket) => void): Promise<TcpService> {
  const where = resolveListen(options);
  if (where.port !== 0) await releaseAddress(kind, where);
  const stats = { connections: 0 };
  const sockets = new Set<net.Socket>();
  // noDelay: with Nagle's algorithm a reply waits for the client's delayed ACK (~40 ms).
  const server = net.createServer({ noDelay: true }, (socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    options.capture?.tapTcp(socket, "server");
    onConnection(socket);
  });
  const address = await bindTcp(server, where);
  options.capture?.serves(address, kind);
  let closing: Promise<void> | undefined;
  const service: TcpService = {
    address,
    stats,
    close() {
      untrack(service);
      return (closing ??= closeTcpServer(server, sockets));
    },
  };
  return track(service, kind, address);
}
