import { afterEach, describe, expect, it } from "vitest";
import * as http from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTorrent, parseTorrent } from "../../lib/src/bt/metainfo";
import { encodeBencode } from "../../lib/src/bt/bencode";
import { announce } from "../../lib/src/bt/tracker";
import { startSession, TorrentSession } from "../../lib/src/bt/session";
import { isAppLayerError } from "../../lib/src/errors";

const sessions: TorrentSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});

const torrentError = (bytes: Buffer) => {
  try {
    parseTorrent(bytes);
    return "ok";
  } catch (e) {
    return isAppLayerError(e) ? `${e.code}: ${e.message}` : `crash: ${e}`;
  }
};
const info = { name: "x", "piece length": 16384, pieces: Buffer.alloc(20), length: 100 };

describe("metainfo", () => {
  it("makes and parses a multi-file torrent, and a swarm moves the directory byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "applayer-multi-"));
    mkdirSync(join(dir, "album", "disc 2"), { recursive: true });
    const files: Record<string, Buffer> = { "a.txt": randomBytes(70_000), "disc 2/b.bin": randomBytes(300_000), "disc 2/c.bin": Buffer.alloc(0), "z.txt": randomBytes(5) };
    for (const [p, b] of Object.entries(files)) writeFileSync(join(dir, "album", p), b);
    const t = parseTorrent(await createTorrent(join(dir, "album"), { announce: "http://127.0.0.1:1/announce", pieceLength: 32768 }));
    expect(t.multiFile).toBe(true);
    expect(t.files.map((f) => f.path.join("/"))).toEqual(["a.txt", "disc 2/b.bin", "disc 2/c.bin", "z.txt"]);
    expect(t.length).toBe(370_005);
    expect(t.pieces).toHaveLength(Math.ceil(370_005 / 32768));
    const seed = await startSession({ torrent: t, dir, port: 0, announceUrl: "" });
    sessions.push(seed);
    expect(seed.stats().have).toBe(t.pieces.length);
    const out = mkdtempSync(join(tmpdir(), "applayer-multi-out-"));
    const leecher = await startSession({ torrent: t, dir: out, port: 0, announceUrl: "", peers: [seed.address] });
    sessions.push(leecher);
    await leecher.complete;
    for (const [p, b] of Object.entries(files)) expect(readFileSync(join(out, "album", p)).equals(b)).toBe(true);
  });

  it.each([
    ["not a dictionary", encodeBencode([1, 2]), /top level is not a dictionary/],
    ["no info", encodeBencode({ announce: "x" }), /no info dictionary/],
    ["a name with a slash", encodeBencode({ info: { ...info, name: "../etc" } }), /not a safe file name/],
    ["pieces not a multiple of 20", encodeBencode({ info: { ...info, pieces: Buffer.alloc(21) } }), /20-byte SHA-1/],
    ["too few hashes for the length", encodeBencode({ info: { ...info, length: 20000 } }), /1 piece hashes for 20000 bytes/],
    ["a path that climbs out", encodeBencode({ info: { ...info, length: undefined, files: [{ length: 1, path: ["..", "x"] }] } }), /would leave the download directory/],
    ["a zero piece length", encodeBencode({ info: { ...info, "piece length": 0 } }), /piece length is 0/],
    ["truncated bencode", encodeBencode({ info }).subarray(0, 30), /^BENCODE/],
  ])("refuses %s with a clear error", (_what, bytes, message) => {
    expect(torrentError(bytes)).toMatch(message);
  });

  it("reports a tracker that answers with something that is not a tracker response", async () => {
    const answers = [Buffer.from("<html>not bencode</html>"), encodeBencode({ peers: Buffer.alloc(7) }), encodeBencode({ interval: 5, peers: Buffer.alloc(7) })];
    let k = 0;
    const server = http.createServer((_req, res) => res.end(answers[k++]));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/announce`;
    const a = { infoHash: Buffer.alloc(20), peerId: Buffer.alloc(20), port: 1, left: 0 };
    const errors: string[] = [];
    for (const _ of answers) errors.push(await announce(url, a).then(() => "ok", (e) => (isAppLayerError(e, "TRACKER") ? e.message : `crash ${e}`)));
    server.close();
    expect(errors[0]).toMatch(/not bencode/);
    expect(errors[1]).toMatch(/not a multiple of 6|no interval/);
    expect(errors[2]).toMatch(/not a multiple of 6/);
  });
});
