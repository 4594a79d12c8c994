/**
 * Interop with standard BitTorrent software (Debian's aria2, mktorrent,
 * transmission-show, opentracker, transmission-daemon 3.00 and libtorrent-rasterbar
 * 2.0 through python3-libtorrent), all on loopback:
 *  - aria2c downloads a file from the lib's seeder through the lib's tracker;
 *  - the lib's downloader fetches a file from aria2c seeding through opentracker;
 *  - Transmission and libtorrent, each both ways: they download from the lib's seed,
 *    and the lib downloads from them (from libtorrent, a hybrid torrent with BEP 47
 *    padding files, which must not appear on disk);
 *  - a .torrent made by mktorrent parses to the info-hash transmission-show reports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, run } from "../helpers";
import { createTorrent, parseTorrent } from "../../lib/src/bt/metainfo";
import { announce, serveTracker, Tracker } from "../../lib/src/bt/tracker";
import { SessionEvent, startSession } from "../../lib/src/bt/session";

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
    // Wait for what the test needs: opentracker answering for this torrent with aria2 in its list. (Asked
    // too early, opentracker may refuse the torrent before it has read its whitelist, and a download
    // with no peer gives up at a tracker's refusal.) The probe leaves the swarm once it has seen aria2.
    const probe = { infoHash: parseTorrent(readFileSync(torrentFile)).infoHashBytes, peerId: Buffer.from("-PROBE-0000000000000"), port: 1, left: 1, timeoutMs: 2_000 };
    const url = `http://127.0.0.1:${port}/announce`;
    for (let seen = false; !seen; ) {
      seen = await announce(url, probe).then((r) => r.peers.some((p) => p.port === ariaPort), () => false);
      if (!seen) await new Promise((r) => setTimeout(r, 200));
    }
    await announce(url, { ...probe, event: "stopped" }).catch(() => undefined); // opentracker may hang up on a "stopped" instead of answering
  }, 60_000);
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

/** Spawns a peer and resolves once a line of its stdout matches `ready` (with the match); rejects if it exits first. */
function startPeer(cmd: string, args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpMatchArray; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let err = "";
    let out = "";
    proc.stderr!.on("data", (d) => (err += d));
    proc.stdout!.on("data", (d) => {
      out += d;
      const all = out.split("\n");
      out = all.pop()!;
      for (const line of all) {
        lines.push(line);
        const m = ready.exec(line);
        if (m) resolve({ proc, match: m, lines });
      }
    });
    proc.once("exit", (code) => reject(new Error(`${cmd} exited ${code} before printing ${ready}:\n${lines.join("\n")}\n${err}`)));
  });
}

/** Waits for `check` to come true, asking every 200 ms (for peers that only answer when asked, like transmission-remote). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * libtorrent-rasterbar 2.0 as a peer: `seed` prints "seeding" once its copy is checked, `leech` prints "done" and exits
 * once it has every piece on disk. No DHT, LSD, UPnP, NAT-PMP or uTP (the lib speaks TCP only); `peer` is dialled at once.
 * A piece counts as had once its hash passes, which may be before its blocks leave libtorrent's store buffer for the
 * file (a fresh clone's run with a core kept busy read a file that was not yet the seed's bytes). So the leech first ends its
 * session, whose destructor waits for the disk threads to finish their writes, and only then says "done".
 */
const LIBTORRENT_PEER = `
import sys, time
import libtorrent as lt
mode, torrent, save, iface = sys.argv[1:5]
peer = sys.argv[5] if len(sys.argv) > 5 else None
s = lt.session({"listen_interfaces": iface, "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                "enable_incoming_utp": False, "enable_outgoing_utp": False, "allow_multiple_connections_per_ip": True})
h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save})
while not s.listen_port():
    time.sleep(0.05)
print("listening on %s:%d" % (iface.split(":")[0], s.listen_port()), flush=True)
if peer:
    host, port = peer.rsplit(":", 1)
    h.connect_peer((host, int(port)))
said = False
while True:
    st = h.status()
    if st.is_seeding and not said:
        if mode == "leech":
            del h, s
            print("done", flush=True)
            break
        print("seeding", flush=True)
        said = True
    time.sleep(0.05)
`;

