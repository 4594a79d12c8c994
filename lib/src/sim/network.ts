import { AppLayerError } from "../errors";
import { Address } from "../net/address";
import { Closable, ListenOptions } from "../net/lifecycle";
import { DatagramSocket, Network } from "../net/network";
import { VirtualClock } from "./clock";
import { Random } from "./random";

/** How a simulated link treats each datagram. */
export interface LinkOptions {
  /** One-way propagation delay. */
  latencyMs?: number;
  /** Transmission rate in bits per second; packets queue behind each other. Infinity = no queueing. */
  bandwidthBps?: number;
  /** Probability in [0, 1] that a datagram is lost. */
  loss?: number;
  /** Extra random delay in [0, jitterMs): packets overtake each other (reordering). */
  jitterMs?: number;
}

/** What happened to one datagram on the simulated network (for traces and charts). */
export interface PacketEvent {
  sentAt: number;
  arrivesAt?: number;
  from: Address;
  to: Address;
  bytes: number;
  /** The datagram itself, for traces that decode it. */
  data: Uint8Array;
  fate: "delivered" | "lost" | "unreachable";
  /** Sent to an anycast address: the site that took it (see {@link SimNetwork.anycast}). */
  site?: string;
}

const DEFAULT_LINK: Required<LinkOptions> = { latencyMs: 1, bandwidthBps: Infinity, loss: 0, jitterMs: 0 };
/** Ephemeral ports handed out by openUdp({ port: 0 }), as on Linux. */
const EPHEMERAL_FIRST = 32768;
/** A simulation run gives the event loop a turn every this many events. */
const SETTLE_TURN = 1024;

interface LinkState {
  options: Required<LinkOptions>;
  busyUntil: number;
}

class SimDatagramSocket implements DatagramSocket {
  handlers: Array<(data: Uint8Array, from: Address) => void> = [];
  constructor(private readonly net: SimNetwork, readonly address: Address) {}
  send(data: Uint8Array, to: Address): void {
    // A socket at an anycast site speaks with the address the site announces, over the site's own links.
    const announced = this.net.announcedBy(this.address.host);
    const from = announced === undefined ? this.address : { host: announced, port: this.address.port };
    this.net.transmit(from, to, new Uint8Array(data), this.address.host);
  }
  onMessage(handler: (data: Uint8Array, from: Address) => void): void {
    this.handlers.push(handler);
  }
  close(): Promise<void> {
    this.net.unbind(this);
    return Promise.resolve();
  }
}

/**
 * A simulated network with a virtual clock: hosts are just addresses (any IPv4,
 * not only loopback), links have latency, bandwidth, loss and jitter, and a seed
 * makes every run repeatable. It implements {@link Network}, so the same protocol
 * code that runs on loopback runs here — thousands of times faster than real time.
 *
 * @example
 * const sim = new SimNetwork({ seed: 7, link: { latencyMs: 20, loss: 0.1 } });
 * const server = await serveUdpUpper(sim, { host: "10.0.0.2", port: 12000 });
 * const report = await sim.runUntil(ping(sim, { target: server.address, count: 10 }));
 */
export class SimNetwork implements Network, Closable {
  readonly name = "simulated";
  readonly clock = new VirtualClock();
  readonly rng: Random;
  /** Counters since creation. */
  readonly stats = { sent: 0, delivered: 0, lost: 0, unreachable: 0 };
  private readonly defaultLink: Required<LinkOptions>;
  /** Link state by sending host, then receiving host. */
  private readonly links = new Map<string, Map<string, LinkState>>();
  /** Bound sockets by host, then port. */
  private readonly sockets = new Map<string, Map<number, SimDatagramSocket>>();
  private readonly listeners: Array<(e: PacketEvent) => void> = [];
  /** Anycast: the sites announcing each address, and the address each site announces. */
  private readonly anycastSites = new Map<string, string[]>();
  private readonly siteAddress = new Map<string, string>();
  private nextPort = EPHEMERAL_FIRST;

