import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import { TrackerState, announce, decodeCompactPeers, encodeCompactPeers, parseAnnounceResponse, percentDecode, percentEncode, scrape, serveTracker, Tracker } from "../../lib/src/bt/tracker";
import { freePort } from "../helpers";
import { decodeBencode } from "../../lib/src/bt/bencode";
import { isAppLayerError } from "../../lib/src/errors";

let tracker: Tracker;
beforeAll(async () => {
  tracker = await serveTracker({ port: 0, interval: 5 });
});
afterAll(() => tracker.close());

const hash = Buffer.from("00ff11ee22dd33cc44bb55aa6699778800ff11ee", "hex");
const id = (n: number) => Buffer.from(`-XX0000-${String(n).padStart(12, "0")}`);
const get = (path: string) => new Promise<Buffer>((resolve) => http.get(`http://127.0.0.1:${tracker.address.port}${path}`, (res) => {
  const chunks: Buffer[] = [];
  res.on("data", (c) => chunks.push(c));
  res.on("end", () => resolve(Buffer.concat(chunks)));
}));

describe("HTTP tracker", () => {
  it("percent-encodes binary info-hashes and compact peers round-trip", () => {
    expect(percentDecode(percentEncode(hash))).toEqual(hash);
    expect(decodeCompactPeers(encodeCompactPeers([{ host: "127.0.0.21", port: 6881 }]))).toEqual([{ host: "127.0.0.21", port: 6881 }]);
  });
  it("hands each peer the others, counts seeds and leechers, and forgets a peer that stops", async () => {
    const first = await announce(tracker.announceUrl, { infoHash: hash, peerId: id(1), port: 7001, left: 100, event: "started" });
    expect(first.peers).toEqual([]);
    await announce(tracker.announceUrl, { infoHash: hash, peerId: id(2), port: 7002, left: 0, event: "started" });
    const third = await announce(tracker.announceUrl, { infoHash: hash, peerId: id(3), port: 7003, left: 50 });
    expect(third.peers.map((p) => p.port).sort()).toEqual([7001, 7002]);
    expect([third.complete, third.incomplete, third.interval]).toEqual([1, 2, 5]);
    await announce(tracker.announceUrl, { infoHash: hash, peerId: id(3), port: 7003, left: 0, event: "completed" });
    await announce(tracker.announceUrl, { infoHash: hash, peerId: id(1), port: 7001, left: 100, event: "stopped" });
    expect(await scrape(tracker.announceUrl, hash)).toEqual({ complete: 2, incomplete: 0, downloaded: 1 });
  });
  it.each([
    ["/announce?peer_id=x&port=1", /info_hash must be 20 bytes/],
    [`/announce?info_hash=${percentEncode(hash)}&peer_id=short&port=1`, /peer_id must be 20 bytes/],
    [`/announce?info_hash=${percentEncode(hash)}&peer_id=${percentEncode(id(9))}&port=70000`, /port must be/],
    [`/announce?info_hash=${percentEncode(hash)}&peer_id=${percentEncode(id(9))}&port=7&left=-1`, /non-negative/],
    [`/announce?info_hash=${percentEncode(hash)}&peer_id=${percentEncode(id(9))}&port=7&event=exploded`, /event must be/],
  ])("answers a malformed announce %s with a failure reason", async (path, reason) => {
    const d = decodeBencode(await get(path)) as Record<string, Buffer>;
    expect(d["failure reason"].toString()).toMatch(reason);
  });
  it("lists a peer at BEP 3's ip when it is in 127.0.0.0/8 and the request came from loopback, at the request's address otherwise", () => {
    const state = new TrackerState();
    const url = (n: number, ip?: string) => `/announce?info_hash=${percentEncode(hash)}&peer_id=${percentEncode(id(n))}&port=${7000 + n}${ip ? `&ip=${ip}` : ""}`;
    state.handle("GET", url(1, "127.0.0.31"), "127.0.0.1");
    state.handle("GET", url(2, "10.0.0.1"), "127.0.0.1"); // off loopback: ignored
    state.handle("GET", url(3, "127.0.0.33"), "192.0.2.7"); // from off loopback: ignored
    state.handle("GET", url(4, "127.0.0.999"), "127.0.0.1"); // not an address: ignored
    const peers = parseAnnounceResponse(state.handle("GET", url(5), "127.0.0.5")!).peers.map((p) => `${p.host}:${p.port}`).sort();
    expect(peers).toEqual(["127.0.0.1:7002", "127.0.0.1:7004", "127.0.0.31:7001", "192.0.2.7:7003"]);
  });
  it("the client sends the address it listens on as ip", async () => {
    const ours = await serveTracker({ port: 0 });
    await announce(ours.announceUrl, { infoHash: hash, peerId: id(1), port: 7001, ip: "127.0.0.31", left: 1 });
    const r = await announce(ours.announceUrl, { infoHash: hash, peerId: id(2), port: 7002, left: 1 });
    expect(r.peers.map((p) => `${p.host}:${p.port}`)).toEqual(["127.0.0.31:7001"]);
    await ours.close();
  });
  it("the client reports a tracker that refuses connections as TRACKER_UNREACHABLE, naming its URL", async () => {
    const url = `http://127.0.0.1:${await freePort()}/announce`;
    const e = await announce(url, { infoHash: hash, peerId: id(1), port: 7001, left: 1 }).catch((x) => x);
    expect(isAppLayerError(e, "TRACKER_UNREACHABLE") && e.detail.url).toBe(url);
  });
  it("the client reports a failure reason as a TRACKER error", async () => {
    const t = await serveTracker({ port: 0, allow: ["aa".repeat(20)] });
    const e = await announce(t.announceUrl, { infoHash: hash, peerId: id(1), port: 7001, left: 1 }).catch((x) => x);
    expect(isAppLayerError(e, "TRACKER") && e.message).toMatch(/does not track that torrent/);
    await t.close();
  });
});
