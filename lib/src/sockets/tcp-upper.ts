import * as net from "node:net";
import { AppLayerError, isAppLayerError } from "../errors";
import { Address, formatAddress } from "../net/address";
import { LineSplitter } from "../net/framing";
import { CallOptions, Closable, ListenOptions, serveTcp, withDeadline } from "../net/lifecycle";
import { Trace } from "../lab/trace";
import { TCP_UPPER_IDLE_TIMEOUT_MS, TCP_UPPER_MAX_LINE } from "./limits";
import { toUpperAscii } from "./uppercase";

/** One client as the server saw it: its source address tells it apart from the others. */
export interface TcpClientRecord {
  remote: Address;
  lines: number;
  open: boolean;
}

/** The TCP uppercase server of the socket-programming lesson. */
export interface TcpUpperServer extends Closable {
  /** The welcoming socket's address. */
  readonly address: Address;
  /** Every connection socket so far, in order of arrival (last 1,000 kept). */
  readonly clients: TcpClientRecord[];
}

export interface TcpUpperServerOptions extends ListenOptions {
  trace?: Trace;
  /** Longest accepted line (default {@link TCP_UPPER_MAX_LINE}). */
  maxLine?: number;
  /** Disconnect a client silent this long (default {@link TCP_UPPER_IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
}

const MAX_CLIENT_RECORDS = 1000;

/**
 * Starts the TCP uppercase server. Its *welcoming socket* accepts connections; each
 * accepted connection gets its own *connection socket*, and every line (ending in
 * \n) that arrives on it is answered uppercased. A line longer than `maxLine`
 * gets an `ERROR …` line and the connection is closed; a silent client is dropped
 * after `idleTimeoutMs`. Neither ever disturbs the other clients.
 *
 * @example
 * const server = await serveTcpUpper();
 * await tcpUpperRequest("hello", { server: server.address }); // "HELLO"
 */
export async function serveTcpUpper(options: TcpUpperServerOptions = {}): Promise<TcpUpperServer> {
  const maxLine = options.maxLine ?? TCP_UPPER_MAX_LINE;
  const idle = options.idleTimeoutMs ?? TCP_UPPER_IDLE_TIMEOUT_MS;
  const clients: TcpClientRecord[] = [];
  const trace = options.trace;
  let name = "server";

  const service = await serveTcp("tcp", options, (socket) => {
    const record: TcpClientRecord = { remote: { host: socket.remoteAddress ?? "?", port: socket.remotePort ?? 0 }, lines: 0, open: true };
    if (clients.length >= MAX_CLIENT_RECORDS) clients.shift();
    clients.push(record);
    const peer = formatAddress(record.remote);
    trace?.note(peer, "connected");
    const splitter = new LineSplitter(maxLine);
    const answer = (line: Uint8Array) => {
      record.lines++;
      const reply = Buffer.concat([toUpperAscii(line), Buffer.from("\n")]);
      trace?.record(peer, name, line);
      trace?.record(name, peer, reply);
      socket.write(reply);
    };
    socket.setTimeout(idle, () => socket.end(`ERROR idle for ${idle} ms, closing\n`));
    socket.on("data", (chunk) => {
      try {
        splitter.push(chunk).forEach(answer);
      } catch (e) {
        if (!isAppLayerError(e, "LINE_TOO_LONG")) throw e;
        socket.end(`ERROR line longer than ${maxLine} bytes; send shorter lines\n`);
        socket.pause();
      }
    });
    socket.on("end", () => {
      // The client closed its sending side: answer a last unterminated line, then close ours.
      const rest = splitter.rest();
      if (rest.length) answer(rest);
      socket.end();
    });
    socket.on("close", () => {
      record.open = false;
      trace?.note(peer, "closed");
    });
  });
  name = `server ${formatAddress(service.address)}`;
  return { address: service.address, clients, close: () => service.close() };
}

/**
 * A persistent connection to a line-based server: `request` sends one line and
 * resolves with the next reply line. Replies are matched to requests in order
 * (a queue of expected replies), so requests may be pipelined.
 */
export class TcpLineClient implements Closable {
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private readonly splitter = new LineSplitter(TCP_UPPER_MAX_LINE);
  private ended: Error | undefined;

  private constructor(private readonly socket: net.Socket, private readonly trace?: Trace) {
    const fail = (why: string | AppLayerError) => {
      this.ended ??= typeof why === "string" ? new AppLayerError("CONNECTION_CLOSED", why) : why;
      for (const w of this.waiting.splice(0)) w.reject(this.ended);
    };
    socket.on("data", (chunk) => {
      let lines: Buffer[];
      try {
        lines = this.splitter.push(chunk);
      } catch (e) {
        // A server that floods past the line limit: the connection ends here, rather than an
        // exception in this handler and a buffer that grows for as long as the flood lasts.
        if (!isAppLayerError(e, "LINE_TOO_LONG")) throw e;
        fail(e);
        socket.destroy();
        return;
      }
      for (const line of lines) {
        trace?.record(this.serverName, this.name, line);
        this.waiting.shift()?.resolve(line.toString("latin1"));
      }
    });
    socket.on("error", (e) => fail(`connection to ${this.serverName} failed: ${e.message}`));
    socket.on("close", () => fail(`${this.serverName} closed the connection`));
  }

  /** Opens the connection (the TCP three-way handshake happens here). */
  static connect(options: CallOptions & { server: Address; trace?: Trace }): Promise<TcpLineClient> {
    return withDeadline(`TCP connect to ${formatAddress(options.server)}`, { timeoutMs: 5000, ...options }, (signal) =>
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: options.server.host, port: options.server.port, noDelay: true });
        signal.addEventListener("abort", () => socket.destroy());
        socket.once("error", (e: NodeJS.ErrnoException) =>
          reject(new AppLayerError("CONNECTION_CLOSED", `cannot connect to ${formatAddress(options.server)}: ${e.code === "ECONNREFUSED" ? "nothing is listening there (is the server started?)" : e.message}`)),
        );
        socket.once("connect", () => resolve(new TcpLineClient(socket, options.trace)));
      }),
    );
  }

  /** This end's address: the source port is how the server tells clients apart. */
  get localAddress(): Address {
    return { host: this.socket.localAddress ?? "?", port: this.socket.localPort ?? 0 };
  }
  private get name(): string {
    return formatAddress(this.localAddress);
  }
  private get serverName(): string {
    return `server ${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Sends `line` (a newline is added) and resolves with the reply line. */
  request(line: string, options: CallOptions = {}): Promise<string> {
    if (this.ended) return Promise.reject(this.ended);
    return withDeadline(`reply from ${this.serverName}`, { timeoutMs: 5000, ...options }, (signal) =>
      new Promise<string>((resolve, reject) => {
        // A reply that never came would pair every later reply with the wrong request,
        // so giving up on one request ends the connection.
        signal.addEventListener("abort", () => this.socket.destroy());
        this.waiting.push({ resolve, reject });
        const data = Buffer.from(`${line}\n`, "latin1");
        this.trace?.record(this.name, this.serverName, data);
        this.socket.write(data);
      }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
    });
  }
}

/**
 * The textbook TCP client: connect, send one line, read the reply, close.
 *
 * @example await tcpUpperRequest("hello", { server: server.address }) // "HELLO"
 */
export async function tcpUpperRequest(line: string, options: CallOptions & { server: Address; trace?: Trace }): Promise<string> {
  const client = await TcpLineClient.connect(options);
  try {
    return await client.request(line, options);
  } finally {
    await client.close();
  }
}
