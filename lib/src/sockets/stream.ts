import * as net from "node:net";
import { bindTcp, resolveListen } from "../net/lifecycle";

/** What the receiving side of a TCP connection saw. */
export interface ReadReport {
  /** How many write() calls the sender made. */
  writes: number;
  /** How many 'data' events (reads) the receiver got. */
  reads: number;
  bytes: number;
  /** Each read, in order, exactly as it arrived. */
  chunks: Buffer[];
}

/**
 * Sends `messages` over one loopback TCP connection, one write() each, and reports
 * how the receiver's reads cut the stream. TCP keeps the bytes and their order —
 * and nothing else: the number of reads rarely equals the number of writes.
 *
 * @example
 * const r = await measureReads(Array.from({ length: 100 }, (_, i) => `message ${i}\n`));
 * r.writes; // 100
 * r.reads;  // often 1 or 2: the writes were coalesced
 */
export async function measureReads(messages: Array<string | Uint8Array>): Promise<ReadReport> {
  const chunks: Buffer[] = [];
  let received!: Promise<void>;
  const server = net.createServer();
  const gotConnection = new Promise<void>((resolve) => {
    server.once("connection", (socket) => {
      received = new Promise((done) => {
        socket.on("data", (c) => chunks.push(c));
        socket.on("end", () => done());
      });
      resolve();
    });
  });
  const address = await bindTcp(server, resolveListen());
  try {
    const client = net.connect(address.port, address.host);
    await new Promise<void>((resolve, reject) => client.once("connect", resolve).once("error", reject));
    await gotConnection;
    for (const m of messages) client.write(m);
    client.end();
    await received;
  } finally {
    server.close();
  }
  return { writes: messages.length, reads: chunks.length, bytes: chunks.reduce((n, c) => n + c.length, 0), chunks };
}
