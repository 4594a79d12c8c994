import * as net from "node:net";
import { Address } from "../../net/address";
import { FrameDecoder, encodeFrame } from "../../net/framing";
import { Closable, ListenOptions, bindTcp, closeTcpServer, releaseAddress, resolveListen, track, untrack } from "../../net/lifecycle";
import { DatagramSocket, Network, loopback } from "../../net/network";
import { DO_BIT, DnsMessage, FLAGS, decodeMessage, encodeMessage } from "../wire/codec";
import { TCP_IDLE_TIMEOUT_MS, TCP_MESSAGE_MAX, UDP_PAYLOAD_DEFAULT, UDP_PAYLOAD_MAX } from "../wire/limits";
import { wantsDnssec } from "../dnssec/serve";
import { COOKIE_OPTION } from "./cookie";
import { compressMessage } from "../wire/compress";
import { malformedDnssecIn } from "../dnssec/wellformed";
import { AppLayerError, isAppLayerError } from "../../errors";

/**
 * The edge of every DNS server in the lib: bytes become a query (or are refused),
 * a response becomes bytes that fit the transport, and UDP and TCP are served on
 * one port. The servers themselves only map a query to a response.
 */

/** What to do with incoming bytes: drop them, answer FORMERR, or handle the query. */
export type Intake = { drop: true } | { formerr: Buffer } | { query: DnsMessage };

/**
 * Checks incoming bytes: shorter than a header, or a response (QR set) → drop
 * silently (answering a response invites reply loops); undecodable → FORMERR
 * carrying the query's id, opcode and RD (RFC 1035 §4.1.1).
 */
export function intake(bytes: Uint8Array): Intake {
  if (bytes.length < 12 || bytes[2] & 0x80) return { drop: true };
  try {
    const query = decodeMessage(bytes).message;
    // A DNSSEC record dns-packet decoded but its RFC forbids (a key or signature of the wrong size, a bitmap out of order).
    if (query.additionals?.length || query.authorities?.length || query.answers?.length) {
      const why = malformedDnssecIn(query);
      if (why) throw new AppLayerError("DNS_FORMAT", why);
    }
    return { query };
  } catch {
    const out = Buffer.alloc(12);
    out[0] = bytes[0];
    out[1] = bytes[1];
    const flags = (bytes[2] << 8) | bytes[3];
    out.writeUInt16BE(FLAGS.QR | (flags & 0x7800) | (flags & FLAGS.RD) | 1, 2); // RCODE 1 = FORMERR
    return { formerr: out };
  }
}

/** The largest UDP reply a query allows: 512, or what its EDNS OPT record advertises (RFC 6891 §6.2.5). */
function udpLimit(query: DnsMessage): number {
  const opt = query.additionals?.find((r) => r.type === "OPT") as { udpPayloadSize?: number } | undefined;
  return opt ? Math.min(Math.max(opt.udpPayloadSize ?? UDP_PAYLOAD_DEFAULT, UDP_PAYLOAD_DEFAULT), UDP_PAYLOAD_MAX) : UDP_PAYLOAD_DEFAULT;
}

/**
 * Encodes a response for its transport, names compressed (RFC 1035 §4.1.4). EDNS is answered with EDNS (with `cookie`,
 * the COOKIE option's bytes, when the query sent one, and `ede`, an Extended DNS
 * Error). Over UDP, a
 * reply larger than the client allows goes out with TC set and only the question
 * (RFC 2181 §9), and the client asks again over TCP.
 */