describe("libtorrent (python3-libtorrent 2.0), both ways", () => {
  const procs: ChildProcess[] = [];
  afterAll(() => procs.forEach((p) => p.kill("SIGTERM")));

  it("the lib downloads a hybrid torrent with BEP 47 padding files from a libtorrent seed, and writes no padding file", async () => {
    const root = mkdtempSync(join(tmpdir(), "applayer-bt-lt-seed-"));
    const folder = join(root, "course");
    mkdirSync(folder);
    const files = { "a.bin": randomBytes(3_000_001), "b.bin": randomBytes(1_000_003), "c.txt": Buffer.from("hello\n") };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
    // libtorrent 2 makes hybrid (v1 + v2) torrents by default: each file padded to a piece boundary.
    const torrentFile = join(root, "course.torrent");
    await run("/usr/bin/python3", ["-c", `import libtorrent as lt, sys
fs = lt.file_storage(); lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, 65536); lt.set_piece_hashes(ct, sys.argv[2])
open(sys.argv[3], "wb").write(lt.bencode(ct.generate()))`, folder, root, torrentFile]);
    const torrent = parseTorrent(readFileSync(torrentFile));
    expect(torrent.files.filter((f) => f.pad).length).toBeGreaterThan(0);
    const seed = await startPeer("/usr/bin/python3", ["-c", LIBTORRENT_PEER, "seed", torrentFile, root, "127.0.0.51:0"], /^listening on ([\d.]+):(\d+)$/);
    procs.push(seed.proc);
    await until("libtorrent to check its copy", async () => seed.lines.includes("seeding"));
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-from-lt-"));
    const connected: string[] = [];
    const session = await startSession({ torrent, dir: out, host: "127.0.0.52", port: 0, peers: [{ host: seed.match[1], port: Number(seed.match[2]) }],
      onEvent: (e: SessionEvent) => e.type === "connected" && connected.push(e.peer) });
    try {
      await session.complete;
    } finally {
      await session.close();
    }
    expect(connected).toEqual([`${seed.match[1]}:${seed.match[2]}`]);
    expect(readdirSync(join(out, "course")).sort()).toEqual(Object.keys(files).sort());
    for (const [name, bytes] of Object.entries(files)) expect(readFileSync(join(out, "course", name)).equals(bytes)).toBe(true);
  }, 90_000);

  it("libtorrent downloads from the lib's seed", async () => {
    const torrentFile = join(dir, "for-lt.torrent");
    writeFileSync(torrentFile, await createTorrent(join(dir, "lesson.bin"), { announce: "http://127.0.0.1:9/announce" }));
    const seed = await startSession({ torrent: parseTorrent(readFileSync(torrentFile)), dir, port: 0, announceUrl: "" });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-lt-leech-"));
    try {
      const leech = await startPeer("/usr/bin/python3", ["-c", LIBTORRENT_PEER, "leech", torrentFile, out, "127.0.0.53:0", `${seed.address.host}:${seed.address.port}`], /^listening on/);
      procs.push(leech.proc);
      await until("libtorrent to finish", async () => leech.lines.includes("done"));
      expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
      expect(seed.stats().uploaded).toBeGreaterThanOrEqual(data.length);
    } finally {
      await seed.close();
    }
  }, 90_000);
});

/**
 * transmission-daemon 3.00 on its own 127.0.0.x (it tells peers apart by IP), with DHT, LPD, PEX, uTP and port
 * forwarding off, plain (unencrypted) connections preferred, and RPC on 127.0.0.1 for transmission-remote. It never
 * dials a 127.x peer: the lib's side always dials it.
 */
