import { promises as fs } from "node:fs";
import { PickerStrategy } from "../bt/picker";
import { createTorrent, parseTorrent } from "../bt/metainfo";
import { startSession } from "../bt/session";
import { serveTracker } from "../bt/tracker";
import { parseAddress } from "../net/address";
import { progressBar } from "../lab/progress";
import { simulateSwarm } from "../p2p/swarm";
import { Command, intOption, serveUntilSignalled } from "./command";

const MiB = 1 << 20;

const readTorrent = async (path: string | undefined) => {
  if (!path) throw new Error("name the .torrent file");
  return parseTorrent(await fs.readFile(path));
};

/** The P2P lesson's commands. */
export const p2pCommands: Command[] = [
  {
    name: "torrent",
    summary: "make a .torrent (create) or show what one holds (show)",
    usage: "create FILE --announce URL [--piece-length N] -o OUT.torrent | show X.torrent",
    positionals: true,
    options: { announce: { type: "string" }, "piece-length": { type: "string" }, output: { type: "string", short: "o" }, private: { type: "boolean" } },
    async run(v, [action, path]) {
      if (action === "create") {
        if (!path || typeof v.announce !== "string" || typeof v.output !== "string") throw new Error("torrent create FILE --announce URL -o OUT.torrent");
        const bytes = await createTorrent(path, { announce: v.announce, pieceLength: v["piece-length"] === undefined ? undefined : intOption(v["piece-length"], "piece-length"), private: Boolean(v.private) });
        await fs.writeFile(v.output, bytes);
        const t = parseTorrent(bytes);
        console.log(`wrote ${v.output}: ${t.pieces.length} pieces of ${t.pieceLength} bytes, info-hash ${t.infoHash}`);
        return 0;
      }
      if (action === "show") {
        const t = await readTorrent(path);
        console.log([
          `name:         ${t.name}`, `info-hash:    ${t.infoHash}`, `announce:     ${t.announce ?? "(none)"}`,
          `size:         ${t.length} bytes in ${t.files.length} file${t.files.length === 1 ? "" : "s"}`,
          `pieces:       ${t.pieces.length} of ${t.pieceLength} bytes`, `private:      ${t.private ? "yes" : "no"}`,
          ...(t.multiFile ? t.files.map((f) => `  ${f.path.join("/")} (${f.length} bytes${f.pad ? ", padding: never written" : ""})`) : []),
        ].join("\n"));
        return 0;
      }
      throw new Error(`torrent wants "create" or "show", not "${action ?? ""}"`);
    },
  },
  {
    name: "tracker",
    summary: "an HTTP BitTorrent tracker: /announce (compact peers) and /scrape",
    usage: "--listen H:N [--interval SECONDS]",
    options: { listen: { type: "string" }, interval: { type: "string" } },
    async run(v) {
      const where = parseAddress(String(v.listen ?? "127.0.0.1:6969"));
      const tracker = await serveTracker({ ...where, interval: intOption(v.interval, "interval", 30) });
      return serveUntilSignalled([{ address: tracker.address, server: tracker }]);
    },
  },
  {
    name: "seed",
    summary: "seed a torrent whose files are in DIR (every piece is checked first)",
    usage: "X.torrent --data DIR [--listen H:N]",
    positionals: true,
    options: { data: { type: "string" }, listen: { type: "string" } },
    async run(v, [path]) {
      const torrent = await readTorrent(path);
      if (typeof v.data !== "string") throw new Error("--data DIR is required: where the torrent's files are");
      const where = parseAddress(String(v.listen ?? "127.0.0.1:0"));
      const session = await startSession({ torrent, dir: v.data, ...where, onEvent: (e) => e.type === "banned" && console.error(`banned ${e.peer}: ${e.reason}`) });
      const { have, pieces } = session.stats();
      if (have < pieces) console.error(`warning: only ${have} of ${pieces} pieces in ${v.data} are good; seeding those`);
      return serveUntilSignalled([{ address: session.address, server: session }]);
    },
  },
  {
    name: "download",
    summary: "download a torrent into DIR; exits 0 once every piece is verified",
    usage: "X.torrent --out DIR [--listen H:N]",
    positionals: true,
    options: { out: { type: "string" }, listen: { type: "string" } },
    async run(v, [path]) {
      const torrent = await readTorrent(path);
      if (typeof v.out !== "string") throw new Error("--out DIR is required: where the files go");
      await fs.mkdir(v.out, { recursive: true });
      const where = parseAddress(String(v.listen ?? "127.0.0.1:0"));
      const started = Date.now();
      const session = await startSession({
        torrent, dir: v.out, ...where,
        onEvent: (e) => {
          if (e.type === "piece" && process.stderr.isTTY) process.stderr.write(`\r${progressBar("pieces", e.have, torrent.pieces.length, Date.now() - started)}`);
          if (e.type === "banned") console.error(`\nbanned ${e.peer}: ${e.reason}`);
        },
      });
      console.log(`listening on ${session.address.host}:${session.address.port}`);
      // Rejects when the tracker cannot be reached (TRACKER_UNREACHABLE, after a few retries) and no peer is known.
      await session.complete.catch(async (e) => {
        await session.close();
        throw e;
      });
      const s = session.stats();
      await session.close();
      console.log(`${process.stderr.isTTY ? "\n" : ""}downloaded ${torrent.name}: ${s.have}/${s.pieces} pieces verified, ${s.downloaded} bytes in ${((Date.now() - started) / 1000).toFixed(2)} s`);
      return 0;
    },
  },
  {
    name: "swarm",
    summary: "run the BitTorrent swarm simulator (virtual time) and print a summary; --json adds every completion time",
    usage: "--peers N --pieces M [--seed S] [--picker rarest|random|sequential] [--free-riders F] [--selfish F] [--seed-upload MiB/s] [--upload MiB/s] [--json]",
    options: {
      peers: { type: "string" }, pieces: { type: "string" }, seed: { type: "string" }, picker: { type: "string" },
      "free-riders": { type: "string" }, selfish: { type: "string" }, "seed-upload": { type: "string" }, upload: { type: "string" }, json: { type: "boolean" },
    },
    async run(v) {
      const fraction = (name: string) => {
        const x = Number(v[name] ?? 0);
        if (!(x >= 0 && x <= 1)) throw new Error(`--${name} is a fraction between 0 and 1, not "${v[name]}"`);
        return x;
      };
      const rate = (name: string, fallback: number) => {
        const x = Number(v[name] ?? fallback);
        if (!(x > 0)) throw new Error(`--${name} is a rate in MiB/s above 0, not "${v[name]}"`);
        return x * MiB;
      };
      const picker = String(v.picker ?? "rarest") as PickerStrategy;
      if (!["rarest", "random", "sequential"].includes(picker)) throw new Error(`--picker is rarest, random or sequential, not "${picker}"`);
      const peers = intOption(v.peers, "peers");
      const pieces = intOption(v.pieces, "pieces");
      if (peers < 1 || pieces < 1) throw new Error("--peers and --pieces must be at least 1");
      const showProgress = !v.json && process.stderr.isTTY;
      const r = simulateSwarm({
        peers, pieces, seed: intOption(v.seed, "seed", 1), picker, freeRiders: fraction("free-riders"), selfish: fraction("selfish"),
        seedUpload: rate("seed-upload", 10), upload: rate("upload", 1),
        onProgress: showProgress ? (done, t) => process.stderr.write(`\r${(done * 100).toFixed(0).padStart(3)}% done at t = ${t} s `) : undefined,
      });
      if (showProgress) process.stderr.write("\n");
      const leechers = r.peers.filter((p) => p.class !== "seed");
      const times = leechers.filter((p) => p.finished !== undefined).map((p) => p.finished! - p.arrived).sort((a, b) => a - b);
      const q = (f: number) => times[Math.min(times.length - 1, Math.floor(f * times.length))];
      const summary = {
        peers, pieces, picker,
        finished: times.length,
        finishTime: r.finishTime,
        lowerBound: Number(r.lowerBound.toFixed(3)),
        ratioToBound: Number((r.finishTime / r.lowerBound).toFixed(4)),
        wallMs: Math.round(r.wallMs),
      };
      if (v.json) {
        console.log(JSON.stringify({ ...summary, completionTimes: leechers.map((p) => (p.finished === undefined ? null : p.finished - p.arrived)) }));
      } else {
        console.log(`${summary.finished} of ${peers} peers finished; the last at ${r.finishTime} s (lower bound ${summary.lowerBound} s, ratio ${summary.ratioToBound})`);
        if (times.length) console.log(`download times: median ${q(0.5)} s, 90% ${q(0.9)} s, max ${times[times.length - 1]} s`);
        console.log(`simulated ${r.steps} steps in ${(r.wallMs / 1000).toFixed(2)} s of wall time`);
      }
      return times.length === peers ? 0 : 1;
    },
  },
];
