/**
 * The judges of lesson 42's assignment: aria2c seeding, transmission-show's
 * info-hash, torrents from mktorrent and transmission-create, and the scripted
 * seed that misbehaves on purpose, each asked what a student's peer would ask.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTorrent, parseTorrent } from "../../lib/src/bt/metainfo";
import { decodeBencode, BDict } from "../../lib/src/bt/bencode";
import { encodeHandshake, encodeWireMessage } from "../../lib/src/bt/wire";
import { makeTorrentWith, outcomeOf, seedWithAria2, transmissionShow, withAria2Seed } from "../../lib/src/bt/judges";
import { withScriptedPeer } from "../../lib/src/bt/scripted-peer";
import { NOT_IMPLEMENTED } from "../../lib/src/lab/check";

let dir: string;
const data = Buffer.from(Array.from({ length: 300 * 1024 + 5 }, (_, i) => (i * 13) & 255));
const myId = Buffer.from("-TE0001-judges-test-", "latin1");
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "applayer-judges-"));
  writeFileSync(join(dir, "file.bin"), data);
  mkdirSync(join(dir, "folder"));
  writeFileSync(join(dir, "folder", "a.txt"), "a\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sends `bytes` to `address` and collects what comes back for `ms`. */
function exchange(address: { host: string; port: number }, bytes: Buffer, ms: number): Promise<Buffer> {
  return new Promise((done) => {
    const got: Buffer[] = [];
    const s = net.connect(address.port, address.host).on("data", (d) => got.push(d)).on("error", () => undefined);
    s.write(bytes);
    setTimeout(() => { s.destroy(); done(Buffer.concat(got)); }, ms);
  });
}

/** Like {@link exchange}, but sends `bytes` in parts of `size` bytes, 5 ms apart, and collects for `ms` after the last. */
async function exchangeInParts(address: { host: string; port: number }, bytes: Buffer, size: number, ms: number): Promise<Buffer> {
  const got: Buffer[] = [];
  const s = net.connect({ port: address.port, host: address.host, noDelay: true }).on("data", (d) => got.push(d)).on("error", () => undefined);
  for (let at = 0; at < bytes.length; at += size) {
    s.write(bytes.subarray(at, at + size));
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, ms));
  s.destroy();
  return Buffer.concat(got);
}

describe("transmission-show, mktorrent and transmission-create", () => {
  it("transmission-show's Hash: line is the lib's info-hash", async () => {
    const bytes = await createTorrent(join(dir, "file.bin"), { announce: "http://127.0.0.1:6969/announce" });
    writeFileSync(join(dir, "file.torrent"), bytes);
    expect(transmissionShow(join(dir, "file.torrent"))).toEqual({ name: "file.bin", hash: parseTorrent(bytes).infoHash });
  });
  it("mktorrent's web seed sorts after info, and its source is inside info", () => {
    const path = makeTorrentWith("mktorrent", join(dir, "folder"), { webSeed: "http://127.0.0.1/f", source: "lesson", private: true });
    const top = decodeBencode(readFileSync(path)) as BDict;
    expect(Object.keys(top)).toEqual(["announce", "created by", "info", "url-list"]);
    expect((top.info as BDict).source).toEqual(Buffer.from("lesson"));
    expect(transmissionShow(path).hash).toBe(parseTorrent(readFileSync(path)).infoHash);
  });
  it("a tool that fails says so", () => {
    expect(() => makeTorrentWith("mktorrent", join(dir, "no such folder"))).toThrow(/mktorrent failed/);
  });
});