  constructor(options: { seed?: number; link?: LinkOptions } = {}) {
    this.rng = new Random(options.seed ?? 1);
    this.defaultLink = { ...DEFAULT_LINK, ...options.link };
  }

  /** Sets the link between hosts `a` and `b` (both directions, each with its own queue). */
  link(a: string, b: string, options: LinkOptions): this {
    for (const [from, to] of [[a, b], [b, a]]) this.linksFrom(from).set(to, { options: { ...DEFAULT_LINK, ...options }, busyUntil: 0 });
    return this;
  }

  /**
   * Announces one address from several sites: anycast (RFC 4786), the way the 13
   * root server addresses are served from over a thousand machines. A datagram to
   * `address` goes to the site nearest its sender — the lowest latency from it, as
   * routing picks the shortest path; ties go to the site listed first — where a
   * socket bound on the site's host at the same port receives it. What that socket
   * sends leaves with `address` as its source, so a client cannot tell the sites
   * apart. Called again, it replaces the list: a site left out is withdrawn (taken
   * down for maintenance, say) and its senders go to the next nearest; with no site
   * left, datagrams to `address` are unreachable.
   *
   * @example
   * sim.link("client", "site-a", { latencyMs: 2 }).link("client", "site-b", { latencyMs: 90 });
   * sim.anycast("10.0.0.2", ["site-a", "site-b"]); // the client's queries reach site-a
   */
  anycast(address: string, sites: string[]): this {
    for (const site of this.anycastSites.get(address) ?? []) this.siteAddress.delete(site);
    for (const site of sites) {
      const other = this.siteAddress.get(site);
      if (other !== undefined || site === address) throw new AppLayerError("BAD_ARGUMENT", `site ${site} already announces ${other ?? "itself"}`, { site, address });
      this.siteAddress.set(site, address);
    }
    this.anycastSites.set(address, [...sites]);
    return this;
  }

  /** The anycast address a site's host announces, if it is a site. */
  announcedBy(site: string): string | undefined {
    return this.siteAddress.get(site);
  }

  /** The site a datagram from host `from` to anycast `address` reaches now, or undefined (none announced). */
  nearestSite(address: string, from: string): string | undefined {
    let best: string | undefined;
    let bestMs = Infinity;
    for (const site of this.anycastSites.get(address) ?? []) {
      const ms = this.linkState(from, site).options.latencyMs;
      if (ms < bestMs) [best, bestMs] = [site, ms];
    }
    return best;
  }

  /** Calls `listener` for every datagram sent, with its fate. */
  onPacket(listener: (e: PacketEvent) => void): void {
    this.listeners.push(listener);
  }

  openUdp(options: ListenOptions = {}): Promise<DatagramSocket> {
    return Promise.resolve(this.bindUdp(options));
  }

  /** The synchronous form of openUdp, for callback-style code running at scale. */
  bindUdp(options: ListenOptions = {}): DatagramSocket {
    const host = options.host ?? "10.0.0.1";
    let port = options.port ?? 0;
    let ports = this.sockets.get(host);
    if (!ports) this.sockets.set(host, (ports = new Map()));
    if (port === 0) {
      while (ports.has(this.nextPort)) this.nextPort++;
      port = this.nextPort++;
    }
    if (ports.has(port)) throw new AppLayerError("BAD_ADDRESS", `${host}:${port} is already bound in this simulation`);
    const socket = new SimDatagramSocket(this, { host, port });
    ports.set(port, socket);
    return socket;
  }

  /** @internal used by sockets */
  unbind(socket: SimDatagramSocket): void {
    this.sockets.get(socket.address.host)?.delete(socket.address.port);
  }

  /**
   * Sends a datagram whose source address is forged: it leaves host `via` (on
   * via's link to the destination) but says it comes from `from`. A real host
   * needs a raw socket for this; ingress filtering (BCP 38) is what stops it.
   */
  spoof(data: Uint8Array, from: Address, to: Address, via: string): void {
    this.transmit(from, to, data, via);
  }

