import { randomInt } from "node:crypto";
import * as net from "node:net";
import { AppLayerError } from "../../errors";
import { Address, formatAddress } from "../../net/address";
import { FrameDecoder, encodeFrame } from "../../net/framing";
import { CallOptions, withDeadline } from "../../net/lifecycle";
import { Network, loopback } from "../../net/network";
import { DO_BIT, DnsMessage, DnsQuestion, FLAGS, nameKey, decodeMessage, encodeMessage, rcodeOf } from "../wire/codec";
import { RRTuple, rrTuple } from "../wire/records";
import { TCP_MESSAGE_MAX } from "../wire/limits";

/** One query and its reply, with the facts a lesson shows about them. */
export interface Exchange {
  query: DnsMessage;
  response: DnsMessage;
  /** The query and reply as they went over the wire (the reply of the final transport). */
  queryBytes: Buffer;
  responseBytes: Buffer;
  transport: "udp" | "tcp";
  rttMs: number;
  /** The UDP reply was truncated (TC) and the query was repeated over TCP. */
  retriedOverTcp: boolean;
}

export interface ExchangeOptions extends CallOptions {
  network?: Network;
  /** Ask the server to recurse (RD). Stub clients do; a resolver talking to authoritative servers does not. */
  recursionDesired?: boolean;
  /** Add an EDNS OPT record advertising a larger UDP buffer (RFC 6891). */
  edns?: boolean;
  /** Ask for DNSSEC records: EDNS with the DO bit (RFC 3225). */
  dnssec?: boolean;
  /** The query's id (default: from the crypto RNG). A simulation passes a seeded one, to be repeatable. */
  id?: number;
  /** Set CD: a validating resolver passes even bogus data on, for the client to check (RFC 4035 §3.2.2). */
  checkingDisabled?: boolean;
  /** Accept only a reply that echoes the question's letter case exactly (0x20, draft-vixie-dnsext-dns0x20). */
  exactCase?: boolean;
  /** Go straight to TCP. */
  tcp?: boolean;
  /** The client's own address (default: the network's default host, a free port). */
  source?: { host?: string; port?: number };
  /** Called for each datagram ignored as forged: wrong source, id or question. */
  onForged?: (why: string) => void;
}

/**
 * Why a datagram is not the reply to our query, or undefined if it is. A resolver
 * checks all of this (RFC 5452 §3): an off-path attacker must guess the source
 * port *and* the 16-bit id, and echo the question, to poison a cache.
 */
export function forgeryCheck(query: DnsMessage, server: Address, from: Address, bytes: Uint8Array, exactCase = false): string | undefined {
  if (from.host !== server.host || from.port !== server.port) return `from ${formatAddress(from)}, not the server ${formatAddress(server)}`;
  // The id first, from the header's first two bytes: a flood of guesses costs no decoding.
  const id = bytes.length >= 2 ? (bytes[0] << 8) | bytes[1] : -1;
  if (id !== query.id) return `id ${id}, not ${query.id}`;
  let m: DnsMessage;
  try {
    m = decodeMessage(bytes).message;
  } catch {
    return "not a DNS message";
  }
  if (m.type !== "response") return "not a response";
  const q = query.questions![0];
  const a = m.questions?.[0];
  if (!a || nameKey(a.name) !== nameKey(q.name) || a.type !== q.type) return "a different question";
  if (exactCase && a.name.replace(/\.$/, "") !== q.name.replace(/\.$/, "")) return `the question's letter case differs (${a.name}, not ${q.name})`;
  return undefined;
}

/**
 * Sends one DNS query and returns the reply: a fresh socket (so a random source
 * port) and a random 16-bit id per query; replies that fail {@link forgeryCheck}
 * are ignored. A truncated UDP reply is retried over TCP (on loopback).
 *
 * @example
 * const ex = await exchange({ host: "127.0.0.1", port: 5300 }, { name: "gaia.cs.umass.edu", type: "A" });
 * ex.response.answers; // [{ name: "gaia.cs.umass.edu", type: "A", data: "127.0.1.12", … }]
 */
