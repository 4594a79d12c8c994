import { describe, expect, it } from "vitest";
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";
import { Authority } from "../../lib/src/dns/authoritative/authority";
import { decodeMessage, encodeMessage, FLAGS, rcodeOf } from "../../lib/src/dns/wire/codec";
import { newQueryStats, respond, serveDns } from "../../lib/src/dns/authoritative/server";
import { encodeFrame, FrameDecoder } from "../../lib/src/net/framing";
import { isAppLayerError } from "../../lib/src/errors";
import { fixtureZone } from "./fixtures";
import { PacketCache } from "../../lib/src/dns/authoritative/packet-cache";
import { encodeUpdate } from "../../lib/src/dns/authoritative/update";
import { serveDnsTransport } from "../../lib/src/dns/transport/endpoint";
import { Network, openUdp } from "../../lib/src/net/network";
import { realClock } from "../../lib/src/net/clock";

const auth = new Authority([fixtureZone("umass.edu.zone"), fixtureZone("lessons.test.zone")]);
const q = (name: string, type = "A", extra: Partial<dnsPacket.Packet> = {}) =>
  encodeMessage({ id: 7, type: "query", flags: 0, questions: [{ name, type: type as "A", class: "IN" }], ...extra });
const good = q("gaia.cs.umass.edu");

/** A header claiming one question, then `body`. */
const withHeader = (body: number[]) => Buffer.from([0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...body]);

describe("decodeMessage", () => {
  it("returns the message and the bytes it used", () => {
    const { message, bytes } = decodeMessage(good);
    expect(bytes).toBe(good.length);
    expect(message.questions![0].name).toBe("gaia.cs.umass.edu");
  });
});

describe("respond: hostile input gets FORMERR or silence, never an exception", () => {
  const cases: Array<[string, Buffer, "formerr" | "drop"]> = [
    ["shorter than a header", Buffer.from([1, 2, 3]), "drop"],
    ["a response, not a query (no reply loops)", Buffer.from(encodeMessage({ id: 1, type: "response", flags: FLAGS.QR, questions: [] })), "drop"],
    ["a count that lies: one question announced, none present", withHeader([]), "formerr"],
    ["a label running past the end", withHeader([5, 0x61, 0x62]), "formerr"],
    ["a compression pointer to itself", withHeader([0xc0, 12, 0, 1, 0, 1]), "formerr"],
    ["a compression pointer forward", withHeader([0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]), "formerr"],
    ["a label length with the reserved 0x40 bits", withHeader([0x41, 0x61, 0, 0, 1, 0, 1]), "formerr"],
    ["a name over 255 octets", withHeader([...Array(5).fill([63, ...Array(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1]), "formerr"],
    ["trailing junk after the message", Buffer.concat([good, Buffer.from([0xde, 0xad])]), "formerr"],
  ];
  it.each(cases)("%s", (_what, bytes, expected) => {
    const stats = newQueryStats();
    const { reply } = respond(auth, bytes, "udp", stats);
    if (expected === "drop") {
      expect(reply).toBeUndefined();
      expect(stats.dropped).toBe(1);
    } else {
      const m = decodeMessage(reply!).message;
      expect(rcodeOf(m)).toBe("FORMERR");
      expect(m.id).toBe(bytes.readUInt16BE(0));
    }
  });
  it("accepts a name of exactly 255 octets (and answers REFUSED: not our zone)", () => {
    // 3 labels of 63 + one of 61 = 4*64 - 2 + 1 (root) = 255 octets on the wire
    const name = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
    expect(rcodeOf(decodeMessage(respond(auth, q(name), "udp").reply!).message)).toBe("REFUSED");
  });
});

describe("respond: truncation", () => {
  it("over UDP without EDNS, a reply over 512 bytes goes out empty with TC; over TCP it is whole", () => {
    const udp = decodeMessage(respond(auth, q("big.lessons.test", "TXT"), "udp").reply!).message;
    expect((udp.flags ?? 0) & FLAGS.TC).toBe(FLAGS.TC);
    expect(udp.answers).toEqual([]);
    const tcp = decodeMessage(respond(auth, q("big.lessons.test", "TXT"), "tcp").reply!).message;
    expect((tcp.flags ?? 0) & FLAGS.TC).toBe(0);
    expect(tcp.answers!.length).toBe(6);
  });
  it("honours a larger EDNS buffer size", () => {
    const opt = { additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: 0, options: [] }] } as never;
    const m = decodeMessage(respond(auth, q("big.lessons.test", "TXT", opt), "udp").reply!).message;
    expect(m.answers!.length).toBe(6);
  });
});

describe("serveDns on loopback", () => {
  it("keeps answering over UDP after garbage, and counts queries by type, source and kind", async () => {
    const server = await serveDns({ zones: [fixtureZone("umass.edu.zone")] });
    const s = dgram.createSocket("udp4");
    const replies: Buffer[] = [];
    s.on("message", (m) => replies.push(m));
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    for (const bytes of [Buffer.from("garbage!"), withHeader([0xc0, 12]), good, q("www.cs.umass.edu", "MX")]) s.send(bytes, server.address.port, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 100));
    s.close();
    expect(replies.map((r) => rcodeOf(decodeMessage(r).message))).toEqual(["FORMERR", "NOERROR", "NOERROR"]);
    expect(server.stats.dropped).toBe(1);
    expect(server.stats.byType).toEqual({ A: 1, MX: 1 });
    expect(server.stats.bySource).toEqual({ "127.0.0.1": 2 });
    expect(server.stats.byKind).toEqual({ formerr: 1, answer: 1, cname: 1 });
    await server.close();
  });
  it("answers several length-prefixed queries on one TCP connection, cut anywhere", async () => {
    const server = await serveDns({ zones: [fixtureZone("umass.edu.zone")] });
    const stream = Buffer.concat([encodeFrame(good), encodeFrame(q("mail.umass.edu"))]);
    const socket = net.connect(server.address.port, "127.0.0.1");
    const frames = new FrameDecoder(2, 65535);
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      socket.on("data", (c) => {
        for (const f of frames.push(c)) got.push(String((decodeMessage(f).message.answers![0] as { data: unknown }).data));
        if (got.length === 2) resolve();
      });
      for (let i = 0; i < stream.length; i += 5) socket.write(stream.subarray(i, i + 5));
    });
    socket.destroy();
    expect(got).toEqual(["127.0.1.12", "127.0.1.25"]);
    await server.close();
  });
  it("refuses to start outside loopback", async () => {
    const e = await serveDns({ zones: [], host: "0.0.0.0" }).catch((x) => x);
    expect(isAppLayerError(e, "NOT_LOOPBACK")).toBe(true);
  });
});

