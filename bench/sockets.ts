/**
 * `npm run bench`: figures for the socket lesson, each measured against a
 * baseline in the same run (never a timed test).
 *   1. uppercase round trips/s over TCP and UDP: the lib's servers against a
 *      minimal bare node:net / node:dgram echo server, driven by one client;
 *   2. executing the whole notebook pack against bare tslab kernel start-up.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { serveTcpUpper } from "../lib/src/sockets/tcp-upper";
import { serveUdpUpper } from "../lib/src/sockets/udp-upper";
import { executeNotebook, listNotebooks } from "../scripts/notebooks";
import { pool } from "../lib/src/lab/pool";
import { scratchDir } from "../lib/src/lab/scratch";

const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 20_000);
const MESSAGE = Buffer.from("the quick brown fox jumps over the lazy dog\n");

/** One client for every TCP server: write a line, wait for the reply line, repeat. */
async function tcpRoundTrips(port: number, n: number): Promise<number> {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  await new Promise((r) => socket.once("connect", r));
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let done = 0;
    let pending = 0;
    socket.on("data", (chunk) => {
      pending += chunk.length;
      while (pending >= MESSAGE.length) {
        pending -= MESSAGE.length;
        if (++done === n) return resolve();
        socket.write(MESSAGE);
      }
    });
    socket.write(MESSAGE);
  });
  const seconds = (performance.now() - start) / 1000;
  socket.destroy();
  return n / seconds;
}

/** One client for every UDP server: send a datagram, wait for the reply, repeat. */
async function udpRoundTrips(port: number, n: number): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let done = 0;
    socket.on("message", () => (++done === n ? resolve() : socket.send(MESSAGE, port, "127.0.0.1")));
    socket.send(MESSAGE, port, "127.0.0.1");
  });
  const seconds = (performance.now() - start) / 1000;
  socket.close();
  return n / seconds;
}

async function bareTcpEcho(): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

async function bareUdpEcho(): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return { port: s.address().port, close: () => s.close() };
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(9);

async function roundTrips(): Promise<void> {
  console.log(`\n1. Uppercase round trips per second on loopback (${ROUND_TRIPS.toLocaleString("en-US")} sequential, ${MESSAGE.length}-byte lines, best of 3)`);
  const best = async (f: () => Promise<number>) => Math.max(await f(), await f(), await f());
  const libTcp = await serveTcpUpper();
  const bareTcp = await bareTcpEcho();
  const libUdp = await serveUdpUpper();
  const bareUdp = await bareUdpEcho();
  await tcpRoundTrips(libTcp.address.port, 1000); // warm up the JIT for both sides
  await tcpRoundTrips(bareTcp.port, 1000);
  const rows = [
    ["TCP", await best(() => tcpRoundTrips(libTcp.address.port, ROUND_TRIPS)), await best(() => tcpRoundTrips(bareTcp.port, ROUND_TRIPS))],
    ["UDP", await best(() => udpRoundTrips(libUdp.address.port, ROUND_TRIPS)), await best(() => udpRoundTrips(bareUdp.port, ROUND_TRIPS))],
  ] as const;
  console.log("   proto   applayer uppercase   bare node echo   ratio");
  for (const [proto, lib, bare] of rows) console.log(`   ${proto}   ${fmt(lib)} /s         ${fmt(bare)} /s   ${(lib / bare).toFixed(2)}`);
  await Promise.all([libTcp.close(), libUdp.close()]);
  bareTcp.close();
  bareUdp.close();
}

async function notebookPack(): Promise<void> {
  console.log("\n2. Executing the notebook pack through Jupyter + tslab");
  const dir = scratchDir("applayer-bench-sockets");
  const empty = join(dir, "00-empty.ipynb");
  writeFileSync(empty, JSON.stringify({
    cells: [{ cell_type: "code", id: "c0", metadata: {}, source: "1", outputs: [], execution_count: null }],
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  }));
  // The median of three: one start that a busy disk slows or a warm cache speeds would move every ratio below.
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) starts.push((await executeNotebook(empty, dir)).seconds);
  const bare = { seconds: starts.sort((a, b) => a - b)[1] };
  console.log(`   bare kernel start + 1 cell (nbconvert): ${bare.seconds.toFixed(1)} s (median of ${starts.map((s) => s.toFixed(1)).join(", ")})`);
  const notebooks = listNotebooks();
  let total = 0;
  for (const nb of notebooks) {
    const ex = await executeNotebook(nb, dir);
    total += ex.seconds;
    console.log(`   ${nb.split("/").pop()!.padEnd(28)} ${ex.seconds.toFixed(1)} s ${ex.ok ? "" : "(FAILED)"}  = bare start + ${(ex.seconds - bare.seconds).toFixed(1)} s of lesson`);
  }
  console.log(`   whole pack, one after another: ${total.toFixed(1)} s = ${(total / (notebooks.length * bare.seconds)).toFixed(2)}× ${notebooks.length} bare starts one after another (${(notebooks.length * bare.seconds).toFixed(1)} s)`);
  // As npm test, npm run lessons and the grader run them: one kernel per core.
  const jobs = availableParallelism();
  const wall = async (paths: string[]) => {
    const t = performance.now();
    await pool(paths.map((p, i) => [p, i] as const), jobs, async ([p, i]) => void (await executeNotebook(p, join(dir, `run-${i}`))));
    return (performance.now() - t) / 1000;
  };
  const bareWall = await wall(notebooks.map(() => empty));
  const packWall = await wall(notebooks);
  console.log(`   ${notebooks.length} bare starts, ${jobs} at a time: ${bareWall.toFixed(1)} s`);
  const inARow = notebooks.length * bare.seconds;
  console.log(`   whole pack, ${jobs} at a time:      ${packWall.toFixed(1)} s = ${(packWall / bareWall).toFixed(2)}× the ${notebooks.length} bare starts ${jobs} at a time`);
  console.log(`   ${" ".repeat(34)}= ${(packWall / inARow).toFixed(2)}× the ${notebooks.length} bare starts one after another (${inARow.toFixed(1)} s; bar: ≤ 2×)`);
}

async function main(): Promise<void> {
  console.log(`applayer socket benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  await roundTrips();
  await notebookPack();
}

main().then(() => process.exit(0));