describe("aria2c seeding", () => {
  it("answers a handshake with its own and its bitfield, and is gone once closed", async () => {
    const bytes = await createTorrent(join(dir, "file.bin"), { announce: "http://127.0.0.1:6969/announce" });
    writeFileSync(join(dir, "seeded.torrent"), bytes);
    const torrent = parseTorrent(bytes);
    const seed = await seedWithAria2({ torrentPath: join(dir, "seeded.torrent"), dir });
    const reply = await exchange(seed.address, encodeHandshake(torrent.infoHashBytes, myId), 1500);
    await seed.close();
    expect(reply.subarray(28, 48).equals(torrent.infoHashBytes)).toBe(true);
    expect(reply.toString("latin1", 48, 51)).toBe("A2-");
    expect(reply.subarray(68, 74).toString("hex")).toBe("0000000205c0"); // 2 bytes: id 5, pieces 0 and 1
    await expect(exchange(seed.address, Buffer.from("x"), 100)).resolves.toEqual(Buffer.alloc(0));
  }, 20_000);
  it("withAria2Seed stops a peer that never finishes, with TIMEOUT", async () => {
    const started = Date.now();
    await expect(withAria2Seed({ torrentPath: join(dir, "seeded.torrent"), dir }, () => new Promise(() => undefined), 500)).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20_000);
  it("withAria2Seed says when aria2c hung up on a peer that failed, and passes a peer's own failure on as it was", async () => {
    const torrent = parseTorrent(readFileSync(join(dir, "seeded.torrent")));
    /** Sends `bytes`; resolves with the first bytes aria2c answers, rejects when the connection closes first. */
    const say = (seed: { host: string; port: number }, bytes: Buffer) => new Promise<Buffer>((answered, failed) => {
      const s = net.connect(seed.port, seed.host).on("error", () => undefined);
      s.once("data", (d) => { s.destroy(); answered(d); }).on("close", () => failed(new Error("the peer hung up")));
      s.write(bytes);
    });
    // Not a handshake: aria2c takes it for an encrypted one (MSE), answers its key, and hangs up once the junk has no sync mark.
    const junk = (seed: { host: string; port: number }) => new Promise<never>((_, failed) =>
      void net.connect(seed.port, seed.host).on("error", () => undefined).on("close", () => failed(new Error("the peer hung up"))).resume().write(Buffer.alloc(4096, 0x41)));
    await expect(withAria2Seed({ torrentPath: join(dir, "seeded.torrent"), dir }, junk)).rejects.toMatchObject({ code: "JUDGE_HUNG_UP" });
    const own = new Error("my own mistake");
    await expect(withAria2Seed({ torrentPath: join(dir, "seeded.torrent"), dir }, async (seed) => {
      const reply = await say(seed, encodeHandshake(torrent.infoHashBytes, myId)); // through the door: aria2c's handshake
      expect(reply.subarray(28, 48).equals(torrent.infoHashBytes)).toBe(true);
      throw own;
    })).rejects.toBe(own);
  }, 30_000);
});

describe("outcomeOf", () => {
  it("tells accepted, refused, a hang and the released stub apart", async () => {
    expect(await outcomeOf(async () => 1)).toBe("accepted");
    expect(await outcomeOf(async () => { throw new Error("bad peer"); })).toBe("refused");
    expect(await outcomeOf(() => new Promise(() => undefined), 50)).toBe("no answer");
    expect(await outcomeOf(() => { throw new Error(`${NOT_IMPLEMENTED}: replace this line`); })).toBe("not written");
  });
});

describe("the scripted seed", () => {
  const torrent = { infoHash: createHash("sha1").update("t").digest(), pieceLength: 16384 * 2, data };
  it("answers for another torrent when told to, in parts", async () => {
    const other = Buffer.alloc(20, 9);
    const reply = await withScriptedPeer({ ...torrent, answerInfoHash: other, handshakeParts: 3 }, (peer) => exchange(peer, encodeHandshake(torrent.infoHash, myId), 300));
    expect(reply.subarray(28, 48)).toEqual(other);
  });
  it("sends a corrupt block when told to, and nothing for a piece it lacks", async () => {
    const ask = Buffer.concat([encodeHandshake(torrent.infoHash, myId), encodeWireMessage({ type: "interested" }),
      encodeWireMessage({ type: "request", piece: 1, begin: 0, length: 4 }), encodeWireMessage({ type: "request", piece: 2, begin: 0, length: 4 })]);
    const reply = await withScriptedPeer({ ...torrent, corrupt: true, has: (p) => p !== 2 }, (peer) => exchange(peer, ask, 300));
    const block = reply.subarray(reply.length - 4);
    expect(block[0]).toBe(data[32768] ^ 0xff);
    expect(block.subarray(1)).toEqual(data.subarray(32769, 32772));
    expect(reply.length).toBe(68 + (4 + 1 + 2) + (4 + 1) + (4 + 9 + 4)); // handshake, bitfield (10 pieces), unchoke, one piece
  });
  it("answers messages that arrive a few bytes at a time", async () => {
    const ask = Buffer.concat([encodeHandshake(torrent.infoHash, myId), encodeWireMessage({ type: "interested" }), encodeWireMessage({ type: "request", piece: 3, begin: 8, length: 4 })]);
    const reply = await withScriptedPeer(torrent, (peer) => exchangeInParts(peer, ask, 7, 200));
    expect(reply.subarray(68 + 7 + 5).toString("hex")).toBe(encodeWireMessage({ type: "piece", piece: 3, begin: 8, block: data.subarray(3 * 32768 + 8, 3 * 32768 + 12) }).toString("hex"));
  });
  it("goes silent after a request of the wrong length: it answers neither that one nor the next", async () => {
    const bad = encodeWireMessage({ type: "request", piece: 1, begin: 0, length: 4 });
    bad.writeUInt32BE(14, 0); // BEP 3: a request is 13 bytes; this one claims 14 and carries a stray byte
    const ask = Buffer.concat([encodeHandshake(torrent.infoHash, myId), encodeWireMessage({ type: "interested" }), Buffer.concat([bad, Buffer.alloc(1)]),
      encodeWireMessage({ type: "request", piece: 1, begin: 0, length: 4 })]);
    // The handshake and interested first, then the bad request and a good one.
    const reply = await withScriptedPeer(torrent, (peer) => exchangeInParts(peer, ask, 68 + 5, 300));
    expect(reply.length).toBe(68 + (4 + 1 + 2) + (4 + 1)); // handshake, bitfield, unchoke: no piece
  });
});
