import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTorrent, parseTorrent, Torrent } from "../../lib/src/bt/metainfo";
import { serveTracker, Tracker } from "../../lib/src/bt/tracker";
import { SessionEvent, TorrentSession, startSession } from "../../lib/src/bt/session";
import { BLOCK_SIZE, HANDSHAKE_LENGTH, WireDecoder, encodeHandshake, encodeWireMessage, wordsToBitfield } from "../../lib/src/bt/wire";
import { encodeBencode } from "../../lib/src/bt/bencode";
import { Trace } from "../../lib/src/lab/trace";
import { PieceAssembly } from "../../lib/src/bt/assembly";
import { MAX_PEERS, PIPELINE, TRACKER_RETRIES } from "../../lib/src/bt/limits";
import { isAppLayerError } from "../../lib/src/errors";
import { freePort } from "../helpers";

let dir: string;
let data: Buffer;
let tracker: Tracker;
let torrent: Torrent;
const sessions: TorrentSession[] = [];
const start = async (o: Parameters<typeof startSession>[0]) => {
  const s = await startSession(o);
  sessions.push(s);
  return s;
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "applayer-bt-"));
  data = randomBytes(3 * 1024 * 1024 + 999);
  writeFileSync(join(dir, "lesson.bin"), data);
  tracker = await serveTracker({ port: 0, interval: 1 });
  torrent = parseTorrent(await createTorrent(join(dir, "lesson.bin"), { announce: tracker.announceUrl }));
});
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  await tracker.close();
});

describe("PieceAssembly", () => {
  it("hashes blocks as they come, in any order, to the SHA-1 of the whole piece, and ignores a block sent twice", () => {
    const piece = randomBytes(5 * 16384 + 100);
    const blocks = [0, 1, 2, 3, 4, 5].map((i) => piece.subarray(i * 16384, (i + 1) * 16384));
    const a = new PieceAssembly(0, piece.length);
    expect([3, 0, 1, 1, 5, 2].map((i) => a.add(i * 16384, blocks[i]))).toEqual([false, false, false, false, false, false]);
    expect(a.add(4 * 16384, blocks[4])).toBe(true);
    expect(a.received).toBe(piece.length);
    expect(a.digest()).toEqual(createHash("sha1").update(piece).digest());
    expect(a.data).toEqual(piece);
  });
  it("hands out a slot only for a block on a boundary, inside the piece, not yet in; a block written into its slot is not copied again", () => {
    const a = new PieceAssembly(0, 2 * 16384 + 10, Buffer.alloc(4 * 16384, 0xee));
    expect(a.slot(100, 16384)).toBeUndefined();
    expect(a.slot(2 * 16384, 11)).toBeUndefined();
    const slot = a.slot(16384, 16384)!;
    slot.fill(7);
    expect(a.add(16384, slot)).toBe(false);
    expect(a.slot(16384, 16384)).toBeUndefined();
    expect(a.data.subarray(16384, 2 * 16384)).toEqual(Buffer.alloc(16384, 7));
    expect(a.data.length).toBe(2 * 16384 + 10);
  });
});

