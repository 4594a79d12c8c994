/**
 * DNS Cookies: SipHash-2-4 against the reference vectors, RFC 9018's server
 * cookie layout, and dig +cookie getting our server cookie back (dig checks that
 * its client cookie came back: "good"); a malformed COOKIE option gets FORMERR.
 */
import { describe, expect, it } from "vitest";
import * as dgram from "node:dgram";
import { serverCookie, siphash24 } from "../../lib/src/dns/transport/cookie";
import { serveDns } from "../../lib/src/dns/authoritative/server";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { decodeMessage, encodeMessage, rcodeOf } from "../../lib/src/dns/wire/codec";
import { run } from "../helpers";

const KEY = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const ZONE = parseZone("$ORIGIN example.test.\n$TTL 60\n@ SOA ns hostmaster 1 7200 3600 604800 60\n@ NS ns\nns A 127.0.0.9\nwww A 127.0.0.10\n");

describe("SipHash-2-4", () => {
  // The reference implementation's vectors (key 00..0f, message 00..n-1), as little-endian bytes.
  it.each([
    [0, "310e0edd47db6f72"],
    [7, "37d1018bf50002ab"],
    [8, "6224939a79f5f593"],
    [15, "e545be4961ca29a1"],
  ])("the %i-byte vector", (n, tag) => expect(siphash24(KEY, Buffer.from(Array.from({ length: n }, (_, i) => i))).toString("hex")).toBe(tag));
});

describe("server cookies (RFC 9018)", () => {
  it("are version 1, the time, then a hash bound to the client's cookie and address", () => {
    const client = Buffer.from("0123456789abcdef", "hex");
    const c = serverCookie(client, "127.0.0.1", KEY, 1_700_000_000);
    expect(c.length).toBe(16);
    expect([c[0], c.readUInt32BE(4)]).toEqual([1, 1_700_000_000]);
    expect(serverCookie(client, "127.0.0.2", KEY, 1_700_000_000).equals(c)).toBe(false);
    expect(serverCookie(client, "127.0.0.1", KEY, 1_700_000_000).equals(c)).toBe(true);
  });
});

describe("a DNS server and dig +cookie", () => {
  it("sends the client cookie back with a server cookie", async () => {
    const server = await serveDns({ zones: [ZONE], port: 0 });
    const out = await run("dig", ["@127.0.0.1", "-p", String(server.address.port), "+cookie", "+norec", "www.example.test", "A"]);
    expect(out).toMatch(/; COOKIE: [0-9a-f]{16}[0-9a-f]{32} \(good\)/);
    await server.close();
  });
  it("answers a COOKIE option of the wrong length with FORMERR", async () => {
    const server = await serveDns({ zones: [ZONE], port: 0 });
    const socket = dgram.createSocket("udp4");
    const reply = new Promise<Buffer>((r) => socket.once("message", r));
    const query = encodeMessage({ id: 7, type: "query", flags: 0, questions: [{ name: "www.example.test", type: "A" }], additionals: [{ name: ".", type: "OPT", udpPayloadSize: 1232, flags: 0, options: [{ code: 10, data: Buffer.alloc(5) }] }] } as never);
    socket.send(query, server.address.port, "127.0.0.1");
    expect(rcodeOf(decodeMessage(await reply).message)).toBe("FORMERR");
    socket.close();
    await server.close();
  });
});
