import * as net from "node:net";
import { Address, formatAddress } from "../net/address";
import { FrameDecoder, encodeFrame } from "../net/framing";
import { Closable, ListenOptions, bindTcp, releaseAddress, resolveListen, track, untrack } from "../net/lifecycle";
import { Network, loopback } from "../net/network";
import { Trace } from "../lab/trace";
import { CLOSE_GRACE_MS } from "../sockets/limits";
import { AnswerKind, Authority } from "./authority";
import { DnsMessage, FLAGS, decodeMessage, encodeMessage } from "./codec";
import { TCP_IDLE_TIMEOUT_MS, TCP_MESSAGE_MAX, UDP_PAYLOAD_DEFAULT, UDP_PAYLOAD_MAX } from "./limits";
import { summarizeMessage } from "./records";
import { Zone } from "./zone";

/** What a server has answered: the load charts are drawn from these counters. */
export interface QueryStats {
  total: number;
  byType: Record<string, number>;
  bySource: Record<string, number>;
  byKind: Partial<Record<AnswerKind, number>>;
  /** Datagrams too broken to answer at all (shorter than a header, or a response). */
  dropped: number;
}

export const newQueryStats = (): QueryStats => ({ total: 0, byType: {}, bySource: {}, byKind: {}, dropped: 0 });

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/** The largest UDP reply this query allows: 512, or what its EDNS OPT record advertises (RFC 6891). */
function udpLimit(query: DnsMessage): number {
  const opt = query.additionals?.find((r) => r.type === "OPT") as { udpPayloadSize?: number } | undefined;
  return opt ? Math.min(Math.max(opt.udpPayloadSize ?? UDP_PAYLOAD_DEFAULT, UDP_PAYLOAD_DEFAULT), UDP_PAYLOAD_MAX) : UDP_PAYLOAD_DEFAULT;
}

/** FORMERR for a message whose header we could read but whose body we could not (RFC 1035 §4.1.1). */
function formerr(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(12);
  out[0] = bytes[0];
  out[1] = bytes[1];
  const flags = (bytes[2] << 8) | bytes[3];
  out.writeUInt16BE(FLAGS.QR | (flags & 0x7800) | (flags & FLAGS.RD) | 1, 2); // keep opcode and RD, RCODE=1
  return out;
}

/**
 * One query's bytes in, the reply's bytes out (or undefined: stay silent). Never
 * throws on bad input: a message shorter than a header, or one that is itself a
 * response, is dropped; an undecodable one gets FORMERR. Over UDP, a reply larger
 * than the client allows is sent empty with TC set, and the client retries over TCP.
 */
export function respond(
  authority: Authority,
  bytes: Uint8Array,
  transport: "udp" | "tcp",
  stats: QueryStats = newQueryStats(),
  source = "?",
): { reply?: Buffer; query?: DnsMessage; response?: DnsMessage } {
  if (bytes.length < 12 || bytes[2] & 0x80) {
    stats.dropped++;
    return {};
  }
  let query: DnsMessage;
  try {
    query = decodeMessage(bytes).message;
  } catch {
    stats.total++;
    bump(stats.byKind as Record<string, number>, "formerr");
    return { reply: formerr(bytes) };
  }
  const { response, kind } = authority.answer(query);
  stats.total++;
  bump(stats.byType, query.questions?.[0]?.type ?? "?");
  bump(stats.bySource, source);
  bump(stats.byKind as Record<string, number>, kind);
  const opt = query.additionals?.find((r) => r.type === "OPT");
  if (opt) response.additionals = [...(response.additionals ?? []), { name: ".", type: "OPT", udpPayloadSize: UDP_PAYLOAD_MAX, flags: 0, options: [] } as never];
  let reply = encodeMessage(response);
  if (transport === "udp" && reply.length > udpLimit(query)) {
    // RFC 2181 §9: set TC and send what fits; we send only the question, and the client asks again over TCP.
    const truncated: DnsMessage = { ...response, flags: (response.flags ?? 0) | FLAGS.TC, answers: [], authorities: [], additionals: opt ? response.additionals!.slice(-1) : [] };
    reply = encodeMessage(truncated);
    return { reply, query, response: truncated };
  }
  return { reply, query, response };
}

/** A running authoritative DNS server (UDP and TCP on the same port). */
export interface DnsServer extends Closable {
  readonly address: Address;
  readonly stats: QueryStats;
  readonly authority: Authority;
}

export interface DnsServerOptions extends ListenOptions {
  zones: Zone[];
  /** Where UDP runs: real loopback (default) or a SimNetwork. TCP runs on loopback only. */
  network?: Network;
  /** Also serve TCP on the same port (default: true on loopback). */
  tcp?: boolean;
  /** Records each query and reply, for transcripts and sequence diagrams. */
  trace?: Trace;
  /** A name for the trace (default "server H:N"). */
  name?: string;
}

/**
 * Starts an authoritative DNS server for `zones`: UDP, and TCP on the same port
 * (length-prefixed, RFC 1035 §4.2.2; several queries per connection, RFC 7766).
 * Every query is counted by type, by source and by kind of answer.
 *
 * @example
 * const server = await serveDns({ zones: [umass], port: 0 });
 * // dig @127.0.0.1 -p ${server.address.port} gaia.cs.umass.edu +norecurse
 */
export async function serveDns(options: DnsServerOptions): Promise<DnsServer> {
  const network = options.network ?? loopback;
  const authority = new Authority(options.zones);
  const stats = newQueryStats();
  const udp = await network.openUdp(options);
  const name = options.name ?? `server ${formatAddress(udp.address)}`;
  const handle = (bytes: Uint8Array, from: Address, transport: "udp" | "tcp") => {
    const peer = formatAddress(from);
    const out = respond(authority, bytes, transport, stats, from.host);
    if (options.trace && out.query) options.trace.record(peer, name, summarizeMessage(out.query));
    if (options.trace && out.response) options.trace.record(name, peer, summarizeMessage(out.response));
    return out.reply;
  };
  udp.onMessage((bytes, from) => {
    const reply = handle(bytes, from, "udp");
    if (reply) udp.send(reply, from);
  });

  let tcp: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  if (options.tcp ?? network === loopback) {
    const where = resolveListen({ host: udp.address.host, port: udp.address.port });
    await releaseAddress("tcp", where);
    tcp = net.createServer((socket) => {
      sockets.add(socket);
      const from = { host: socket.remoteAddress ?? "?", port: socket.remotePort ?? 0 };
      const frames = new FrameDecoder(2, TCP_MESSAGE_MAX);
      socket.setTimeout(TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
      socket.on("data", (chunk) => {
        for (const frame of frames.push(chunk)) {
          const reply = handle(frame, from, "tcp");
          if (reply) socket.write(encodeFrame(reply));
        }
      });
      socket.on("end", () => socket.end());
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    });
    await bindTcp(tcp, where);
  }

  let closing: Promise<void> | undefined;
  const server: DnsServer = {
    address: udp.address,
    stats,
    authority,
    close() {
      return (closing ??= (async () => {
        untrack(server);
        await udp.close();
        if (tcp) {
          const closed = new Promise<void>((r) => tcp!.close(() => r()));
          for (const s of sockets) s.end();
          setTimeout(() => sockets.forEach((s) => s.destroy()), CLOSE_GRACE_MS).unref();
          await closed;
        }
      })());
    },
  };
  return track(server, "dns", udp.address);
}