describe("a swarm of lib peers", () => {
  it("downloads a folder whose pieces span its files (each piece written with one write per file it touches)", async () => {
    const folder = join(dir, "course");
    mkdirSync(join(folder, "week1"), { recursive: true });
    const files = { "a.bin": randomBytes(10_000), "week1/b.bin": randomBytes(70_001), "week1/c.txt": Buffer.from("five!"), "z.bin": randomBytes(16_384) };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
    const multi = parseTorrent(await createTorrent(folder, { announce: tracker.announceUrl, pieceLength: 16_384 }));
    expect(multi.multiFile).toBe(true);
    const seed = await start({ torrent: multi, dir, port: 0, announceUrl: "" });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-multi-"));
    const leecher = await start({ torrent: multi, dir: out, port: 0, announceUrl: "", peers: [seed.address] });
    await leecher.complete;
    for (const [name, bytes] of Object.entries(files)) expect(readFileSync(join(out, "course", name))).toEqual(bytes);
  }, 30_000);

  it("never writes a hybrid torrent's BEP 47 padding files: their zeros count in the pieces, but no file appears on either side", async () => {
    const folder = join(dir, "hybrid");
    mkdirSync(folder);
    const a = randomBytes(10_000);
    const b = randomBytes(20_000);
    writeFileSync(join(folder, "a.bin"), a);
    writeFileSync(join(folder, "b.bin"), b);
    // As libtorrent 2 lays out a hybrid torrent: a pad after each file, up to the next 16 KiB piece boundary.
    const stream = Buffer.concat([a, Buffer.alloc(6384), b, Buffer.alloc(12_768)]);
    const pieces = Buffer.concat([0, 1, 2].map((i) => createHash("sha1").update(stream.subarray(i * 16_384, (i + 1) * 16_384)).digest()));
    const pad = (n: number) => ({ attr: Buffer.from("p"), length: n, path: [Buffer.from(".pad"), Buffer.from(String(n))] });
    const files = [{ length: 10_000, path: [Buffer.from("a.bin")] }, pad(6384), { length: 20_000, path: [Buffer.from("b.bin")] }, pad(12_768)];
    const hybrid = parseTorrent(encodeBencode({ info: { files, name: Buffer.from("hybrid"), "piece length": 16_384, pieces } }));
    expect(hybrid.files.map((f) => f.pad === true)).toEqual([false, true, false, true]);
    // The seed's folder has no .pad: it reads the padding as zeros.
    const seed = await start({ torrent: hybrid, dir, port: 0, announceUrl: "" });
    expect(seed.stats().have).toBe(3);
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-pad-"));
    const leecher = await start({ torrent: hybrid, dir: out, port: 0, announceUrl: "", peers: [seed.address] });
    await leecher.complete;
    expect(readdirSync(join(out, "hybrid")).sort()).toEqual(["a.bin", "b.bin"]);
    expect(readFileSync(join(out, "hybrid", "a.bin"))).toEqual(a);
    expect(readFileSync(join(out, "hybrid", "b.bin"))).toEqual(b);
    expect(readdirSync(folder).sort()).toEqual(["a.bin", "b.bin"]);
  }, 30_000);

  it("a traced leecher records its side of the wire in protocol order: handshakes, bitfield, interested, unchoke, requests, pieces", async () => {
    const seed = await start({ torrent, dir, port: 0, announceUrl: "" });
    const trace = new Trace();
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-traced-"));
    const leecher = await start({ torrent, dir: out, port: 0, announceUrl: "", peers: [seed.address], trace: { trace, name: "leecher" } });
    await leecher.complete;
    const seedName = `${seed.address.host}:${seed.address.port}`;
    const said = (from: string, label: RegExp) => trace.entries.findIndex((e) => e.from === from && label.test(e.label));
    const order = [
      said("leecher", /^handshake$/),
      said(seedName, /^handshake$/),
      said(seedName, /^bitfield \(13 of 16 bits set\)$/), // 3 MiB + 999 B in 256 KiB pieces: 13 pieces
      said("leecher", /^interested$/),
      said(seedName, /^unchoke$/),
      said("leecher", /^request piece \d+ @0 \(16384 B\)$/),
      said(seedName, /^piece \d+ @0 \(16384 B\)$/),
    ];
    expect(order.every((i) => i >= 0), JSON.stringify(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(trace.entries.filter((e) => e.from === seedName && e.label.startsWith("piece ")).length).toBe(Math.ceil(data.length / 16384));
  }, 30_000);

  it("one seed and five leechers: everyone ends with the same bytes, and leechers upload to each other", async () => {
    // The seed's uplink is slow (1 MiB/s), so the leechers must trade to finish soon.
    await start({ torrent, dir, port: 0, uploadRate: 1024 * 1024 });
    const outs = Array.from({ length: 5 }, () => mkdtempSync(join(tmpdir(), "applayer-bt-out-")));
    const leechers = await Promise.all(outs.map((out) => start({ torrent, dir: out, port: 0 })));
    await Promise.all(leechers.map((l) => l.complete));
    for (const out of outs) expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
    expect(leechers.reduce((s, l) => s + l.stats().uploaded, 0)).toBeGreaterThan(data.length);
  }, 60_000);

  it("a lying peer is caught by the SHA-1 check and banned; the piece comes from others and the download completes", async () => {
    const liarDir = mkdtempSync(join(tmpdir(), "applayer-bt-liar-"));
    writeFileSync(join(liarDir, "lesson.bin"), data);
    const liar = await start({ torrent, dir: liarDir, port: 0 });
    // Now that it has checked its pieces and claims them all, its disk goes bad.
    writeFileSync(join(liarDir, "lesson.bin"), randomBytes(data.length));
    const events: SessionEvent[] = [];
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-victim-"));
    const victim = await start({ torrent, dir: out, port: 0, announceUrl: "", peers: [liar.address], onEvent: (e) => events.push(e) });
    // Only the liar is known at first; an honest seed joins a moment later.
    const honest = await start({ torrent, dir, port: 0, announceUrl: "" });
    await new Promise((r) => setTimeout(r, 300));
    victim.connect(honest.address);
    await victim.complete;
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
    const bans = events.filter((e) => e.type === "banned");
    expect(bans).toHaveLength(1);
    expect(bans[0]).toMatchObject({ peer: `127.0.0.1:${liar.address.port}` });
    expect(victim.stats().banned).toBeGreaterThan(0);
    // A banned peer is not taken back.
    victim.connect(liar.address);
    await new Promise((r) => setTimeout(r, 200));
    expect(events.filter((e) => e.type === "connected" && e.peer === `127.0.0.1:${liar.address.port}`)).toHaveLength(1);
  }, 60_000);

  it.each([
    ["an oversized length prefix", Buffer.from([0xff, 0xff, 0xff, 0xff]), /over the limit/],
    ["a bitfield of the wrong size", encodeWireMessage({ type: "bitfield", bits: Buffer.alloc(3) }), /bitfield for \d+ pieces/],
    ["a request outside the piece", encodeWireMessage({ type: "request", piece: 0, begin: 256 * 1024, length: 16384 }), /outside the piece/],
    ["a have for a piece that does not exist", encodeWireMessage({ type: "have", piece: 99999 }), /the torrent has/],
    ["a choke with a payload", Buffer.from([0, 0, 0, 2, 0, 1]), /must carry 0 bytes/],
  ])("%s closes that connection with a reason; the swarm goes on", async (_what, bad, reason) => {
    const events: SessionEvent[] = [];
    const seed = await start({ torrent, dir, port: 0, onEvent: (e) => events.push(e) });
    const socket = net.connect(seed.address.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.on("error", () => undefined);
    socket.resume(); // read (and drop) what the seed says, so its close is seen
    socket.write(Buffer.concat([encodeHandshake(torrent.infoHashBytes, Buffer.from("-EV0000-000000000000")), bad]));
    await new Promise((r) => socket.once("close", r));
    expect(events.find((e) => e.type === "closed")).toMatchObject({ reason: expect.stringMatching(reason) });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-after-"));
    const leecher = await start({ torrent, dir: out, port: 0 });
    await leecher.complete;
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
  }, 30_000);

  it("a seed that leaves mid-download costs time, not data: another seed finishes the job", async () => {
    const first = await start({ torrent, dir, port: 0, announceUrl: "" });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-churn-"));
    let pieces = 0;
    const leecher = await start({ torrent, dir: out, port: 0, announceUrl: "", peers: [first.address], onEvent: (e) => e.type === "piece" && pieces++ });
    while (pieces < 3) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    const second = await start({ torrent, dir, port: 0, announceUrl: "" });
    leecher.connect(second.address);
    await leecher.complete;
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
  }, 30_000);
});

describe("finding peers through the tracker", () => {
  it("a seed listening on 127.0.0.31 is announced there (BEP 3's ip), so a downloader dials it from the tracker's list", async () => {
    // A long interval: the seed announces once, before the downloader, so it never learns of it and never dials it.
    const slow = await serveTracker({ port: 0, interval: 600 });
    try {
      const seed = await start({ torrent, dir, host: "127.0.0.31", port: 0, announceUrl: slow.announceUrl });
      const out = mkdtempSync(join(tmpdir(), "applayer-bt-ip-"));
      const connected: string[] = [];
      const leecher = await start({ torrent, dir: out, port: 0, announceUrl: slow.announceUrl, onEvent: (e) => e.type === "connected" && connected.push(e.peer) });
      await leecher.complete;
      expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
      expect(connected).toEqual([`127.0.0.31:${seed.address.port}`]);
    } finally {
      for (const s of sessions.splice(0)) await s.close();
      await slow.close();
    }
  }, 30_000);

  /** A tracker in front of which the first `refusals` connections are reset: what a client sees of a tracker not yet up. */
  const flakyTracker = async (refusals: number) => {
    let seen = 0;
    const front = net.createServer((socket) => {
      if (++seen <= refusals) return socket.destroy();
      const back = net.connect(tracker.address.port, tracker.address.host);
      socket.pipe(back).pipe(socket);
      back.on("error", () => socket.destroy());
      socket.on("error", () => back.destroy());
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    sockets.push(front);
    return { url: `http://127.0.0.1:${(front.address() as net.AddressInfo).port}/announce`, attempts: () => seen };
  };
  const sockets: net.Server[] = [];
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));

  it(`retries an unreachable tracker ${TRACKER_RETRIES} times (at the cap: the last retry gets through and the download completes)`, async () => {
    await start({ torrent, dir, port: 0 });
    const front = await flakyTracker(TRACKER_RETRIES);
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-retry-"));
    const leecher = await start({ torrent, dir: out, port: 0, announceUrl: front.url, trackerRetryMs: 5 });
    await leecher.complete;
    expect(front.attempts()).toBeGreaterThanOrEqual(TRACKER_RETRIES + 1);
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
  }, 30_000);

  it("one refusal past the cap, a download with no peer fails with TRACKER_UNREACHABLE naming the tracker", async () => {
    const front = await flakyTracker(TRACKER_RETRIES + 1);
    const errors: string[] = [];
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-noretry-"));
    const leecher = await start({ torrent, dir: out, port: 0, announceUrl: front.url, trackerRetryMs: 5, onEvent: (e) => e.type === "tracker" && e.error && errors.push(e.error) });
    const e = await leecher.complete.catch((x) => x);
    expect(isAppLayerError(e, "TRACKER_UNREACHABLE")).toBe(true);
    expect(e.detail).toEqual({ url: front.url, attempts: TRACKER_RETRIES + 1 });
    expect(errors.length).toBe(TRACKER_RETRIES + 1);
  }, 30_000);

  it("a download that was given peers goes on without the tracker", async () => {
    const seed = await start({ torrent, dir, port: 0, announceUrl: "" });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-peers-"));
    const leecher = await start({ torrent, dir: out, port: 0, announceUrl: `http://127.0.0.1:${await freePort()}/announce`, trackerRetryMs: 1, peers: [seed.address] });
    await leecher.complete;
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
  }, 30_000);
});

describe("request pipelining", () => {
  it(`keeps PIPELINE (${PIPELINE}) requests in flight to a seed that answers only in bursts, and never one more`, async () => {
    // A seed like Transmission: it queues requests and sends what is queued every 20 ms (Transmission: every 500 ms),
    // so how many blocks arrive per burst is how many requests were in flight. Over PIPELINE blocks in the torrent.
    const big = randomBytes(4 * PIPELINE * BLOCK_SIZE);
    writeFileSync(join(dir, "big.bin"), big);
    const t = parseTorrent(await createTorrent(join(dir, "big.bin"), { announce: tracker.announceUrl }));
    let inFlight = 0;
    let most = 0;
    const seed = net.createServer((socket) => {
      const decoder = new WireDecoder();
      const queue: Array<{ piece: number; begin: number; length: number }> = [];
      let handshook = false;
      let pending = Buffer.alloc(0);
      const pulse = setInterval(() => {
        for (const r of queue.splice(0)) {
          const at = r.piece * t.pieceLength + r.begin;
          socket.write(encodeWireMessage({ type: "piece", piece: r.piece, begin: r.begin, block: big.subarray(at, at + r.length) }));
          inFlight--;
        }
      }, 20);
      socket.on("close", () => clearInterval(pulse));
      socket.on("error", () => undefined);
      socket.on("data", (chunk: Buffer) => {
        if (!handshook) {
          pending = Buffer.concat([pending, chunk]);
          if (pending.length < HANDSHAKE_LENGTH) return;
          handshook = true;
          socket.write(Buffer.concat([encodeHandshake(t.infoHashBytes, Buffer.from("-TR3000-fakefakefake")),
            encodeWireMessage({ type: "bitfield", bits: wordsToBitfield(new Uint32Array(Math.ceil(t.pieces.length / 32)).fill(0xffffffff), t.pieces.length) }), encodeWireMessage({ type: "unchoke" })]));
          chunk = pending.subarray(HANDSHAKE_LENGTH);
        }
        for (const m of decoder.push(chunk)) {
          if (m.type === "request") {
            queue.push(m);
            most = Math.max(most, ++inFlight);
          }
        }
      });
    });
    await new Promise<void>((r) => seed.listen(0, "127.0.0.1", r));
    try {
      const out = mkdtempSync(join(tmpdir(), "applayer-bt-pipeline-"));
      const leecher = await start({ torrent: t, dir: out, port: 0, announceUrl: "", peers: [{ host: "127.0.0.1", port: (seed.address() as net.AddressInfo).port }] });
      await leecher.complete;
      expect(readFileSync(join(out, "big.bin")).equals(big)).toBe(true);
      expect(most).toBe(PIPELINE);
    } finally {
      seed.close();
    }
  }, 30_000);
});

describe("connection limit", () => {
  it(`takes MAX_PEERS (${MAX_PEERS}) connections, and closes the next one without a handshake`, async () => {
    const seed = await start({ torrent, dir, port: 0, announceUrl: "" });
    const sockets: net.Socket[] = [];
    /** Opens a connection and says whether the seed answered with its handshake (true) or closed it (false). */
    const knock = (i: number) => new Promise<boolean>((resolve) => {
      const socket = net.connect(seed.address.port, seed.address.host);
      sockets.push(socket);
      let got = 0;
      socket.on("data", (d: Buffer) => (got += d.length) >= HANDSHAKE_LENGTH && resolve(true));
      socket.on("close", () => resolve(false));
      socket.on("error", () => undefined);
      socket.write(encodeHandshake(torrent.infoHashBytes, Buffer.from(`-XX0000-${String(i).padStart(12, "0")}`)));
    });
    try {
      const answered: boolean[] = [];
      for (let i = 0; i <= MAX_PEERS; i++) answered.push(await knock(i));
      expect(answered.slice(0, MAX_PEERS).every(Boolean)).toBe(true);
      expect(answered[MAX_PEERS]).toBe(false);
      expect(seed.stats().peers).toBe(MAX_PEERS);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 30_000);
});
