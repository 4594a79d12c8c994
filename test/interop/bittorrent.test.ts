/**
 * Interop with standard BitTorrent software (Debian's aria2, mktorrent,
 * transmission-show, opentracker), all on loopback:
 *  - aria2c downloads a file from the lib's seeder through the lib's tracker;
 *  - the lib's downloader fetches a file from aria2c seeding through opentracker;
 *  - a .torrent made by mktorrent parses to the info-hash transmission-show reports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, run } from "../helpers";
import { createTorrent, parseTorrent } from "../../lib/src/bt/metainfo";
import { serveTracker, Tracker } from "../../lib/src/bt/tracker";
import { startSession } from "../../lib/src/bt/session";

const ARIA2 = ["--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
  "--summary-interval=0", "--console-log-level=warn", "--file-allocation=none", "--bt-tracker-interval=2"];

let dir: string;
let data: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "applayer-bt-interop-"));
  data = randomBytes(6 * 1024 * 1024 + 4321);
  writeFileSync(join(dir, "lesson.bin"), data);
});

describe("aria2c downloads from the lib's seeder through the lib's tracker", () => {
  let tracker: Tracker;
  const announces: Array<{ peerId: string; event?: string; left: number }> = [];
  beforeAll(async () => {
    tracker = await serveTracker({ port: 0, interval: 2, onAnnounce: (e) => announces.push({ peerId: e.peer.peerId.toString("latin1"), event: e.event, left: e.left }) });
  });
  afterAll(() => tracker.close());

  it("byte-identical", async () => {
    const bytes = await createTorrent(join(dir, "lesson.bin"), { announce: tracker.announceUrl });
    writeFileSync(join(dir, "ours.torrent"), bytes);
    const torrent = parseTorrent(bytes);
    const seed = await startSession({ torrent, dir, port: 0 });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-aria2-"));
    try {
      await run("aria2c", [...ARIA2, "--seed-time=0", "--dir", out, join(dir, "ours.torrent")], "", { timeoutMs: 60_000 });
      expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
      expect(seed.stats().uploaded).toBeGreaterThanOrEqual(data.length);
      // aria2 (peer id "A2-…") announced itself to our tracker, and at the end had nothing left to fetch.
      const aria = announces.filter((a) => a.peerId.startsWith("A2-"));
      expect(aria[0]?.event).toBe("started");
      expect(aria.some((a) => a.left === 0)).toBe(true);
    } finally {
      await seed.close();
    }
  }, 90_000);
});

describe("the lib's downloader fetches from aria2c seeding through opentracker", () => {
  let opentracker: ChildProcess;
  let aria2: ChildProcess;
  let torrentFile: string;
  beforeAll(async () => {
    const port = await freePort();
    const trackerDir = join(dir, "opentracker");
    mkdirSync(trackerDir);
    chmodSync(dir, 0o755);
    await run("mktorrent", ["-p", "-a", `http://127.0.0.1:${port}/announce`, "-o", join(dir, "mk.torrent"), join(dir, "lesson.bin")]);
    torrentFile = join(dir, "mk.torrent");
    // Debian's opentracker runs in whitelist mode: the info-hash must be listed (path relative to its chroot).
    writeFileSync(join(trackerDir, "whitelist.txt"), `${parseTorrent(readFileSync(torrentFile)).infoHash}\n`);
    opentracker = spawn("opentracker", ["-i", "127.0.0.1", "-p", String(port), "-P", String(port), "-d", trackerDir, "-u", "nobody", "-w", "whitelist.txt"], { stdio: "ignore" });
    const ariaPort = await freePort("127.0.0.21");
    aria2 = spawn("aria2c", [...ARIA2, "--interface=127.0.0.21", `--listen-port=${ariaPort}`, `--dir=${dir}`, "--check-integrity=true", "--seed-ratio=0.0", torrentFile], { stdio: "ignore" });
  });
  afterAll(() => {
    aria2?.kill("SIGTERM");
    opentracker?.kill("SIGTERM");
  });

  it("byte-identical, every piece checked", async () => {
    const torrent = parseTorrent(readFileSync(torrentFile));
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-from-aria2-"));
    const session = await startSession({ torrent, dir: out, port: 0, interval: 2 });
    try {
      // aria2 announces once it has checked its copy; we announce every 2 s until it shows up.
      await session.complete;
      expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
    } finally {
      await session.close();
    }
  }, 90_000);
});

describe("mktorrent's .torrent", () => {
  it("parses to the info-hash transmission-show reports", async () => {
    for (const flags of [["-p"], ["-l", "15"], []]) {
      const file = join(dir, `mk-${flags.join("")}.torrent`);
      await run("mktorrent", [...flags, "-a", "http://127.0.0.1:6969/announce", "-o", file, join(dir, "lesson.bin")]);
      const shown = await run("transmission-show", [file]);
      const hash = /Hash:\s+([0-9a-f]{40})/.exec(shown)![1];
      const t = parseTorrent(readFileSync(file));
      expect(t.infoHash).toBe(hash);
      expect(t.length).toBe(data.length);
    }
  });
  it("is what the lib makes from the same file and settings, byte for byte in the info dictionary", async () => {
    const mk = join(dir, "mk-private.torrent");
    await run("mktorrent", ["-p", "-l", "18", "-a", "http://127.0.0.1:6969/announce", "-o", mk, join(dir, "lesson.bin")]);
    const ours = parseTorrent(await createTorrent(join(dir, "lesson.bin"), { announce: "http://127.0.0.1:6969/announce", pieceLength: 1 << 18, private: true }));
    expect(ours.infoHash).toBe(parseTorrent(readFileSync(mk)).infoHash);
  });
});
