import { PickerStrategy } from "../bt/picker";
import { simulateSwarm } from "../p2p/swarm";
import { Command, intOption } from "./command";

const MiB = 1 << 20;

/** The P2P lesson's commands. */
export const p2pCommands: Command[] = [
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
