/**
 * The most one Node thread can answer over UDP: a bare dgram socket that sends
 * one canned DNS reply (its id set to the query's) to every datagram, with no
 * decoding, lookup or encoding. `bench:dns` runs it under the same dnsperf as
 * the authoritative server: `node bench/udp-ceiling.ts REPLY_HEX PORT`.
 */
import * as dgram from "node:dgram";

const [replyHex, port] = process.argv.slice(2);
const canned = Buffer.from(replyHex, "hex");
const socket = dgram.createSocket("udp4");
socket.on("message", (query, from) => {
  const reply = Buffer.from(canned);
  reply[0] = query[0];
  reply[1] = query[1];
  socket.send(reply, from.port, from.address);
});
socket.bind(Number(port), "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
process.on("SIGTERM", () => socket.close(() => process.exit(0)));
