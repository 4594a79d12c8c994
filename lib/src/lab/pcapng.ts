/**
 * pcapng (the capture file format Wireshark writes; IETF draft-ietf-opsawg-pcapng)
 * for what a lesson exchanged. Node has no raw sockets, so the Ethernet, IPv4,
 * UDP and TCP headers are synthesized around the application's real bytes, with
 * real checksums, and TCP sequence and acknowledgment numbers that add up. Pure
 * functions: packets in, bytes out.
 */
import { Address } from "../net/address";

/** TCP's flag bits (RFC 9293 §3.1). */
export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** One packet as it crossed the wire: a UDP datagram or a TCP segment. */
export type Packet = {
  /** Milliseconds since the Unix epoch (fractions kept to the microsecond). */
  time: number;
  src: Address;
  dst: Address;
  payload: Uint8Array;
} & ({ proto: "udp" } | { proto: "tcp"; seq: number; ack: number; flags: number });

const ETHERNET = 14;
const IPV4 = 20;
const UDP = 8;
const TCP = 20;
/** LINKTYPE_ETHERNET: the frames start with a 14-byte Ethernet header. */
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262_144;

function ipBytes(host: string): number[] {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new RangeError(`not an IPv4 address: ${host}`);
  return parts;
}

/** The Internet checksum (RFC 1071) over `data`, starting from a partial `sum`. */
export function internetChecksum(data: Uint8Array, sum = 0): number {
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length % 2) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The sum of the IPv4 pseudo-header UDP and TCP checksums cover (RFC 768, RFC 9293 §3.1). */
function pseudoHeaderSum(src: number[], dst: number[], proto: number, length: number): number {
  return ((src[0] << 8) | src[1]) + ((src[2] << 8) | src[3]) + ((dst[0] << 8) | dst[1]) + ((dst[2] << 8) | dst[3]) + proto + length;
}

/**
 * One packet as an Ethernet frame: MAC addresses made from the IP addresses
 * (02:00:a.b.c.d, locally administered), IPv4 with DF and TTL 64, then UDP or TCP.
 */
export function encodeEthernetFrame(p: Packet, ipId = 0): Buffer {
  const transport = p.proto === "udp" ? UDP : TCP;
  const frame = Buffer.alloc(ETHERNET + IPV4 + transport + p.payload.length);
  const src = ipBytes(p.src.host);
  const dst = ipBytes(p.dst.host);
  Buffer.from([0x02, 0x00, ...dst, 0x02, 0x00, ...src]).copy(frame, 0);
  frame.writeUInt16BE(0x0800, 12); // IPv4
  const ip = ETHERNET;
  frame[ip] = 0x45; // version 4, 5 words of header
  frame.writeUInt16BE(IPV4 + transport + p.payload.length, ip + 2);
  frame.writeUInt16BE(ipId & 0xffff, ip + 4);
  frame.writeUInt16BE(0x4000, ip + 6); // don't fragment
  frame[ip + 8] = 64;
  frame[ip + 9] = p.proto === "udp" ? 17 : 6;
  Buffer.from([...src, ...dst]).copy(frame, ip + 12);
  frame.writeUInt16BE(internetChecksum(frame.subarray(ip, ip + IPV4)), ip + 10);
  const t = ip + IPV4;
  frame.writeUInt16BE(p.src.port, t);
  frame.writeUInt16BE(p.dst.port, t + 2);
  if (p.proto === "udp") {
    frame.writeUInt16BE(UDP + p.payload.length, t + 4);
  } else {
    frame.writeUInt32BE(p.seq >>> 0, t + 4);
    frame.writeUInt32BE(p.ack >>> 0, t + 8);
    frame[t + 12] = (TCP / 4) << 4;
    frame[t + 13] = p.flags;
    frame.writeUInt16BE(65_535, t + 14); // window
  }
  frame.set(p.payload, t + transport);
  const segment = frame.subarray(t);
  const sum = internetChecksum(segment, pseudoHeaderSum(src, dst, frame[ip + 9], segment.length));
  // RFC 768: a computed UDP checksum of 0 is sent as all ones (0 means "none").
  frame.writeUInt16BE(p.proto === "udp" && sum === 0 ? 0xffff : sum, t + (p.proto === "udp" ? 6 : 16));
  return frame;
}

function block(type: number, body: Buffer): Buffer {
  const padded = Math.ceil(body.length / 4) * 4;
  const out = Buffer.alloc(12 + padded);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(out.length, 4);
  body.copy(out, 8);
  out.writeUInt32LE(out.length, out.length - 4);
  return out;
}

/** A pcapng option (draft-ietf-opsawg-pcapng §3.5): code, length, the value padded to 32 bits. */
function option(code: number, value: Buffer): Buffer {
  const out = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  out.writeUInt16LE(code, 0);
  out.writeUInt16LE(value.length, 2);
  value.copy(out, 4);
  return out;
}

/**
 * A whole pcapng file: a Section Header Block, one Ethernet Interface Description
 * Block, and an Enhanced Packet Block per packet (timestamps in microseconds).
 * A `comment` goes in the section header (opt_comment), where Wireshark shows it
 * under Statistics → Capture File Properties and `capinfos -k` prints it.
 *
 * @example writeFileSync("smtp.pcapng", encodePcapng(capture.packets));
 */
export function encodePcapng(packets: readonly Packet[], options: { comment?: string } = {}): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  fixed.writeUInt16LE(1, 4); // version 1.0
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8); // section length: not given
  const comment = options.comment ? [option(1, Buffer.from(options.comment, "utf8")), option(0, Buffer.alloc(0))] : [];
  const shb = Buffer.concat([fixed, ...comment]);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(LINKTYPE_ETHERNET, 0);
  idb.writeUInt32LE(SNAPLEN, 4);
  const blocks = [block(0x0a0d0d0a, shb), block(1, idb)];
  packets.forEach((p, i) => {
    const frame = encodeEthernetFrame(p, i + 1);
    const head = Buffer.alloc(20);
    const micros = BigInt(Math.round(p.time * 1000));
    head.writeUInt32LE(0, 0); // interface 0
    head.writeUInt32LE(Number(micros >> 32n), 4);
    head.writeUInt32LE(Number(micros & 0xffffffffn), 8);
    head.writeUInt32LE(frame.length, 12);
    head.writeUInt32LE(frame.length, 16);
    blocks.push(block(6, Buffer.concat([head, frame])));
  });
  return Buffer.concat(blocks);
}
