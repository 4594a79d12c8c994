import type { PartialSubmission } from "../partials";

/**
 * The assignment half right: one ping is right; the ten-ping statistics count a
 * lost ping as an RTT of 0 in the average (and take min/max of nothing when all are
 * lost); the uppercase server keeps ONE unfinished line for all its clients, so it
 * passes nc and clients that send whole lines, and mixes up clients whose lines
 * arrive in interleaved pieces.
 */
const partial: PartialSubmission = {
  answers: {
    pinger: `interface PingStats { rtts: Array<number | null>; min: number | null; avg: number | null; max: number | null; lossRate: number }
async function pinger(server: Address, count: number, timeoutMs: number): Promise<PingStats> {
  const socket = dgram.createSocket("udp4");
  const rtts: Array<number | null> = [];
  for (let seq = 1; seq <= count; seq++) rtts.push(await pingOnce(socket, server, seq, timeoutMs));
  socket.close();
  const got = rtts.filter((r): r is number => r !== null);
  const avg = rtts.reduce((a: number, b) => a + (b ?? 0), 0) / count;
  return { rtts, min: Math.min(...got), avg, max: Math.max(...got), lossRate: (count - got.length) / count };
}
`,
    "upper-server": `let unfinished = "";
function startUpperServer(): Promise<net.Server> {
  const server = net.createServer((connection) => {
    connection.setEncoding("latin1");
    connection.on("data", (chunk: string) => {
      const lines = (unfinished + chunk).split("\\n");
      unfinished = lines.pop()!;
      for (const line of lines) connection.write(\`\${line.toUpperCase()}\\n\`);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
`,
  },
  // pinger: which pings were answered and the loss rate pass; the statistics (10 and 15 pings) and the all-lost case fail: 1 of 4.
  // upper-server: nc, one client, three whole-line clients and one client in pieces pass; interleaved pieces fail: 4 of 5.
  points: { "pinger-check": 1, "upper-server-check": 3.2 },
};
export default partial;
