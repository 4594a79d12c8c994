import { Address, formatAddress } from "../../net/address";
import { Closable, ListenOptions } from "../../net/lifecycle";
import { Network, loopback } from "../../net/network";
import { Trace } from "../../lab/trace";
import { AnswerKind, Authority } from "./authority";
import { DnsMessage, FLAGS, RCODES, nameKey, encodeMessage, rcodeOf, queryKey } from "../wire/codec";
import { PacketCache } from "./packet-cache";
import { exchange } from "../transport/client";
import { UpdateMessage, applyUpdate, decodeUpdate, isUpdate, updateReply } from "./update";
import { summarizeMessage } from "../wire/records";
import { encodeReply, intake, serveDnsTransport } from "../transport/endpoint";
import { Zone } from "../wire/zone";
import { ResponseRateLimiter, RrlOptions } from "./rrl";
import { newCookieSecret, readCookie, serverCookie } from "../transport/cookie";

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
  options: { allowUpdate?: boolean; cache?: PacketCache; cookieSecret?: Buffer } = {},
): { reply?: Buffer; query?: DnsMessage; response?: DnsMessage } {
  if (isUpdate(bytes) && !(bytes[2] & 0x80)) {
    const reply = update(authority, bytes, source, options.allowUpdate ?? false);
    if (rcodeOf(reply) === "NOERROR") options.cache?.clear(); // a zone changed: cached replies may be stale
    return { reply: encodeMessage(reply) };
  }
  const key = options.cache && bytes.length >= 12 && !(bytes[2] & 0x80) ? queryKey(bytes) : undefined;
  const hit = key !== undefined ? options.cache!.get(key, bytes, transport) : undefined;
  if (hit) {
    stats.total++;
    bump(stats.byType, hit.type);
    bump(stats.bySource, source);
    bump(stats.byKind as Record<string, number>, hit.kind);
    return { reply: hit.reply };
  }
  const got = intake(bytes);
  if ("drop" in got) {
    stats.dropped++;
    return {};
  }
  stats.total++;
  if ("formerr" in got) {
    bump(stats.byKind as Record<string, number>, "formerr");
    return { reply: got.formerr };
  }
  const client = readCookie((got.query.additionals?.find((r) => r.type === "OPT") as { options?: Array<{ code: number; data?: Uint8Array }> } | undefined)?.options);
  if (client === "malformed") {
    bump(stats.byKind as Record<string, number>, "formerr");
    return { reply: encodeMessage({ id: got.query.id, type: "response", flags: FLAGS.QR | RCODES.FORMERR | ((got.query.flags ?? 0) & FLAGS.RD), questions: got.query.questions ?? [] } as DnsMessage) };
  }
  const { response, kind, rotated } = authority.answer(got.query);
  const type = got.query.questions?.[0]?.type ?? "?";
  bump(stats.byType, type);
  bump(stats.bySource, source);
  bump(stats.byKind as Record<string, number>, kind);
  const cookie = client && options.cookieSecret ? Buffer.concat([client, serverCookie(client, source, options.cookieSecret)]) : undefined;
  const out = encodeReply(got.query, response, transport, cookie);
  // A reply with a cookie is for one client at one time: it is not cached.
  if (key !== undefined && !client) options.cache!.set(key, transport, { reply: out.bytes, type, kind }, rotated ?? 1);
  return { reply: out.bytes, query: got.query, response: out.response };
}

/**
 * Handles a dynamic UPDATE: REFUSED unless updates are allowed and the client is
 * on loopback; NOTAUTH for a zone we do not serve; else the zone changes (or not).
 */
function update(authority: Authority, bytes: Uint8Array, source: string, allowed: boolean): DnsMessage {
  let msg: UpdateMessage;
  try {
    msg = decodeUpdate(bytes);
  } catch {
    return updateReply({ id: (bytes[0] << 8) | bytes[1] }, "FORMERR");
  }
  if (!allowed || !source.startsWith("127.")) return updateReply(msg, "REFUSED");
  const zone = authority.served.find((z) => z.origin === nameKey(msg.zone.name));
  if (!zone || msg.zone.type !== "SOA") return updateReply(msg, "NOTAUTH");
  return updateReply(msg, applyUpdate(zone, msg));
}

