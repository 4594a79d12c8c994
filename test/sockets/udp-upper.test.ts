import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as dgram from "node:dgram";
import { serveUdpUpper, udpUpperRequest, UdpUpperServer } from "../../lib/src/sockets/udp-upper";
import { toUpperAscii } from "../../lib/src/sockets/uppercase";
import { UDP_MAX_PAYLOAD } from "../../lib/src/sockets/limits";
import { openUdp } from "../../lib/src/net/network";
import { isAppLayerError } from "../../lib/src/errors";
import { Trace } from "../../lib/src/lab/trace";

/** Sends raw bytes with bare node:dgram and resolves with the reply bytes. */
function rawExchange(data: Buffer, port: number): Promise<Buffer> {
  const s = dgram.createSocket("udp4");
  return new Promise((resolve) => {
    s.once("message", (msg) => {
      s.close();
      resolve(msg);
    });
    s.send(data, port, "127.0.0.1");
  });
}

describe("toUpperAscii", () => {
  it("uppercases a–z only and leaves every other byte alone", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const out = toUpperAscii(all);
    for (let i = 0; i < 256; i++) expect(out[i]).toBe(i >= 97 && i <= 122 ? i - 32 : i);
  });
});

describe("UDP uppercase server", () => {
  let server: UdpUpperServer;
  const trace = new Trace();
  beforeAll(async () => {
    server = await serveUdpUpper({ trace });
  });
  afterAll(() => server.close());

  it("answers the client at the address read from its datagram", async () => {
    expect(await udpUpperRequest("hello", { server: server.address })).toBe("HELLO");
  });
  it("returns non-UTF-8 garbage byte for byte, then keeps serving", async () => {
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x61, 0xc3, 0x28, 0x80]);
    expect([...(await rawExchange(garbage, server.address.port))]).toEqual([0xff, 0xfe, 0x00, 0x41, 0xc3, 0x28, 0x80]);
    expect(await udpUpperRequest("next", { server: server.address })).toBe("NEXT");
  });
  it("answers an empty datagram and the largest possible one", async () => {
    expect((await rawExchange(Buffer.alloc(0), server.address.port)).length).toBe(0);
    const big = Buffer.alloc(UDP_MAX_PAYLOAD, "a");
    const reply = await rawExchange(big, server.address.port);
    expect(reply.length).toBe(UDP_MAX_PAYLOAD);
    expect(reply.every((b) => b === 0x41)).toBe(true);
  });
  it("records both directions in its trace", () => {
    expect(trace.entries.some((e) => e.label === "HELLO" && e.from.startsWith("server"))).toBe(true);
  });
});

describe("UDP client", () => {
  it("works against a server written independently with bare node:dgram", async () => {
    // Reverses instead of uppercasing, so the answer cannot come from the lib's own server.
    const s = dgram.createSocket("udp4");
    s.on("message", (msg, rinfo) => s.send(Buffer.from([...msg].reverse()), rinfo.port, rinfo.address));
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    expect(await udpUpperRequest("abc", { server: { host: "127.0.0.1", port: s.address().port } })).toBe("cba");
    s.close();
  });
  it("ignores datagrams from anyone but the server", async () => {
    // A server that first has an impostor socket answer the client, then answers itself.
    const impostor = dgram.createSocket("udp4");
    const real = dgram.createSocket("udp4");
    await new Promise<void>((r) => impostor.bind(0, "127.0.0.1", r));
    real.on("message", (msg, rinfo) => {
      impostor.send("FORGED", rinfo.port, rinfo.address);
      setTimeout(() => real.send(toUpperAscii(msg), rinfo.port, rinfo.address), 20);
    });
    await new Promise<void>((r) => real.bind(0, "127.0.0.1", r));
    expect(await udpUpperRequest("real", { server: { host: "127.0.0.1", port: real.address().port } })).toBe("REAL");
    impostor.close();
    real.close();
  });
  it("fails with TIMEOUT when nothing answers, and ABORTED when the caller aborts", async () => {
    const silent = await openUdp();
    const t = await udpUpperRequest("x", { server: silent.address, timeoutMs: 30 }).catch((e) => e);
    expect(isAppLayerError(t, "TIMEOUT")).toBe(true);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 10);
    const a = await udpUpperRequest("x", { server: silent.address, signal: ctl.signal, timeoutMs: 5000 }).catch((e) => e);
    expect(isAppLayerError(a, "ABORTED")).toBe(true);
    await silent.close();
  });
});