export async function exchange(server: Address, question: DnsQuestion, options: ExchangeOptions = {}): Promise<Exchange> {
  const network = options.network ?? loopback;
  const query: DnsMessage = {
    id: options.id ?? randomInt(0, 65536),
    type: "query",
    flags: (options.recursionDesired ? FLAGS.RD : 0) | (options.checkingDisabled ? FLAGS.CD : 0),
    questions: [{ class: "IN", ...question }],
    additionals: options.edns || options.dnssec ? [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: options.dnssec ? DO_BIT : 0, options: [] } as never] : [],
  };
  const queryBytes = encodeMessage(query);
  const start = network.clock.now();
  const what = `DNS query ${question.name} ${question.type} to ${formatAddress(server)}`;
  const done = (responseBytes: Buffer, transport: "udp" | "tcp", retriedOverTcp: boolean): Exchange => ({
    query, response: decodeMessage(responseBytes).message, queryBytes, responseBytes, transport, rttMs: network.clock.now() - start, retriedOverTcp,
  });
  if (options.tcp) return done(await tcpExchange(server, queryBytes, what, options), "tcp", false);

  const socket = await network.openUdp({ host: options.source?.host, port: options.source?.port });
  let reply: Buffer;
  try {
    reply = await withDeadline(what, { timeoutMs: 2000, ...options }, () =>
      new Promise<Buffer>((resolve) => {
        socket.onMessage((bytes, from) => {
          const why = forgeryCheck(query, server, from, bytes, options.exactCase);
          if (why) options.onForged?.(why);
          else resolve(Buffer.from(bytes));
        });
        socket.send(queryBytes, server);
      }), network.clock);
  } finally {
    await socket.close();
  }
  if (reply[2] & (FLAGS.TC >> 8) && network === loopback) {
    return done(await tcpExchange(server, queryBytes, what, options), "tcp", true);
  }
  return done(reply, "udp", false);
}

/** One query over TCP: connect, send it with its 2-byte length, read one framed reply. */
function tcpExchange(server: Address, queryBytes: Buffer, what: string, options: CallOptions): Promise<Buffer> {
  return withDeadline(`${what} over TCP`, { timeoutMs: 2000, ...options }, (signal) =>
    new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect({ port: server.port, host: server.host, noDelay: true });
      const frames = new FrameDecoder(2, TCP_MESSAGE_MAX);
      signal.addEventListener("abort", () => socket.destroy());
      socket.on("connect", () => socket.write(encodeFrame(queryBytes)));
      socket.on("data", (chunk) => {
        const [frame] = frames.push(chunk);
        if (frame) {
          socket.end();
          resolve(Buffer.from(frame));
        }
      });
      socket.on("error", (e) => reject(new AppLayerError("CONNECTION_CLOSED", `${what} over TCP: ${e.message}`)));
      socket.on("close", () => reject(new AppLayerError("CONNECTION_CLOSED", `${what} over TCP: closed before a reply`)));
    }),
  );
}

/** The dig command that asks the same question of the same server. */
export function digCommand(server: Address, name: string, type: string, options: { recursionDesired?: boolean; tcp?: boolean } = {}): string {
  const flags = [options.recursionDesired === false ? "+norecurse" : "", options.tcp ? "+tcp" : ""].filter(Boolean);
  return ["dig", `@${server.host}`, ...(server.port === 53 ? [] : ["-p", String(server.port)]), name, type, ...flags].join(" ");
}

/** What {@link lookup} found: the records as the textbook's tuples, and how to ask dig the same. */
export interface Lookup {
  rcode: string;
  records: RRTuple[];
  /** The authority section (SOA of a negative answer, NS of a referral). */
  authority: RRTuple[];
  rttMs: number;
  dig: string;
}

/**
 * Asks one server one question (recursively by default) and returns the answer as
 * (name, value, type, ttl) tuples, ready for console.table, with the equivalent
 * dig command.
 *
 * @example console.table((await lookup("www.ibm.com", "A", { server: world.resolver.address })).records);
 */
export async function lookup(name: string, type: string, options: ExchangeOptions & { server: Address }): Promise<Lookup> {
  const ex = await exchange(options.server, { name, type: type as never }, { recursionDesired: true, ...options });
  return {
    rcode: rcodeOf(ex.response),
    records: (ex.response.answers ?? []).map(rrTuple),
    authority: (ex.response.authorities ?? []).map(rrTuple),
    rttMs: ex.rttMs,
    dig: digCommand(options.server, name, type, { recursionDesired: options.recursionDesired ?? true, tcp: options.tcp }),
  };
}