export function encodeReply(query: DnsMessage, response: DnsMessage, transport: "udp" | "tcp", cookie?: Buffer, ede?: { code: number; data: Buffer }): { bytes: Buffer; response: DnsMessage } {
  // RFC 3225 §3: the DO bit is copied into the response. A COOKIE goes back with the server's part (RFC 7873 §5.2);
  // an Extended DNS Error says why a validating resolver failed (RFC 8914).
  const options = [...(cookie ? [{ code: COOKIE_OPTION, data: cookie }] : []), ...(ede ? [ede] : [])];
  const opt = query.additionals?.some((r) => r.type === "OPT") ? [{ name: ".", type: "OPT", udpPayloadSize: UDP_PAYLOAD_MAX, flags: wantsDnssec(query) ? DO_BIT : 0, options } as never] : [];
  const full: DnsMessage = { ...response, additionals: [...(response.additionals ?? []), ...opt] };
  const bytes = compressMessage(encodeMessage(full));
  if (transport === "tcp" || bytes.length <= udpLimit(query)) return { bytes, response: full };
  const truncated: DnsMessage = { ...response, flags: (response.flags ?? 0) | FLAGS.TC, answers: [], authorities: [], additionals: opt };
  return { bytes: compressMessage(encodeMessage(truncated)), response: truncated };
}

/** How many free ports serving UDP and TCP on one port number may try before giving up. */
export const FREE_PORT_ATTEMPTS = 5;

/** Maps one query's bytes to the reply's bytes (or undefined: stay silent). */
export type DnsHandler = (bytes: Uint8Array, from: Address, transport: "udp" | "tcp") => Buffer | undefined | Promise<Buffer | undefined>;

/** A bound DNS endpoint: UDP, and TCP on the same port. */
export interface DnsEndpoint extends Closable {
  readonly address: Address;
}

/**
 * Serves `handler` over UDP (on any {@link Network}) and, on loopback, over TCP on
 * the same port: length-prefixed messages, several per connection (RFC 7766),
 * idle connections closed after TCP_IDLE_TIMEOUT_MS.
 */
export async function serveDnsTransport(options: ListenOptions & { network?: Network; tcp?: boolean }, handler: DnsHandler, kind = "dns"): Promise<DnsEndpoint> {
  const network = options.network ?? loopback;
  if (network === loopback && options.port) await releaseAddress(kind, resolveListen(options)); // a re-run cell's old server
  const sockets = new Set<net.Socket>();
  const serveTcp = options.tcp ?? network === loopback;
  let udp: DatagramSocket;
  let tcp: net.Server | undefined;
  for (let attempt = 1; ; attempt++) {
    udp = await network.openUdp(options);
    if (!serveTcp) break;
    const where = resolveListen(udp.address);
    await releaseAddress("tcp", where);
    tcp = net.createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      options.capture?.tapTcp(socket, "server");
      const from = { host: socket.remoteAddress ?? "?", port: socket.remotePort ?? 0 };
      const frames = new FrameDecoder(2, TCP_MESSAGE_MAX);
      socket.setTimeout(TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
      socket.on("data", async (chunk) => {
        for (const frame of frames.push(chunk)) {
          const reply = await handler(frame, from, "tcp");
          if (reply && !socket.destroyed) socket.write(encodeFrame(reply));
        }
      });
      socket.on("end", () => socket.end());
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    });
    try {
      await bindTcp(tcp, where);
      break;
    } catch (e) {
      await udp.close();
      // Port 0 gave a port free for UDP that some TCP socket already holds: take another (seen under load).
      if (options.port || !isAppLayerError(e, "BAD_ADDRESS") || attempt >= FREE_PORT_ATTEMPTS) throw e;
    }
  }
  options.capture?.serves(udp.address, "dns");
  udp.onMessage((bytes, from) => {
    // A synchronous handler (the authoritative server's) replies at once: no promise per datagram.
    const reply = handler(bytes, from, "udp");
    if (reply instanceof Promise) reply.then((r) => r && udp.send(r, from));
    else if (reply) udp.send(reply, from);
  });

  let closing: Promise<void> | undefined;
  const endpoint: DnsEndpoint = {
    address: udp.address,
    close() {
      return (closing ??= (async () => {
        untrack(endpoint);
        await udp.close();
        if (tcp) await closeTcpServer(tcp, sockets);
      })());
    },
  };
  return track(endpoint, kind, udp.address);
}
