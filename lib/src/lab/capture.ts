import * as net from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomInt } from "node:crypto";
import { Address } from "../net/address";
import { Clock, realClock } from "../net/clock";
import { WireTap } from "../net/lifecycle";
import { displayBundle } from "./kernel";
import { Packet, TCP_FLAGS, encodePcapng } from "./pcapng";

/** A capture stops recording past this many payload bytes (a swarm moves hundreds of MiB); it says so. */
export const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;
/** TCP payload per synthesized segment: Ethernet's 1500-byte MTU less 40 bytes of IPv4 and TCP headers. */
export const CAPTURE_MSS = 1460;

/**
 * The registered ports Wireshark recognizes protocols by. Lesson servers listen
 * on free ports (port 0), so a capture shows each server at its protocol's port
 * instead, and Wireshark dissects SMTP, IMAP or POP3 with no "Decode As". (The
 * tracker is HTTP. BitTorrent peers keep their own ports, so that the peers stay
 * apart: Wireshark finds BitTorrent by its handshake.)
 */
export const WELL_KNOWN_PORTS: Record<string, number> = { smtp: 25, imap: 143, pop3: 110, http: 80, tracker: 80, dns: 53 };

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAGS;

/** One TCP connection being recorded: the next sequence number each side sends. */
interface Flow {
  client: Address;
  server: Address;
  next: { client: number; server: number };
  ended: boolean;
}

/** A packet before it gets its timestamp. */
type Unstamped = Packet extends infer P ? (P extends unknown ? Omit<P, "time"> : never) : never;

const toBytes = (chunk: unknown, encoding?: unknown): Uint8Array =>
  typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8") : (chunk as Uint8Array);

/**
 * Records what a lesson's servers exchange, to open in Wireshark. Pass it as the
 * `capture` option of a server (SMTP, IMAP, POP3, DNS, a tracker, a BitTorrent
 * peer), or `watch()` a simulated network; then `save()` writes a pcapng file.
 *
 * The capture is reconstructed, not sniffed: it taps the sockets, so only the
 * application bytes (SMTP, DNS, HTTP or BitTorrent, as each side wrote and read
 * them) are real. The Ethernet, IP, UDP and TCP headers are made up around
 * them: each TCP connection gets a handshake, random initial sequence numbers,
 * an ACK after each write, segments of at most CAPTURE_MSS bytes and a FIN or
 * RST, none of which is what the kernel's TCP did; servers appear at their
 * protocol's registered port; on a simulated network the times are simulated.
 * `reconstruction()` says which of this applies, and `save()` says it in the
 * notebook and in the file's comment.
 * After STARTTLS, TLS encrypts below the point this taps: the capture keeps the
 * clear-text part of such a connection.
 *
 * @example
 * const capture = new Capture();
 * const server = await serveSmtp({ ..., capture });
 * // … the exchange …
 * capture.save("smtp", { filter: "smtp.req.command" });
 */
export class Capture implements WireTap {
  readonly packets: Packet[] = [];
  /** True once MAX_CAPTURE_BYTES was reached and recording stopped. */
  truncated = false;
  private bytes = 0;
  /** The connections being recorded, "client→server", so that one tapped at both ends is recorded once. */
  private readonly flows = new Set<string>();
  /** "host:port" of each lesson server → the port the capture shows it at. */
  private readonly shownPorts = new Map<string, number>();
  /** Each server shown at another port than its own, as "40123 → 25". */
  private readonly moved = new Set<string>();
  private readonly epoch: number;
  private readonly start: number;
  private readonly maxBytes: number;

  private readonly clock: Clock;

