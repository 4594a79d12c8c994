/**
 * Malformed DNSSEC records get FORMERR, never a crash, and the server goes on
 * serving: the records are made byte by byte here, since dns-packet would
 * encode only well-formed ones.
 */
import { describe, expect, it } from "vitest";
import dgram from "node:dgram";
import { decodeMessage, encodeMessage, rcodeOf } from "../../lib/src/dns/wire/codec";
import { serveDns } from "../../lib/src/dns/authoritative/server";
import { fixtureZone } from "./fixtures";

/** A query for www.umass.edu A whose additional section holds one record of `type` with raw `rdata`. */
function queryWith(type: number, rdata: Buffer, id: number): Buffer {
  const plain = encodeMessage({ id, type: "query", flags: 0, questions: [{ name: "www.umass.edu", type: "A", class: "IN" }] });
  plain.writeUInt16BE(1, 10); // ARCOUNT
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(60, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([plain, Buffer.from([0]), fixed, rdata]); // owner: the root
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const dnskey = (algorithm: number, key: Buffer) => Buffer.concat([u16(257), Buffer.from([3, algorithm]), key]);
const rrsig = (algorithm: number, signature: Buffer) => Buffer.concat([u16(1), Buffer.from([algorithm, 2]), u32(3600), u32(2_000_000_000), u32(1_700_000_000), u16(1234), Buffer.from([0]), signature]);
const nsec = (bitmap: Buffer) => Buffer.concat([Buffer.from([0]), bitmap]);
const nsec3 = (iterations: number, bitmap = Buffer.from([0, 1, 0x40])) => Buffer.concat([Buffer.from([1, 0]), u16(iterations), Buffer.from([0, 20]), Buffer.alloc(20, 7), bitmap]);

const CASES: Array<[string, number, Buffer]> = [
  ["an ECDSA key 10 bytes long", 48, dnskey(13, Buffer.alloc(10, 1))],
  ["an RSA key whose exponent length runs past it", 48, dnskey(8, Buffer.from([200, 1, 0, 1]))],
  ["a truncated ECDSA signature", 46, rrsig(13, Buffer.alloc(40, 1))],
  ["an NSEC bitmap with window 1 before window 0", 47, nsec(Buffer.from([1, 1, 0x80, 0, 1, 0x40]))],
  ["NSEC3 iterations past RFC 9276's cap", 50, nsec3(151)],
  ["an NSEC3PARAM whose salt length lies", 51, Buffer.from([1, 0, 0, 0, 8, 0xaa])],
  ["a DS whose SHA-256 digest is 5 bytes", 43, Buffer.concat([u16(1), Buffer.from([13, 2]), Buffer.alloc(5)])],
];

describe("malformed DNSSEC records", () => {
  it("each gets FORMERR with its id, and a good query after them is answered", async () => {
    const server = await serveDns({ zones: [fixtureZone("umass.edu.zone")], port: 0 });
    const s = dgram.createSocket("udp4");
    const replies = new Map<number, Buffer>();
    s.on("message", (m) => replies.set(m.readUInt16BE(0), m));
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    CASES.forEach(([, type, rdata], i) => s.send(queryWith(type, rdata, 100 + i), server.address.port, "127.0.0.1"));
    s.send(queryWith(50, nsec3(150), 999), server.address.port, "127.0.0.1"); // at the cap: accepted
    await new Promise((r) => setTimeout(r, 200));
    s.close();
    await server.close();
    CASES.forEach(([what], i) => expect(replies.get(100 + i) && rcodeOf(decodeMessage(replies.get(100 + i)!).message), what).toBe("FORMERR"));
    expect(rcodeOf(decodeMessage(replies.get(999)!).message)).toBe("NOERROR");
    expect(server.stats.byKind.formerr).toBe(CASES.length);
  });
});