const wantsRecursion = (m: DnsMessage) => ((m.flags ?? 0) & FLAGS.RD) !== 0;

/** Chained recursion: follow a referral by asking the next server ourselves, and relay its answer under our query's id. */
async function recurse(query: DnsMessage, response: DnsMessage, network: Network, self: Address): Promise<DnsMessage | undefined> {
  const isReferral = !(response.answers?.length) && !((response.flags ?? 0) & FLAGS.AA) && response.authorities?.some((r) => r.type === "NS");
  const glue = response.additionals?.find((r) => r.type === "A") as { data: string } | undefined;
  if (!isReferral || !glue) return undefined;
  try {
    const ex = await exchange({ host: glue.data, port: self.port }, query.questions![0], { network, recursionDesired: true, timeoutMs: 2000, source: { host: self.host } });
    return { ...ex.response, id: query.id, flags: (ex.response.flags ?? 0) | FLAGS.QR };
  } catch {
    return { ...response, answers: [], authorities: [], additionals: [], flags: FLAGS.QR | FLAGS.RD | RCODES.SERVFAIL };
  }
}

/** A running authoritative DNS server (UDP and TCP on the same port). */
export interface DnsServer extends Closable {
  readonly address: Address;
  readonly stats: QueryStats;
  readonly authority: Authority;
  /** With rrl: responses sent, dropped and slipped. */
  readonly rrl?: { sent: number; dropped: number; slipped: number };
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
  /** Accept dynamic UPDATEs (RFC 2136) from loopback clients (default: refused). */
  allowUpdate?: boolean;
  /**
   * Recursive mode, the textbook's Figure 2.20: when a query with RD set would get a
   * referral, ask the referred server (with RD) and relay its final answer instead.
   * Real root and TLD servers never do this; the lesson measures why.
   */
  recursive?: boolean;
  /** Response rate limiting over UDP, per client /24 (see ResponseRateLimiter). */
  rrl?: RrlOptions;
}

/**
 * The reply RRL "slips" instead of an answer: the question only, TC set, so a
 * real client retries over TCP (RFC 2181 §9 truncation). Undefined for bytes that
 * are not a query.
 */
function slipReply(bytes: Uint8Array): Buffer | undefined {
  const got = intake(bytes);
  if (!("query" in got)) return undefined;
  const q = got.query;
  return encodeMessage({ id: q.id, type: "response", flags: FLAGS.QR | FLAGS.TC | ((q.flags ?? 0) & FLAGS.RD), questions: q.questions ?? [], answers: [], authorities: [], additionals: [] } as DnsMessage);
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
  const authority = new Authority(options.zones);
  const stats = newQueryStats();
  // A traced server decodes every query, to show it; a recursive one must recurse every time.
  const cache = options.trace || options.recursive ? undefined : new PacketCache();
  let name = options.name ?? "server";
  const rrl = options.rrl ? new ResponseRateLimiter(options.rrl) : undefined;
  const cookieSecret = newCookieSecret();
  const clock = (options.network ?? loopback).clock;
  const endpoint = await serveDnsTransport(options, (bytes, from, transport) => {
    if (rrl && transport === "udp") {
      const decision = rrl.decide(from.host, clock.now());
      if (decision === "drop") return undefined;
      if (decision === "slip") return slipReply(bytes);
    }
    const out = respond(authority, bytes, transport, stats, from.host, { allowUpdate: options.allowUpdate, cache, cookieSecret });
    if (options.trace && out.query) options.trace.record(formatAddress(from), name, summarizeMessage(out.query));
    if (options.recursive && out.query && out.response && wantsRecursion(out.query)) {
      const query = out.query;
      return recurse(query, out.response, options.network ?? loopback, endpoint.address).then((relayed) => (relayed ? encodeReply(query, relayed, transport).bytes : out.reply));
    }
    if (options.trace && out.response) options.trace.record(name, formatAddress(from), summarizeMessage(out.response));
    return out.reply;
  });
  name = options.name ?? `server ${formatAddress(endpoint.address)}`;
  return { address: endpoint.address, stats, authority, rrl: rrl?.stats, close: () => endpoint.close() };
}