describe("the packet cache", () => {
  const zones = () => new Authority([fixtureZone("umass.edu.zone"), fixtureZone("lessons.test.zone")]);
  it("answers a repeated query from cache, with the new query's id, still counted", () => {
    const auth = zones();
    const cache = new PacketCache();
    const stats = newQueryStats();
    const first = respond(auth, q("gaia.cs.umass.edu"), "udp", stats, "127.0.0.1", { cache }).reply!;
    const again = Buffer.from(q("gaia.cs.umass.edu"));
    again.writeUInt16BE(4321, 0);
    const second = respond(auth, again, "udp", stats, "127.0.0.1", { cache }).reply!;
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
    expect(second.readUInt16BE(0)).toBe(4321);
    expect(second.subarray(2)).toEqual(first.subarray(2));
    expect([stats.total, stats.byType.A]).toEqual([2, 2]);
  });
  it("keeps a round-robin answer in each of its orders and hands them out in turn: the order keeps rotating", () => {
    const auth = zones();
    const cache = new PacketCache();
    const firsts = [1, 2, 3, 4, 5, 6, 7].map(() => String((decodeMessage(respond(auth, q("www.lessons.test"), "udp", undefined, "127.0.0.1", { cache }).reply!).message.answers![0] as { data: unknown }).data));
    expect(new Set(firsts.slice(0, 3)).size).toBe(3); // three records, three orders, from the zone
    expect(firsts.slice(3)).toEqual([...firsts.slice(0, 3), firsts[0]]); // then the same cycle, from the cache
    expect(cache.stats).toEqual({ hits: 4, misses: 3 });
  });
  it("is cleared by an UPDATE, so the next answer is the new one", () => {
    const auth = zones();
    const cache = new PacketCache();
    const ask = () => String((decodeMessage(respond(auth, q("gaia.cs.umass.edu"), "udp", undefined, "127.0.0.1", { cache }).reply!).message.answers![0] as { data: unknown }).data);
    expect([ask(), ask()]).toEqual(["127.0.1.12", "127.0.1.12"]);
    const update = encodeUpdate({ id: 9, zone: { name: "umass.edu", type: "SOA" }, prerequisites: [], updates: [
      { name: "gaia.cs.umass.edu", type: "A", class: "ANY", ttl: 0 }, { name: "gaia.cs.umass.edu", type: "A", class: "IN", ttl: 60, data: "127.0.1.13" },
    ] });
    expect(rcodeOf(decodeMessage(respond(auth, update, "udp", undefined, "127.0.0.1", { cache, allowUpdate: true }).reply!).message)).toBe("NOERROR");
    expect(ask()).toBe("127.0.1.13");
  });
  it("holds exactly maxEntries replies, and starts over past that", () => {
    const cache = new PacketCache(2);
    const entry = { reply: Buffer.alloc(12), type: "A", kind: "answer" };
    cache.set("a", "udp", entry);
    cache.set("b", "udp", entry);
    expect(cache.get("a", Buffer.alloc(12), "udp")).toBeDefined();
    expect(cache.get("a", Buffer.alloc(12), "tcp")).toBeUndefined(); // a reply for UDP is not one for TCP (it may be truncated)
    cache.set("c", "udp", entry);
    expect([cache.get("a", Buffer.alloc(12), "udp"), cache.get("c", Buffer.alloc(12), "udp")].map(Boolean)).toEqual([false, true]);
  });
});

describe("serving UDP and TCP on one free port", () => {
  it("takes another port when the one UDP got is already held by some TCP socket", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const held = (blocker.address() as net.AddressInfo).port;
    let calls = 0;
    // The first UDP socket lands on the held port, as port 0 sometimes does under load.
    const network: Network = { name: "loopback, unlucky once", clock: realClock, openUdp: (o) => openUdp(calls++ === 0 ? { host: "127.0.0.1", port: held } : o) };
    const endpoint = await serveDnsTransport({ network, tcp: true, port: 0 }, () => undefined);
    expect(calls).toBe(2);
    expect(endpoint.address.port).not.toBe(held);
    await endpoint.close();
    blocker.close();
  });
});
