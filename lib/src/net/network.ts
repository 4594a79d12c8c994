import * as dgram from "node:dgram";
import { Address } from "./address";
import { Clock, realClock } from "./clock";
import { Closable, ListenOptions, WireTap, bindUdp, resolveListen, track, untrack, releaseAddress } from "./lifecycle";

/** A UDP socket, real or simulated: no connection, the destination rides on every datagram. */
export interface DatagramSocket extends Closable {
  /** The address this socket is bound to; replies come back here. */
  readonly address: Address;
  /** Sends one datagram. Nothing tells you whether it arrived — that is UDP. */
  send(data: Uint8Array, to: Address): void;
  /** Calls `handler` for each datagram that arrives, with the sender's address. */
  onMessage(handler: (data: Uint8Array, from: Address) => void): void;
}

/**
 * What protocol code needs from a network. {@link loopback} is the real one
 * (node:dgram on 127.0.0.x); `SimNetwork` is a simulated one with a virtual clock.
 * Code written against this interface runs unchanged on both.
 */
export interface Network {
  readonly name: string;
  readonly clock: Clock;
  openUdp(options?: ListenOptions): Promise<DatagramSocket>;
}

class RealDatagramSocket implements DatagramSocket {
  private closed = false;
  constructor(private readonly socket: dgram.Socket, readonly address: Address, private readonly capture?: WireTap) {
    // ICMP port-unreachable surfaces as an error on some systems; a datagram
    // service shrugs it off, just as a lost datagram would be.
    socket.on("error", () => undefined);
    if (capture) socket.on("message", (msg, rinfo) => capture.udp({ host: rinfo.address, port: rinfo.port }, address, msg));
  }
  send(data: Uint8Array, to: Address): void {
    if (this.closed) return;
    this.capture?.udp(this.address, to, data);
    this.socket.send(data, to.port, to.host);
  }
  onMessage(handler: (data: Uint8Array, from: Address) => void): void {
    this.socket.on("message", (msg, rinfo) => handler(msg, { host: rinfo.address, port: rinfo.port }));
  }
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    untrack(this);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/**
 * Opens a real UDP socket on loopback (default 127.0.0.1, a free port).
 *
 * @example
 * const s = await openUdp();
 * s.onMessage((data, from) => console.log(from, data.toString()));
 */
export async function openUdp(options: ListenOptions = {}): Promise<DatagramSocket> {
  const where = resolveListen(options);
  if (where.port !== 0) await releaseAddress("udp", where);
  const socket = dgram.createSocket("udp4");
  const address = await bindUdp(socket, where);
  return track(new RealDatagramSocket(socket, address, options.capture), "udp", address);
}

/** The real network: loopback sockets and the wall clock. */
export const loopback: Network = { name: "loopback", clock: realClock, openUdp };