  /** @internal puts one datagram on the link from `via` (by default `from.host`) to `to.host`. */
  transmit(from: Address, to: Address, data: Uint8Array, via = from.host): void {
    const now = this.clock.now();
    this.stats.sent++;
    // An anycast address is delivered to its nearest site, over the link to that site.
    const site = this.anycastSites.has(to.host) ? this.nearestSite(to.host, via) : undefined;
    const host = site ?? to.host;
    const link = this.linkState(via, host);
    const o = link.options;
    const event: PacketEvent = { sentAt: now, from, to, bytes: data.length, data, fate: "delivered", ...(site === undefined ? {} : { site }) };
    // Serialisation: a packet leaves once the ones before it have left (a FIFO queue).
    const departs = Math.max(now, link.busyUntil) + (Number.isFinite(o.bandwidthBps) ? (data.length * 8 * 1000) / o.bandwidthBps : 0);
    link.busyUntil = departs;
    if (this.rng.chance(o.loss)) {
      this.stats.lost++;
      event.fate = "lost";
      return this.emit(event);
    }
    const arrives = departs + o.latencyMs + (o.jitterMs > 0 ? this.rng.next() * o.jitterMs : 0);
    event.arrivesAt = arrives;
    this.clock.setTimer(() => {
      const socket = this.sockets.get(host)?.get(to.port);
      if (!socket) {
        this.stats.unreachable++;
        event.fate = "unreachable";
        return;
      }
      this.stats.delivered++;
      for (const h of socket.handlers) h(data, from);
    }, arrives - now);
    this.emit(event);
  }

  /**
   * Runs events until none is left or virtual time passes `untilMs`. Between events
   * it lets promise continuations run, so async protocol code works here too.
   */
  async run(options: { untilMs?: number } = {}): Promise<void> {
    const until = options.untilMs ?? Infinity;
    for (let n = 0; ; n++) {
      await this.settle(n);
      const t = this.clock.peekTime();
      if (t === undefined || t > until) return;
      this.clock.runNext();
    }
  }

  /** Runs the simulation until `work` settles, then returns its result. */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => { settled = true; });
    for (let n = 0; !settled; n++) {
      await this.settle(n);
      if (settled) break;
      if (!this.clock.runNext()) {
        await new Promise((r) => setImmediate(r));
        if (!settled) throw new AppLayerError("SIM_UNREACHABLE", "the simulation ran out of events before the work finished (is something waiting for a host that does not exist?)");
      }
    }
    return done;
  }

  /**
   * Waits until every promise continuation the last event set off has run, before
   * virtual time moves on. A tick does that: Node runs process.nextTick callbacks
   * only once the microtask queue is empty, chains of continuations included. A
   * turn of the event loop (setImmediate) did it too, but cost as much as the event
   * itself: a flood of forged datagrams spent half its time there. Every
   * SETTLE_TURN events the loop still gets its turn, so a long run leaves the
   * kernel's I/O (progress bars, messages) waiting no longer than a moment.
   */
  private settle(n: number): Promise<void> {
    return new Promise((r) => (n % SETTLE_TURN === SETTLE_TURN - 1 ? setImmediate(r) : process.nextTick(r)));
  }

  /** Runs callback-style code with no promise in between: the fast path for big experiments. */
  runSync(options: { untilMs?: number } = {}): void {
    const until = options.untilMs ?? Infinity;
    for (;;) {
      const t = this.clock.peekTime();
      if (t === undefined || t > until) return;
      this.clock.runNext();
    }
  }

  close(): Promise<void> {
    this.sockets.clear();
    return Promise.resolve();
  }

  private linkState(a: string, b: string): LinkState {
    const from = this.linksFrom(a);
    let link = from.get(b);
    if (!link) from.set(b, (link = { options: this.defaultLink, busyUntil: 0 }));
    return link;
  }

  private linksFrom(a: string): Map<string, LinkState> {
    let from = this.links.get(a);
    if (!from) this.links.set(a, (from = new Map()));
    return from;
  }
  private emit(e: PacketEvent): void {
    for (const l of this.listeners) l(e);
  }
}
