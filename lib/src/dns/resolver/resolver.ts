import { Address } from "../../net/address";
import { ListenOptions } from "../../net/lifecycle";
import { Network, loopback } from "../../net/network";
import { Trace } from "../../lab/trace";
import { Random } from "../../sim/random";
import { DnsCache } from "./cache";
import { exchange } from "../transport/client";
import { DnsMessage, DnsRecord, FLAGS, RCODES, Rcode, nameKey, queryKey } from "../wire/codec";
import { ChainValidator, Verdict, edeOption, trustAnchorFrom } from "../dnssec/chain";
import { wantsDnssec } from "../dnssec/serve";
import { MAX_CACHE_ENTRIES, UNRESPONSIVE_HOLD_MS, UPSTREAM_TIMEOUT_MS } from "../wire/limits";
import { summarizeMessage } from "../wire/records";
import { AuthoritySection, Hop, Resolution } from "./resolution";
import { DnsEndpoint, encodeReply, intake, serveDnsTransport } from "../transport/endpoint";
import { MessageCache } from "./message-cache";

/** One upstream query as it happened: the state machine's verdict plus time and the messages. */
export interface TimedHop extends Hop {
  /** When the query left, in ms since the resolution began. */
  at: number;
  rttMs?: number;
  query?: DnsMessage;
  response?: DnsMessage;
}

/** The outcome of one resolution. */
export interface Resolved {
  rcode: Rcode;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  /** Every upstream query, in order; empty when the cache answered. */
  hops: TimedHop[];
  ms: number;
  /** With a trust anchor: secure, insecure or bogus (then rcode is SERVFAIL and the data withheld), and the chain walked. */
  security?: Verdict;
}

export interface ResolverOptions {
  /** Root hints: NS records for "." and the roots' addresses (see parseRecords). */
  hints: DnsRecord[];
  network?: Network;
  /** The port every upstream server listens on (53 in the real world). */
  upstreamPort?: number;
  cache?: DnsCache;
  /** Seeds the choice among equal servers (the ids and ports stay random). */
  seed?: number;
  timeoutMs?: number;
  /** Records each upstream query and reply, for sequence diagrams. */
  trace?: Trace;
  /** The resolver's name in traces. */
  name?: string;
  /** Ask upstream servers to recurse (RD), as a forwarder does; the textbook's recursive mode. */
  recursionDesired?: boolean;
  /** The address upstream queries leave from (the local server's own, so replies come back to it). */
  sourceHost?: string;
  /**
   * Where upstream queries' source ports come from: a port drawn at random from
   * [first, first + count) for every query (RFC 5452 §9.2). Default: a fresh
   * ephemeral port from the network. `count: 1` is a fixed port, as resolvers
   * had before 2008: then only the 16-bit id stands between a cache and a forger.
   */
  sourcePorts?: { first: number; count: number };
  /** Ask upstream with random letter case and insist the reply echoes it (0x20): more bits a forger must guess. */
  mixedCase?: boolean;
  /**
   * Validate with DNSSEC from this anchor (DS or DNSKEY records of one zone, usually
   * the root): AD on secure answers, SERVFAIL with an Extended DNS Error on bogus ones.
   */
  trustAnchor?: DnsRecord[];
  /** What to take from beside an authoritative answer: nothing (the default), or, as resolvers before 2008 did, its NS records and addresses (see AuthoritySection). */
  authoritySection?: AuthoritySection;
}

/**
 * A local DNS server's resolving engine: recursive toward its clients, iterative
 * toward the hierarchy. It drives a {@link Resolution} per question over real or
 * simulated sockets, with a cache shared by all of them.
 *
 * @example
 * const resolver = new Resolver({ hints: parseRecords(rootHints), upstreamPort: 53 });
 * const r = await resolver.resolve("gaia.cs.umass.edu", "A");
 * r.hops.map((h) => `${h.serverName}: ${h.outcome}`); // root: referral to edu., …
 */
export class Resolver {
  readonly cache: DnsCache;
  readonly stats = { resolutions: 0, upstreamQueries: 0, timeouts: 0, forged: 0 };
  /** With a trust anchor: the chain of trust, its keys and verdicts cached. */
  readonly validator?: ChainValidator;
  private readonly network: Network;
  private readonly rng: Random;
  /** Servers that timed out, until when they are asked only as a last resort (RFC 1035 §7.2). */
  private readonly unresponsive = new Map<string, number>();
  private readonly avoid = (address: string): boolean => (this.unresponsive.get(address) ?? 0) > this.network.clock.now();

