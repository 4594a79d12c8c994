import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as net from "node:net";
import { serveTcpUpper, tcpUpperRequest, TcpLineClient, TcpUpperServer } from "../../lib/src/sockets/tcp-upper";
import { TCP_UPPER_MAX_LINE } from "../../lib/src/sockets/limits";
import { isAppLayerError } from "../../lib/src/errors";

/** Connects with bare node:net, writes `data`, half-closes, and resolves with all the server sent. */
function rawSession(port: number, data: Buffer | string, halfClose = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => (halfClose ? s.end(data) : s.write(data)));
    s.on("data", (c) => chunks.push(c));
    s.on("close", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
  });
}

describe("TCP uppercase server", () => {
  let server: TcpUpperServer;
  beforeAll(async () => {
    server = await serveTcpUpper({ idleTimeoutMs: 300 });
  });
  afterAll(() => server.close());

  it("answers every line of a persistent connection, CRLF or LF", async () => {
    expect(String(await rawSession(server.address.port, "one\r\ntwo\nthree"))).toBe("ONE\nTWO\nTHREE\n");
  });
  it("passes NUL and non-UTF-8 bytes through untouched", async () => {
    const reply = await rawSession(server.address.port, Buffer.from([0x00, 0x61, 0xff, 0x0a]));
    expect([...reply]).toEqual([0x00, 0x41, 0xff, 0x0a]);
  });
  it("accepts a line of exactly TCP_UPPER_MAX_LINE bytes", async () => {
    const reply = await rawSession(server.address.port, "a".repeat(TCP_UPPER_MAX_LINE) + "\n");
    expect(reply.length).toBe(TCP_UPPER_MAX_LINE + 1);
  });
  it("answers one byte more with an ERROR line and closes that connection only", async () => {
    const bystander = await TcpLineClient.connect({ server: server.address });
    const reply = String(await rawSession(server.address.port, "a".repeat(TCP_UPPER_MAX_LINE + 1), false));
    expect(reply).toMatch(/^ERROR /);
    expect(await bystander.request("still served")).toBe("STILL SERVED");
    await bystander.close();
  });
  it("serves others while a client connects and says nothing, then drops the silent one", async () => {
    const silent = net.connect(server.address.port, "127.0.0.1");
    const closed = new Promise<string>((r) => {
      let got = "";
      silent.on("data", (d) => (got += d));
      silent.on("close", () => r(got));
    });
    expect(await tcpUpperRequest("meanwhile", { server: server.address })).toBe("MEANWHILE");
    expect(await closed).toMatch(/^ERROR idle/);
  });
  it("tells simultaneous clients apart by their source ports", async () => {
    const clients = await Promise.all([1, 2, 3].map(() => TcpLineClient.connect({ server: server.address })));
    const replies = await Promise.all(clients.map((c, i) => c.request(`client ${i}`)));
    expect(replies).toEqual(["CLIENT 0", "CLIENT 1", "CLIENT 2"]);
    const ports = clients.map((c) => c.localAddress.port);
    const seen = server.clients.filter((r) => ports.includes(r.remote.port));
    expect(new Set(seen.map((r) => r.remote.port)).size).toBe(3);
    await Promise.all(clients.map((c) => c.close()));
  });
  it("close() ends open connections too", async () => {
    const s = await serveTcpUpper();
    const c = await TcpLineClient.connect({ server: s.address });
    await s.close();
    const e = await c.request("after close").catch((x) => x);
    expect(isAppLayerError(e, "CONNECTION_CLOSED")).toBe(true);
  });
});

describe("TCP client", () => {
  it("works against a server written independently with bare node:net", async () => {
    // Answers each line reversed, so the reply cannot come from the lib's server.
    const srv = net.createServer((s) => {
      let buf = "";
      s.on("data", (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          s.write([...buf.slice(0, i)].reverse().join("") + "\n");
          buf = buf.slice(i + 1);
        }
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const server = { host: "127.0.0.1", port: (srv.address() as net.AddressInfo).port };
    const client = await TcpLineClient.connect({ server });
    // Pipelined: both requests are written before either reply arrives.
    expect(await Promise.all([client.request("abc"), client.request("xyz")])).toEqual(["cba", "zyx"]);
    await client.close();
    srv.close();
  });
  it("says nothing is listening when the connection is refused", async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const e = await tcpUpperRequest("x", { server: { host: "127.0.0.1", port } }).catch((x) => x);
    expect(isAppLayerError(e, "CONNECTION_CLOSED")).toBe(true);
  });
  it("times out when the server accepts but never answers", async () => {
    const srv = net.createServer(() => undefined);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const server = { host: "127.0.0.1", port: (srv.address() as net.AddressInfo).port };
    const e = await tcpUpperRequest("x", { server, timeoutMs: 50 }).catch((x) => x);
    expect(isAppLayerError(e, "TIMEOUT")).toBe(true);
    srv.close();
  });
  it("hangs up on a server that floods it with a line past the limit, failing the request with LINE_TOO_LONG", async () => {
    const FLOOD_CAP = 64 << 20; // bytes the server would send at most: far more than any socket buffers
    let sent = 0;
    const srv = net.createServer((s) => {
      s.on("error", () => s.destroy());
      const junk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => { while (!s.destroyed && sent < FLOOD_CAP && s.write(junk)) sent += junk.length; if (!s.destroyed) s.once("drain", pump); };
      pump();
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const client = await TcpLineClient.connect({ server: { host: "127.0.0.1", port: (srv.address() as net.AddressInfo).port } });
    const e = await client.request("x").catch((x) => x);
    expect(isAppLayerError(e, "LINE_TOO_LONG")).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const after = sent;
    await new Promise((r) => setTimeout(r, 100));
    expect(sent).toBe(after); // nobody reads any more: the flood stopped
    expect(sent).toBeLessThan(FLOOD_CAP);
    await client.close();
    srv.close();
  });
});
