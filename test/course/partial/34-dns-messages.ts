import type { PartialSubmission } from "../partials";

/**
 * The reply's start right; answers that forget NXDOMAIN and the question's type;
 * compression that points every owner at the question, whatever its name; a
 * truncated datagram that sets TC but keeps every record.
 */
const partial: PartialSubmission = {
  answers: {
    "answer-solution": `function answerA(query: Buffer): Buffer {
  const { name } = readName(query, 12);
  const addresses = ZONE[name.toLowerCase()] ?? [];
  const owner = Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const records = addresses.map((a) => {
    const fixed = Buffer.from([0, 1, 0, 1, 0, 0, 1, 44, 0, 4]);
    return Buffer.concat([owner, fixed, Buffer.from(a.split(".").map(Number))]);
  });
  return Buffer.concat([startReply(query, records.length, 0), ...records]);
}
function serveUdp(answer: (query: Buffer) => Buffer): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, from) => socket.send(answer(query), from.port, from.address));
  return new Promise((bound) => socket.bind(0, "127.0.0.1", () => bound(socket)));
}
`,
    "compress-solution": `function compress(reply: Buffer): Buffer {
  let offset = readName(reply, 12).next + 4;
  const parts = [reply.subarray(0, offset)];
  for (let i = 0; i < reply.readUInt16BE(6); i++) {
    const owner = readName(reply, offset);
    const rest = reply.subarray(owner.next, owner.next + 10 + reply.readUInt16BE(owner.next + 8));
    parts.push(Buffer.from([0xc0, 12]), rest);
    offset = owner.next + rest.length;
  }
  return Buffer.concat(parts);
}
`,
    "tcp-solution": `import * as net from "node:net";
function overUdp(reply: Buffer): Buffer {
  if (reply.length <= 512) return reply;
  const cut = Buffer.from(reply);
  cut[2] |= 0x02;
  return cut;
}
function serveTcp(port: number, answer: (query: Buffer) => Buffer): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on("error", () => undefined);
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const reply = answer(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
        socket.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
      }
    });
  });
  return new Promise((listening) => server.listen(port, "127.0.0.1", () => listening(server)));
}
`,
  },
  points: {
    // Four checks: gaia and the capitals pass; NXDOMAIN and the MX question get A records.
    "answer-check": 2,
    // Three checks: dig's and the empty reply pass; an owner that is not the question's name is pointed at it anyway.
    "compress-check": 1.33,
    // Four checks: dig retries over TCP, the small answer and the TCP query in pieces pass; the truncated datagram keeps its records.
    "tcp-check": 3,
  },
};
export default partial;