  constructor(readonly options: ResolverOptions) {
    this.network = options.network ?? loopback;
    this.cache = options.cache ?? new DnsCache(this.network.clock);
    this.rng = new Random(options.seed ?? 1);
    if (options.trustAnchor) {
      const lookup = (name: string, type: string) => this.drive(this.begin(name, type));
      this.validator = new ChainValidator(trustAnchorFrom(options.trustAnchor), lookup, (name) => this.zoneOf(name), this.network.clock);
    }
  }

  /**
   * Starts resolving (name, type). The new resolution has already consulted the
   * cache: when `done` is set, the cache answered and no query need be sent.
   */
  begin(name: string, type: string): Resolution {
    this.stats.resolutions++;
    return new Resolution({ name, type: type as never, class: "IN" }, this.cache, this.options.hints, { random: () => this.rng.next(), dnssec: this.validator !== undefined, avoid: this.avoid, authoritySection: this.options.authoritySection });
  }

  /**
   * Resolves (name, type) from the cache or by asking the hierarchy and, with a
   * trust anchor, validates the result (unless `checkingDisabled`, the CD bit).
   */
  resolve(name: string, type: string, options: { checkingDisabled?: boolean } = {}): Promise<Resolved> {
    return this.settle(this.begin(name, type), options);
  }

  /** Drives a resolution begun with begin() to its end, then validates it as resolve() does. */
  async settle(task: Resolution, options: { checkingDisabled?: boolean } = {}): Promise<Resolved> {
    const r = await this.drive(task);
    if (!this.validator || options.checkingDisabled || (r.rcode !== "NOERROR" && r.rcode !== "NXDOMAIN")) return r;
    const security = await this.validator.validate(task.question.name, task.question.type, r);
    return security.status === "bogus" ? { ...r, rcode: "SERVFAIL", answers: [], authorities: [], security } : { ...r, security };
  }

  /** The zone a name falls in, as far as the cache knows: its deepest ancestor with cached NS records. */
  zoneOf(name: string): string {
    const labels = nameKey(name).split(".").filter(Boolean);
    for (let i = 0; i < labels.length; i++) {
      const zone = labels.slice(i).join(".");
      if (this.cache.peek(zone, "NS").kind === "records") return `${zone}.`;
    }
    return ".";
  }

  /** Random letter case for a name, one coin per letter (0x20). */
  private mixCase(name: string): string {
    return name.replace(/[a-z]/gi, (c) => (this.rng.next() < 0.5 ? c.toLowerCase() : c.toUpperCase()));
  }

  /** Sends the queries a resolution asks for until it is done, and reports what happened. */
  async drive(task: Resolution): Promise<Resolved> {
    const clock = this.network.clock;
    const start = clock.now();
    const timed: TimedHop[] = [];
    const me = this.options.name ?? "resolver";
    for (let step = task.next(); step.kind === "query"; step = task.next()) {
      const server: Address = { host: step.server, port: this.options.upstreamPort ?? 53 };
      const at = clock.now() - start;
      this.stats.upstreamQueries++;
      let got: Awaited<ReturnType<typeof exchange>> | undefined;
      const ports = this.options.sourcePorts;
      const question = this.options.mixedCase ? { ...step.question, name: this.mixCase(step.question.name) } : step.question;
      try {
        got = await exchange(server, question, {
          network: this.network,
          timeoutMs: this.options.timeoutMs ?? UPSTREAM_TIMEOUT_MS,
          recursionDesired: this.options.recursionDesired,
          source: { host: this.options.sourceHost, port: ports && ports.first + this.rng.int(ports.count) },
          // Real sockets get ids from the crypto RNG; a simulation takes them from the seed, to be repeatable.
          id: this.network === loopback ? undefined : this.rng.int(65536),
          dnssec: this.validator !== undefined,
          exactCase: this.options.mixedCase,
          onForged: () => this.stats.forged++,
        });
      } catch {
        this.stats.timeouts++;
        this.unresponsive.delete(step.server); // re-inserted last: the map's order is the eviction order
        this.unresponsive.set(step.server, clock.now() + UNRESPONSIVE_HOLD_MS);
        if (this.unresponsive.size > MAX_CACHE_ENTRIES) this.unresponsive.delete(this.unresponsive.keys().next().value!);
      }
      if (got) this.unresponsive.delete(step.server);
      const them = step.serverName;
      if (got) this.options.trace?.record(me, them, summarizeMessage(got.query));
      if (got) this.options.trace?.record(them, me, summarizeMessage(got.response));
      task.receive(got?.response);
      timed.push({ ...task.hops[task.hops.length - 1], at, rttMs: got?.rttMs, query: got?.query, response: got?.response });
    }
    const done = task.done!;
    return { rcode: done.rcode, answers: done.answers, authorities: done.authorities, hops: timed, ms: clock.now() - start };
  }
}

/** Clients allowed to ask for recursion: loopback only, unless told otherwise (no open resolver). */
export const loopbackOnly = (host: string) => host.startsWith("127.");

