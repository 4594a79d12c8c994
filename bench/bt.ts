/**
 * `npm run bench:bt`: BitTorrent figures, each against its baseline in the same run.
 *   1. Loopback download of a 256 MiB torrent from `applayer seed` (through the
 *      lib's tracker): by `applayer download` and by aria2c, each its own process
 *      timed from start to exit, plain TCP moving the same bytes, and plain TCP
 *      with every piece's SHA-1 (the ceiling of a verified download).
 *   2. The swarm simulator: wall time for 10,000 peers × 1,024 pieces, and the gap
 *      to the lower bound in the ideal case.
 */
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
// The compiled lib, as the CLI and the notebooks run it (tsx's transform of lib/src is slower in hot loops).
import { createTorrent, serveTracker, simulateSwarm } from "../lib/dist/index.js";

const CLI = join(__dirname, "..", "lib", "dist", "cli", "main.js");

const MiB = 1024 * 1024;
const PIECE = 256 * 1024;
const SIZE_MIB = Number(process.env.BENCH_TORRENT_MIB ?? 256);

const sh = (cmd: string, args: string[]) => new Promise<void>((resolve, reject) => execFile(cmd, args, { timeout: 600_000 }, (e, _o, err) => (e ? reject(new Error(`${cmd}: ${e.message}\n${err}`)) : resolve())));
/** Each figure is the best of this many runs (the same for every row). */
const RUNS = 3;
async function best(run: () => Promise<number>): Promise<number> {
  let ms = Infinity;
  for (let i = 0; i < RUNS; i++) ms = Math.min(ms, await run());
  return ms;
}
const rate = (ms: number) => SIZE_MIB / (ms / 1000);
const row = (name: string, ms: number, ceiling?: number, aria?: number) =>
  console.log(`   ${name.padEnd(46)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${rate(ms).toFixed(0).padStart(6)} MiB/s${ceiling ? `  ${(ceiling / ms).toFixed(2)}× plain TCP` : ""}${aria ? `  ${(aria / ms).toFixed(1)}× aria2c` : ""}`);

/**
 * Plain TCP: one connection carrying the same bytes, read into memory (what any
 * download costs at least); with `hashed`, each 256 KiB piece's SHA-1 computed
 * as its bytes come, in the same process: the most a verified download can reach.
 */
async function plainTcp(data: Buffer, hashed = false): Promise<number> {
  const server = net.createServer((s) => s.end(data));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const t = performance.now();
  await new Promise<void>((resolve) => {
    let got = 0;
    const c = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    let hash = createHash("sha1");
    let inPiece = 0;
    c.on("data", (d: Buffer) => {
      got += d.length;
      if (!hashed) return;
      for (let at = 0; at < d.length; ) {
        const take = Math.min(PIECE - inPiece, d.length - at);
        hash.update(d.subarray(at, at + take));
        at += take;
        inPiece += take;
        if (inPiece === PIECE) {
          hash.digest();
          hash = createHash("sha1");
          inPiece = 0;
        }
      }
    });
    c.on("end", () => (got === data.length ? resolve() : resolve()));
  });
  const ms = performance.now() - t;
  server.close();
  return ms;
}

async function main(): Promise<void> {
  console.log(`applayer BitTorrent benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  console.log(`\n1. Download of a ${SIZE_MIB} MiB torrent (256 KiB pieces) on loopback from the lib's seeder; every piece SHA-1 checked; best of ${RUNS} runs each`);
  const dir = mkdtempSync(join(tmpdir(), "applayer-bench-bt-"));
  const data = randomBytes(SIZE_MIB * MiB);
  writeFileSync(join(dir, "big.bin"), data);
  const tracker = await serveTracker({ port: 0, interval: 2 });
  const torrentBytes = await createTorrent(join(dir, "big.bin"), { announce: tracker.announceUrl });
  writeFileSync(join(dir, "big.torrent"), torrentBytes);
  // The seeder runs as its own process (`applayer seed`), as a user would run it.
  const seed = spawn(process.execPath, [CLI, "seed", join(dir, "big.torrent"), "--data", dir], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => seed.stdout!.on("data", (d) => String(d).includes("listening on") && resolve()));

  const tcpMs = await best(() => plainTcp(data));
  const verifiedMs = await best(() => plainTcp(data, true));

  // Both downloaders run as their own process, as a user would start them, against the same seeder, each into a fresh folder.
  const download = (name: string, cmd: string, args: (out: string) => string[]) => best(async () => {
    const out = mkdtempSync(join(tmpdir(), `applayer-bench-bt-${name}-`));
    const t = performance.now();
    await sh(cmd, args(out));
    const ms = performance.now() - t;
    if (!readFileSync(join(out, "big.bin")).equals(data)) throw new Error(`${name}'s download differs from the original`);
    rmSync(out, { recursive: true });
    return ms;
  });
  const libMs = await download("applayer", process.execPath, (out) => [CLI, "download", join(dir, "big.torrent"), "--out", out]);
  const ariaMs = await download("aria2c", "aria2c", (out) => ["--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
    "--summary-interval=0", "--console-log-level=warn", "--file-allocation=none", "--bt-tracker-interval=2", "--seed-time=0", "--dir", out, join(dir, "big.torrent")]);
  seed.kill("SIGTERM");
  await tracker.close();
  rmSync(dir, { recursive: true });

  row("plain TCP, one connection", tcpMs);
  row("plain TCP + SHA-1 per piece (the ceiling)", verifiedMs, tcpMs);
  row("aria2c 1.36 (the whole process)", ariaMs, tcpMs);
  row("applayer download (the whole process)", libMs, tcpMs, ariaMs);
  console.log(`   applayer = ${(verifiedMs / libMs).toFixed(2)}× the verified ceiling (bar: ≥ 0.3× plain TCP)`);

  console.log("\n2. The swarm simulator (virtual time), ideal case: a flash crowd, no churn, everyone altruistic");
  const MiBs = 1 << 20;
  const t = performance.now();
  const r = simulateSwarm({ peers: 10_000, pieces: 1024, seedUpload: 10 * MiBs, upload: MiBs, seed: 1 });
  const simMs = performance.now() - t;
  console.log(`   10,000 peers × 1,024 pieces: ${(simMs / 1000).toFixed(2)} s of wall time for ${r.steps} simulated seconds`);
  console.log(`   last peer done at ${r.finishTime} s; lower bound max{F/u_s, F/d_min, NF/(u_s+Σu_i)} = ${r.lowerBound.toFixed(1)} s; gap ${((r.finishTime / r.lowerBound - 1) * 100).toFixed(1)}%`);
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