  constructor(options: { clock?: Clock; maxBytes?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.start = this.clock.now();
    this.epoch = Date.now();
    this.maxBytes = options.maxBytes ?? MAX_CAPTURE_BYTES;
  }

  /** Shows the server of `kind` at `address` on its registered port (see {@link WELL_KNOWN_PORTS}). */
  serves(address: Address, kind: string): void {
    const port = WELL_KNOWN_PORTS[kind];
    if (port !== undefined) this.shownPorts.set(`${address.host}:${address.port}`, port);
  }

  private shown(a: Address): Address {
    const port = this.shownPorts.get(`${a.host}:${a.port}`);
    if (port === undefined || port === a.port) return a;
    this.moved.add(`${a.port} → ${port}`);
    return { host: a.host, port };
  }

  /**
   * What in this capture is made up, in a sentence for its reader: everything but
   * the application bytes, and which parts that means for these packets.
   *
   * @example capture.reconstruction() // "Reconstructed, not sniffed: … servers moved to their registered ports (40123 → 25) …"
   */
  reconstruction(): string {
    const tcp = this.packets.some((p) => p.proto === "tcp");
    const udp = this.packets.some((p) => p.proto === "udp");
    const headers = ["Ethernet", "IP", ...(udp ? ["UDP"] : []), ...(tcp ? ["TCP"] : [])];
    const made = [`the ${headers.slice(0, -1).join(", ")} and ${headers.at(-1)} headers around them are made up`];
    if (tcp) made.push(`so are each TCP connection's handshake, sequence and acknowledgment numbers, segments (at most ${CAPTURE_MSS} bytes, one or more per write) and ACKs, and its FIN or RST`);
    if (this.moved.size) made.push(`servers are shown at their protocol's registered port instead of the free port they listened on (${[...this.moved].join(", ")})`);
    if (this.clock !== realClock) made.push("the times are the simulated network's clock");
    return `Reconstructed, not sniffed: only the application bytes are what the programs sent; ${made.join("; ")}.`;
  }

  private push(p: Unstamped): void {
    if (this.truncated) return;
    if (this.bytes + p.payload.length > this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.bytes += p.payload.length;
    this.packets.push({ ...p, src: this.shown(p.src), dst: this.shown(p.dst), time: this.epoch + (this.clock.now() - this.start) } as Packet);
  }

  /** Records one UDP datagram. */
  udp(src: Address, dst: Address, payload: Uint8Array): void {
    this.push({ proto: "udp", src, dst, payload: Uint8Array.from(payload) });
  }

  private segment(flow: Flow, fromClient: boolean, flags: number, payload: Uint8Array = new Uint8Array(0)): void {
    const [me, them] = fromClient ? (["client", "server"] as const) : (["server", "client"] as const);
    const seq = flow.next[me];
    flow.next[me] = (seq + payload.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    const ack = flags & ACK ? flow.next[them] : 0;
    this.push({ proto: "tcp", src: flow[me], dst: flow[them], seq, ack, flags, payload });
  }

  /** Records a connection's three-way handshake and returns it, for {@link tcpData} and {@link tcpEnd}. */
  tcpOpen(client: Address, server: Address): Flow {
    const flow: Flow = { client, server, next: { client: randomInt(2 ** 32), server: randomInt(2 ** 32) }, ended: false };
    this.segment(flow, true, SYN);
    this.segment(flow, false, SYN | ACK);
    this.segment(flow, true, ACK);
    return flow;
  }

  /** Records bytes one side sent, cut into segments, and the other side's acknowledgment. */
  tcpData(flow: Flow, fromClient: boolean, data: Uint8Array): void {
    if (flow.ended || data.length === 0) return;
    const copy = Uint8Array.from(data);
    for (let off = 0; off < copy.length; off += CAPTURE_MSS) {
      const last = off + CAPTURE_MSS >= copy.length;
      this.segment(flow, fromClient, last ? PSH | ACK : ACK, copy.subarray(off, off + CAPTURE_MSS));
    }
    this.segment(flow, !fromClient, ACK);
  }

  /** Records the end of a connection: FIN both ways started by `fromClient`'s side, or a reset. */
  tcpEnd(flow: Flow, fromClient: boolean, how: "fin" | "rst"): void {
    if (flow.ended) return;
    flow.ended = true;
    if (how === "rst") return this.segment(flow, fromClient, RST | ACK);
    this.segment(flow, fromClient, FIN | ACK);
    this.segment(flow, !fromClient, FIN | ACK);
    this.segment(flow, fromClient, ACK);
  }

  /**
   * Records a socket: a server's accepted connection, or a client's (recorded once
   * it connects). Writes are seen by wrapping `write`/`end`; reads by a `data`
   * listener put first once the protocol has attached its own (for Node's HTTP
   * server that also turns off its direct read path, so the listener sees data).
   */
  tapTcp(socket: net.Socket, role: "client" | "server"): void {
    const weAreClient = role === "client";
    let flow: Flow | undefined;
    /** Bytes a client wrote before it connected; undefined once recording (or skipping) began. */
    let early: Uint8Array[] | undefined = [];
    let peerEnded = false;
    const sent = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === "function") return;
      const bytes = toBytes(chunk, encoding);
      if (flow) this.tcpData(flow, weAreClient, bytes);
      else early?.push(Uint8Array.from(bytes));
    };
    const write = socket.write;
    socket.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
      sent(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof socket.write;
    const end = socket.end;
    socket.end = function (this: net.Socket, chunk?: unknown, ...rest: unknown[]) {
      sent(chunk, rest[0]);
      return (end as (...a: unknown[]) => net.Socket).call(this, chunk, ...rest);
    } as typeof socket.end;
    const open = () => {
      const local = { host: socket.localAddress ?? "127.0.0.1", port: socket.localPort ?? 0 };
      const remote = { host: socket.remoteAddress ?? "127.0.0.1", port: socket.remotePort ?? 0 };
      const [client, server] = weAreClient ? [local, remote] : [remote, local];
      const key = `${client.host}:${client.port}→${server.host}:${server.port}`;
      const waiting = early ?? [];
      early = undefined;
      if (this.flows.has(key)) return; // the other end of this connection is tapped already
      this.flows.add(key);
      socket.once("close", () => this.flows.delete(key));
      flow = this.tcpOpen(client, server);
      for (const bytes of waiting) this.tcpData(flow, weAreClient, bytes);
      const f = flow;
      queueMicrotask(() => socket.prependListener("data", (d: Buffer) => this.tcpData(f, !weAreClient, d)));
      socket.once("end", () => (peerEnded = true));
      socket.once("close", (hadError: boolean) => this.tcpEnd(f, peerEnded !== weAreClient, hadError ? "rst" : "fin"));
    };
    if (socket.remotePort !== undefined && !socket.connecting) open();
    else socket.once("connect", open);
  }

  /** Records every datagram a simulated network delivers (a `SimNetwork`'s onPacket). */
  watch(network: { onPacket(listener: (e: { from: Address; to: Address; data: Uint8Array; fate: string }) => void): void }): void {
    network.onPacket((e) => {
      if (e.fate === "delivered") this.udp(e.from, e.to, e.data);
    });
  }

  /** The capture as a pcapng file's bytes. */
  toPcapng(): Buffer {
    return encodePcapng(this.packets, { comment: this.reconstruction() });
  }

  /**
   * Writes the capture as `NN-topic-WHAT.pcapng` (in APPLAYER_CAPTURE_DIR, which
   * the lesson builds set, or ./captures) and shows a link to it in the notebook,
   * with the Wireshark display filter that picks out the lesson's protocol.
   */
  save(what: string, options: { filter?: string } = {}): string {
    const dir = resolve(process.env.APPLAYER_CAPTURE_DIR ?? "captures");
    const name = `${process.env.APPLAYER_NOTEBOOK ?? "lesson"}-${what}.pcapng`;
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    writeFileSync(path, this.toPcapng());
    const note = this.truncated ? ` (recording stopped at ${this.maxBytes.toLocaleString("en-US")} bytes)` : "";
    const filter = options.filter ? `; Wireshark display filter: ${options.filter}` : "";
    const made = this.reconstruction();
    const text = `${this.packets.length} packets → captures/${name}${note}${filter}\n${made}`;
    const shown = displayBundle({
      "text/markdown": `📦 **Capture:** [captures/${name}](captures/${name}), ${this.packets.length} packets${note}. Open it in Wireshark, or \`tshark -r ${name}${options.filter ? ` -Y '${options.filter}'` : ""}\`.${options.filter ? ` Display filter: \`${options.filter}\`` : ""}\n\n*${made}*`,
      "text/plain": text,
    });
    if (!shown) console.log(text);
    return path;
  }
}