export interface ResolverServer extends DnsEndpoint {
  readonly resolver: Resolver;
  readonly stats: { queries: number; refused: number };
}

/**
 * Serves a {@link Resolver} as a local DNS server on UDP and TCP. Recursion is
 * offered only to clients `allow` accepts (loopback by default): anyone else gets
 * REFUSED, so it cannot be used for amplification. A query without RD is answered
 * from the cache alone. Answers are kept encoded in a {@link MessageCache}, so a
 * question asked again the same way costs a lookup and a copy.
 *
 * @example
 * const local = await serveResolver({ resolver, port: 0 });
 * // dig @127.0.0.1 -p ${local.address.port} gaia.cs.umass.edu
 */
export async function serveResolver(
  options: ListenOptions & { resolver: Resolver; network?: Network; allow?: (host: string) => boolean; trace?: Trace },
): Promise<ResolverServer> {
  const { resolver } = options;
  const allow = options.allow ?? loopbackOnly;
  const stats = { queries: 0, refused: 0 };
  // A traced server shows every query; otherwise answers already given are given again from the message cache.
  const messages = options.trace ? undefined : new MessageCache((resolver.options.network ?? loopback).clock, () => resolver.cache.generation);
  const endpoint = await serveDnsTransport(options, (bytes, from, transport) => {
    const key = messages && bytes.length >= 12 && !(bytes[2] & 0x80) && allow(from.host) ? transport + queryKey(bytes) : undefined;
    const hit = key !== undefined ? messages!.get(key, bytes) : undefined;
    if (hit) {
      stats.queries++;
      return hit;
    }
    const got = intake(bytes);
    if ("drop" in got) return undefined;
    if ("formerr" in got) return got.formerr;
    const query = got.query;
    stats.queries++;
    const client = `host ${from.host}`;
    const me = resolver.options.name ?? "resolver";
    options.trace?.record(client, me, summarizeMessage(query));
    const reply = (rcode: Rcode, answers: DnsRecord[] = [], authorities: DnsRecord[] = [], security?: Verdict) => {
      // DNSSEC records go only to clients that set DO (RFC 4035 §3.2.1); AD to those that set DO or AD (RFC 6840 §5.8).
      const dnssecOk = wantsDnssec(query);
      const asked = query.questions?.[0]?.type;
      const keep = (r: DnsRecord) => dnssecOk || r.type === asked || !["RRSIG", "NSEC", "NSEC3"].includes(r.type);
      const ad = security?.status === "secure" && (dnssecOk || ((query.flags ?? 0) & FLAGS.AD) !== 0) ? FLAGS.AD : 0;
      const out = encodeReply(query, {
        id: query.id,
        type: "response",
        flags: FLAGS.QR | FLAGS.RA | ((query.flags ?? 0) & (FLAGS.RD | FLAGS.CD)) | ad | RCODES[rcode as Rcode],
        questions: query.questions,
        answers: answers.filter(keep),
        authorities: authorities.filter(keep),
      }, transport, undefined, security && edeOption(security));
      options.trace?.record(me, client, summarizeMessage(out.response));
      return out.bytes;
    };
    const q = query.questions?.length === 1 ? query.questions[0] : undefined;
    if ((query as { opcode?: string }).opcode && (query as { opcode?: string }).opcode !== "QUERY") return reply("NOTIMP");
    if (!q) return reply("FORMERR");
    if (!allow(from.host)) {
      stats.refused++;
      return reply("REFUSED");
    }
    if (!((query.flags ?? 0) & FLAGS.RD)) {
      const hit = resolver.cache.peek(q.name, q.type);
      return hit.kind === "records" ? reply("NOERROR", hit.records) : reply(hit.kind === "nxdomain" ? "NXDOMAIN" : "NOERROR", [], hit.kind === "miss" || !hit.soa ? [] : [hit.soa]);
    }
    // Answers (and proven absences) are kept encoded for the next client that asks the same way; failures are not.
    const remember = (rcode: Rcode, bytes: Buffer) => {
      if (key !== undefined && (rcode === "NOERROR" || rcode === "NXDOMAIN")) messages!.set(key, bytes);
      return bytes;
    };
    // Answered from the cache: reply at once. Otherwise reply when the resolution is done.
    const task = resolver.begin(q.name, q.type);
    const checkingDisabled = ((query.flags ?? 0) & FLAGS.CD) !== 0;
    if (task.done && !resolver.validator) return remember(task.done.rcode, reply(task.done.rcode, task.done.answers, task.done.authorities));
    return resolver.settle(task, { checkingDisabled }).then((r) => remember(r.rcode, reply(r.rcode, r.answers, r.authorities, r.security)));
  }, "dns-resolver");
  return { ...endpoint, close: () => endpoint.close(), resolver, stats };
}

