import { Address, formatAddress } from "../net/address";
import { CallOptions, Closable, ListenOptions, withDeadline } from "../net/lifecycle";
import { Network, loopback } from "../net/network";
import { Trace } from "../lab/trace";
import { toUpperAscii } from "./uppercase";

/** The UDP uppercase server of the socket-programming lesson. */
export interface UdpUpperServer extends Closable {
  readonly address: Address;
  /** Datagrams answered so far. */
  readonly stats: { datagrams: number; bytes: number };
}

/** Where a UDP server or client runs: the real loopback (default) or a SimNetwork. */
export interface OnNetwork {
  network?: Network;
  /** Records every datagram in and out, for transcripts and sequence diagrams. */
  trace?: Trace;
}

/**
 * Starts the UDP uppercase server: every datagram that arrives is answered with
 * its bytes uppercased, sent back to the address *read from that datagram*. There
 * is no connection and no handshake — just one socket that every client shares.
 *
 * @example
 * const server = await serveUdpUpper();                 // 127.0.0.1, a free port
 * const sim = await serveUdpUpper({ network: mySim, host: "10.0.0.2", port: 12000 });
 */
export async function serveUdpUpper(options: ListenOptions & OnNetwork = {}): Promise<UdpUpperServer> {
  const socket = await (options.network ?? loopback).openUdp(options);
  const stats = { datagrams: 0, bytes: 0 };
  const name = `server ${formatAddress(socket.address)}`;
  socket.onMessage((data, from) => {
    stats.datagrams++;
    stats.bytes += data.length;
    const reply = toUpperAscii(data);
    options.trace?.record(formatAddress(from), name, data);
    options.trace?.record(name, formatAddress(from), reply);
    socket.send(reply, from);
  });
  return { address: socket.address, stats, close: () => socket.close() };
}

/**
 * The UDP client: opens a socket, attaches the server's address to one datagram,
 * waits for one reply from that address, closes. If the datagram or its reply is
 * lost, nothing ever arrives — hence the timeout (default 2 s, error `TIMEOUT`).
 *
 * @example await udpUpperRequest("hello", { server: server.address }) // "HELLO"
 */
export async function udpUpperRequest(
  message: string | Uint8Array,
  options: CallOptions & OnNetwork & { server: Address },
): Promise<string> {
  const network = options.network ?? loopback;
  const socket = await network.openUdp();
  const me = formatAddress(socket.address);
  const them = `server ${formatAddress(options.server)}`;
  const data = typeof message === "string" ? Buffer.from(message) : message;
  try {
    return await withDeadline(
      `UDP request to ${formatAddress(options.server)}`,
      { timeoutMs: 2000, ...options },
      () =>
        new Promise<string>((resolve) => {
          socket.onMessage((reply, from) => {
            // Anyone may send to our port; only the server's reply counts.
            if (from.host !== options.server.host || from.port !== options.server.port) return;
            options.trace?.record(them, me, reply);
            resolve(Buffer.from(reply).toString("latin1"));
          });
          options.trace?.record(me, them, data);
          socket.send(data, options.server);
        }),
      network.clock,
    );
  } finally {
    await socket.close();
  }
}
