import * as http from "node:http";
import { isIP } from "node:net";
import { AppLayerError, isAppLayerError } from "../errors";
import { Address } from "../net/address";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { BDict, BValue, decodeBencode, encodeBencode } from "./bencode";

/**
 * The HTTP tracker (BEP 3, compact peer lists of BEP 23, scrape): the one
 * centralised piece of BitTorrent. A peer *announces* itself for an info-hash and
 * gets back a random handful of the other peers of that torrent; it says again
 * every `interval` seconds that it is still there. The tracker never sees a byte
 * of the file.
 */

/** How many peers an announce returns when the client does not say (numwant). */
export const DEFAULT_NUMWANT = 50;
/** …and at most. */
export const MAX_NUMWANT = 200;
/** A peer silent for this many intervals is forgotten. */
export const PEER_EXPIRY_INTERVALS = 2;

export interface TrackerPeer {
  peerId: Buffer;
  host: string;
  port: number;
}

/** Percent-decodes a query value into raw bytes (info_hash and peer_id are binary, not UTF-8). */
export function percentDecode(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c === "+" ? 0x20 : c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/** Percent-encodes raw bytes for a query (unreserved characters stay as they are). */
export function percentEncode(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += /[A-Za-z0-9.\-_~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`;
  return out;
}

/** The query of a URL as name → list of raw byte values. */
function queryOf(url: string): Map<string, Buffer[]> {
  const q = new Map<string, Buffer[]>();
  const at = url.indexOf("?");
  if (at < 0) return q;
  for (const pair of url.slice(at + 1).split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const name = percentDecode(eq < 0 ? pair : pair.slice(0, eq)).toString("latin1");
    const list = q.get(name) ?? [];
    list.push(percentDecode(eq < 0 ? "" : pair.slice(eq + 1)));
    q.set(name, list);
  }
  return q;
}

/** Compact peers (BEP 23): 6 bytes each, IPv4 then port, big-endian. */
export function encodeCompactPeers(peers: Array<{ host: string; port: number }>): Buffer {
  const out = Buffer.alloc(peers.length * 6);
  peers.forEach((p, i) => {
    p.host.split(".").forEach((o, k) => (out[i * 6 + k] = Number(o)));
    out.writeUInt16BE(p.port, i * 6 + 4);
  });
  return out;
}

export function decodeCompactPeers(bytes: Buffer): Array<{ host: string; port: number }> {
  if (bytes.length % 6 !== 0) throw new AppLayerError("TRACKER", `a compact peer list of ${bytes.length} bytes is not a multiple of 6`);
  return Array.from({ length: bytes.length / 6 }, (_, i) => ({ host: [...bytes.subarray(i * 6, i * 6 + 4)].join("."), port: bytes.readUInt16BE(i * 6 + 4) }));
}

interface Swarm {
  peers: Map<string, TrackerPeer & { left: number; seen: number }>;
  downloaded: number;
}

export interface TrackerOptions extends ListenOptions {
  /** Seconds between a peer's announces. */
  interval?: number;
  /** When set, only these info-hashes (hex) are tracked; others get a failure reason. */
  allow?: string[];
  /** Called for every announce, for lessons that watch the tracker. */
  onAnnounce?: (e: { infoHash: string; peer: TrackerPeer; event?: string; left: number }) => void;
}

export interface Tracker extends Closable {
  readonly address: Address;
  /** The announce URL to put in a .torrent. */
  readonly announceUrl: string;
  /** Seeds and leechers now, by info-hash (hex). */
  stats(infoHash: string): { complete: number; incomplete: number; downloaded: number };
}

/** A dotted IPv4 address in 127.0.0.0/8. */
const isLoopbackV4 = (text: string) => isIP(text) === 4 && text.startsWith("127.");

const failure = (reason: string) => encodeBencode({ "failure reason": reason });

/**
 * The tracker's state and its answers, apart from HTTP: one request's path and
 * query (as the client sent them) and the client's address in, the bencoded
 * body out, or undefined for a path it does not serve (HTTP 404). Malformed
 * announces get a bencoded failure reason (what a client shows its user), never
 * an exception.
 */
export class TrackerState {
  private readonly swarms = new Map<string, Swarm>();
  private readonly allow?: Set<string>;
  readonly interval: number;

  constructor(private readonly options: Pick<TrackerOptions, "interval" | "allow" | "onAnnounce"> = {}) {
    this.interval = options.interval ?? 30;
    this.allow = options.allow && new Set(options.allow.map((h) => h.toLowerCase()));
  }

  /** The body for GET `url` from `host` at `now` (ms), or undefined: not a tracker path. */
  handle(method: string, url: string, host: string, now = Date.now()): Buffer | undefined {
    const path = url.split("?")[0];
    if (method !== "GET") return failure("use GET");
    return path === "/announce" ? this.announce(url, host, now) : path === "/scrape" ? this.scrape(url, now) : undefined;
  }

  /** Seeds, leechers and completed downloads of one torrent (hex info-hash). */
  counts(hash: string): { complete: number; incomplete: number; downloaded: number } {
    const s = this.swarms.get(hash.toLowerCase());
    let complete = 0;
    for (const p of s?.peers.values() ?? []) if (p.left === 0) complete++;
    return { complete, incomplete: (s?.peers.size ?? 0) - complete, downloaded: s?.downloaded ?? 0 };
  }

  private swarmOf(hash: string): Swarm {
    let s = this.swarms.get(hash);
    if (!s) this.swarms.set(hash, (s = { peers: new Map(), downloaded: 0 }));
    return s;
  }

  private expire(s: Swarm, now: number): void {
    for (const [k, p] of s.peers) if (now - p.seen > PEER_EXPIRY_INTERVALS * this.interval * 1000) s.peers.delete(k);
  }

  private announce(url: string, host: string, now: number): Buffer {
    const q = queryOf(url);
    const one = (name: string) => q.get(name)?.[0];
    const infoHash = one("info_hash");
    const peerId = one("peer_id");
    const port = Number(one("port")?.toString("latin1"));
    if (!infoHash || infoHash.length !== 20) return failure("info_hash must be 20 bytes (the SHA-1 of the info dictionary)");
    if (!peerId || peerId.length !== 20) return failure("peer_id must be 20 bytes");
    if (!Number.isInteger(port) || port < 1 || port > 65535) return failure("port must be a number from 1 to 65535");
    const hash = infoHash.toString("hex");
    if (this.allow && !this.allow.has(hash)) return failure("this tracker does not track that torrent");
    const numeric = (name: string, fallback: number) => {
      const v = one(name)?.toString("latin1");
      const n = v === undefined ? fallback : Number(v);
      return Number.isFinite(n) && n >= 0 ? n : NaN;
    };
    const left = numeric("left", 0);
    const numwant = numeric("numwant", DEFAULT_NUMWANT);
    if (Number.isNaN(left) || Number.isNaN(numwant)) return failure("left and numwant must be non-negative numbers");
    const event = one("event")?.toString("latin1") || undefined;
    if (event && !["started", "stopped", "completed"].includes(event)) return failure(`event must be started, stopped or completed, not ${event.slice(0, 20)}`);
    // BEP 3's optional `ip`: the address the peer listens on, when it is not the one the request came from (a
    // seed bound to 127.0.0.31 whose announce leaves from 127.0.0.1). Taken only within 127.0.0.0/8, from a loopback
    // peer: anywhere else it would let one host point the swarm at another.
    const ip = one("ip")?.toString("latin1");
    if (ip !== undefined && isLoopbackV4(ip) && isLoopbackV4(host)) host = ip;
    const s = this.swarmOf(hash);
    this.expire(s, now);
    const key = `${host}:${port}`;
    const peer = { peerId, host, port };
    this.options.onAnnounce?.({ infoHash: hash, peer, event, left });
    if (event === "stopped") s.peers.delete(key);
    else {
      if (event === "completed") s.downloaded++;
      s.peers.set(key, { ...peer, left, seen: now });
    }
    // A random sample of the others (a partial Fisher-Yates shuffle).
    const others = [...s.peers.values()].filter((p) => !(p.host === host && p.port === port));
    const want = Math.min(numwant, MAX_NUMWANT, others.length);
    for (let i = 0; i < want; i++) {
      const j = i + Math.floor(Math.random() * (others.length - i));
      [others[i], others[j]] = [others[j], others[i]];
    }
    const chosen = others.slice(0, want);
    const { complete, incomplete } = this.counts(hash);
    const compact = one("compact")?.toString("latin1") !== "0";
    return encodeBencode({
      interval: this.interval,
      "min interval": Math.max(1, Math.floor(this.interval / 2)),
      complete,
      incomplete,
      peers: compact ? encodeCompactPeers(chosen) : chosen.map((p) => ({ "peer id": p.peerId, ip: p.host, port: p.port })),
    });
  }

  private scrape(url: string, now: number): Buffer {
    const hashes = queryOf(url).get("info_hash") ?? [...this.swarms.keys()].map((h) => Buffer.from(h, "hex"));
    const files: BDict = {};
    for (const h of hashes) {
      if (h.length !== 20) return failure("info_hash must be 20 bytes");
      const s = this.swarms.get(h.toString("hex"));
      if (s) this.expire(s, now);
      files[h.toString("latin1")] = this.counts(h.toString("hex"));
    }
    return encodeBencode({ files });
  }
}

/**
 * Starts an HTTP tracker: `/announce` and `/scrape`, answered by a {@link TrackerState}.
 *
 * @example
 * const tracker = await serveTracker({ port: 0, interval: 5 });
 * await createTorrent("lesson.bin", { announce: tracker.announceUrl });
 */
export async function serveTracker(options: TrackerOptions = {}): Promise<Tracker> {
  const state = new TrackerState(options);
  const server = http.createServer((req, res) => {
    const body = state.handle(req.method ?? "GET", req.url ?? "/", (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""));
    if (!body) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("applayer tracker: try /announce or /scrape\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
  const service = await serveTcp("tracker", options, (socket) => server.emit("connection", socket));
  const { host, port } = service.address;
  return {
    address: service.address,
    announceUrl: `http://${host}:${port}/announce`,
    stats: (infoHash) => state.counts(infoHash),
    close: () => service.close(),
  };
}

/** What a tracker said to an announce. */
export interface AnnounceResponse {
  interval: number;
  complete?: number;
  incomplete?: number;
  peers: Array<{ host: string; port: number; peerId?: Buffer }>;
}

/** HTTP GET with a deadline; the body as bytes. */
function get(url: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new AppLayerError("TRACKER", `the tracker answered HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new AppLayerError("TIMEOUT", `the tracker at ${url.split("?")[0]} did not answer within ${timeoutMs} ms`)));
    req.on("error", (e) => reject(isAppLayerError(e) ? e : new AppLayerError("TRACKER_UNREACHABLE", `cannot reach the tracker at ${url.split("?")[0]}: ${e.message}`, { url: url.split("?")[0] })));
  });
}

function dictOf(bytes: Buffer): BDict {
  let v: BValue;
  try {
    v = decodeBencode(bytes);
  } catch (e) {
    throw new AppLayerError("TRACKER", `the tracker's answer is not bencode: ${(e as Error).message}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v) || Buffer.isBuffer(v)) throw new AppLayerError("TRACKER", "the tracker's answer is not a dictionary");
  if (Buffer.isBuffer(v["failure reason"])) throw new AppLayerError("TRACKER", `the tracker refused: ${v["failure reason"].toString("utf8")}`, { reason: v["failure reason"].toString("utf8") });
  return v;
}

/**
 * Announces to an HTTP tracker and returns its peer list (compact or not).
 * Throws TRACKER with the failure reason when the tracker refuses.
 */
export async function announce(url: string, a: { infoHash: Buffer; peerId: Buffer; port: number; ip?: string; uploaded?: number; downloaded?: number; left: number; event?: "started" | "stopped" | "completed"; numwant?: number; timeoutMs?: number }): Promise<AnnounceResponse> {
  const q = [
    `info_hash=${percentEncode(a.infoHash)}`, `peer_id=${percentEncode(a.peerId)}`, `port=${a.port}`,
    `uploaded=${a.uploaded ?? 0}`, `downloaded=${a.downloaded ?? 0}`, `left=${a.left}`, "compact=1",
    ...(a.event ? [`event=${a.event}`] : []), ...(a.numwant !== undefined ? [`numwant=${a.numwant}`] : []),
    // BEP 3: the address we listen on, when the tracker cannot tell it from where the request comes from.
    ...(a.ip ? [`ip=${percentEncode(Buffer.from(a.ip))}`] : []),
  ].join("&");
  return parseAnnounceResponse(await get(`${url}${url.includes("?") ? "&" : "?"}${q}`, a.timeoutMs ?? 10_000));
}

/** A tracker's answer to an announce, compact (BEP 23) or not; throws TRACKER for anything else, with the tracker's failure reason when it gave one. */
export function parseAnnounceResponse(body: Buffer): AnnounceResponse {
  const d = dictOf(body);
  const peers = Buffer.isBuffer(d.peers)
    ? decodeCompactPeers(d.peers)
    : Array.isArray(d.peers)
      ? d.peers.map((p) => {
          const x = p as BDict;
          if (!Buffer.isBuffer(x.ip) || typeof x.port !== "number") throw new AppLayerError("TRACKER", "a peer in the tracker's list has no ip or port");
          return { host: x.ip.toString("latin1"), port: x.port, peerId: Buffer.isBuffer(x["peer id"]) ? x["peer id"] : undefined };
        })
      : [];
  if (typeof d.interval !== "number") throw new AppLayerError("TRACKER", "the tracker's answer has no interval");
  return { interval: d.interval, complete: d.complete as number | undefined, incomplete: d.incomplete as number | undefined, peers };
}

/** Scrapes a tracker (the announce URL with "announce" replaced by "scrape") for one torrent's counts. */
export async function scrape(announceUrl: string, infoHash: Buffer): Promise<{ complete: number; incomplete: number; downloaded: number }> {
  const url = announceUrl.replace(/\/announce(\?|$)/, "/scrape$1");
  const d = dictOf(await get(`${url}${url.includes("?") ? "&" : "?"}info_hash=${percentEncode(infoHash)}`, 10_000));
  const f = (d.files as BDict | undefined)?.[infoHash.toString("latin1")] as BDict | undefined;
  if (!f) throw new AppLayerError("TRACKER", "the scrape answer does not list this torrent");
  return { complete: Number(f.complete ?? 0), incomplete: Number(f.incomplete ?? 0), downloaded: Number(f.downloaded ?? 0) };
}