async function startTransmission(host: string, downloadDir: string) {
  const conf = mkdtempSync(join(tmpdir(), "applayer-bt-tr-conf-"));
  const port = await freePort(host);
  const rpc = await freePort();
  writeFileSync(join(conf, "settings.json"), JSON.stringify({
    "bind-address-ipv4": host, "bind-address-ipv6": "::1", "blocklist-enabled": false, "cache-size-mb": 4, "dht-enabled": false,
    "download-dir": downloadDir, encryption: 0, "incomplete-dir-enabled": false, "lpd-enabled": false, "message-level": 2,
    "peer-port": port, "peer-port-random-on-start": false, "pex-enabled": false, "port-forwarding-enabled": false,
    "ratio-limit-enabled": false, "idle-seeding-limit-enabled": false, "rpc-authentication-required": false, "rpc-bind-address": "127.0.0.1",
    "rpc-enabled": true, "rpc-port": rpc, "rpc-whitelist": "127.0.0.1", "rpc-whitelist-enabled": true, "rpc-host-whitelist-enabled": false,
    "speed-limit-down-enabled": false, "speed-limit-up-enabled": false, "start-added-torrents": true, "utp-enabled": false,
  }));
  const proc = spawn("transmission-daemon", ["-f", "-g", conf], { stdio: "ignore" });
  const remote = (...args: string[]) => run("transmission-remote", [`127.0.0.1:${rpc}`, ...args]);
  await until("transmission-daemon's RPC", async () => (await remote("-l"), true), 20_000);
  return { proc, address: { host, port }, remote, percentDone: async () => Number(/Percent Done:\s+([\d.]+)%/.exec(await remote("-t", "1", "-i"))?.[1] ?? 0) };
}

describe("transmission-daemon 3.00, both ways", () => {
  let tracker: Tracker;
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    tracker = await serveTracker({ port: 0, interval: 1 });
  });
  afterAll(async () => {
    procs.forEach((p) => p.kill("SIGTERM"));
    await tracker.close();
  });

  it("Transmission downloads from the lib's seed, which finds it through the lib's tracker and dials it", async () => {
    const torrentFile = join(dir, "for-tr.torrent");
    writeFileSync(torrentFile, await createTorrent(join(dir, "lesson.bin"), { announce: tracker.announceUrl }));
    const seed = await startSession({ torrent: parseTorrent(readFileSync(torrentFile)), dir, port: 0 });
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-tr-leech-"));
    try {
      const tr = await startTransmission("127.0.0.61", out);
      procs.push(tr.proc);
      await tr.remote("-a", torrentFile);
      // Slow, and not ours: Transmission says interested only at its next rechoke (every 10 s; our seed unchokes at
      // once), then asks for 4 blocks at a time and widens its pipeline as its measured rate grows.
      await until("Transmission to finish", async () => (await tr.percentDone()) === 100 && existsSync(join(out, "lesson.bin")));
      // 100 % means every piece's hash passed, not that its blocks have left Transmission's cache for the file.
      // Stopping the torrent flushes that cache and closes the file (in Transmission's event loop, which may be
      // after the RPC has answered), so the copy is compared until it is the seed's, or the wait fails.
      await tr.remote("-t", "1", "-S");
      await until("Transmission's copy on disk to be the seed's bytes", async () => readFileSync(join(out, "lesson.bin")).equals(data), 20_000);
      expect(seed.stats().uploaded).toBeGreaterThanOrEqual(data.length);
    } finally {
      await seed.close();
    }
  }, 120_000);

  it("the lib downloads from a Transmission seed found through the lib's tracker", async () => {
    const torrentFile = join(dir, "from-tr.torrent");
    writeFileSync(torrentFile, await createTorrent(join(dir, "lesson.bin"), { announce: tracker.announceUrl, comment: "from transmission" }));
    const tr = await startTransmission("127.0.0.62", dir);
    procs.push(tr.proc);
    await tr.remote("-a", torrentFile);
    await until("Transmission to check its copy", async () => (await tr.percentDone()) === 100);
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-from-tr-"));
    const connected: string[] = [];
    const session = await startSession({ torrent: parseTorrent(readFileSync(torrentFile)), dir: out, host: "127.0.0.63", port: 0, onEvent: (e) => e.type === "connected" && connected.push(e.peer) });
    try {
      // Transmission unchokes only at its rechoke, every 10 s.
      await session.complete;
    } finally {
      await session.close();
    }
    expect(connected).toContain(`127.0.0.62:${tr.address.port}`);
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
  }, 120_000);
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
