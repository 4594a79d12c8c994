import { describe, expect, it } from "vitest";
import * as net from "node:net";
import { closeAll, openCount, withDeadline } from "../../lib/src/net/lifecycle";
import { openUdp } from "../../lib/src/net/network";
import { serveTcpUpper, tcpUpperRequest } from "../../lib/src/sockets/tcp-upper";
import { isAppLayerError } from "../../lib/src/errors";

const codeOf = async (p: Promise<unknown>) => p.then(() => "none", (e) => (isAppLayerError(e) ? e.code : String(e)));

describe("lifecycle", () => {
  it("re-running a cell that listens on a fixed port replaces the old server instead of failing", async () => {
    const first = await serveTcpUpper();
    const port = first.address.port;
    await first.close();
    const a = await serveTcpUpper({ port });
    const b = await serveTcpUpper({ port }); // same address again, as a re-run cell would
    expect(b.address.port).toBe(port);
    expect(await tcpUpperRequest("still here", { server: b.address })).toBe("STILL HERE");
    await a.close();
    await b.close();
  });

  it("reports a port held by someone else with advice, not a raw EADDRINUSE", async () => {
    const other = net.createServer();
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const port = (other.address() as net.AddressInfo).port;
    const err = await serveTcpUpper({ port }).catch((e) => e);
    other.close();
    expect(isAppLayerError(err, "BAD_ADDRESS")).toBe(true);
    expect(err.detail.errno).toBe("EADDRINUSE");
  });

  it("refuses to bind outside loopback", async () => {
    expect(await codeOf(serveTcpUpper({ host: "0.0.0.0" }))).toBe("NOT_LOOPBACK");
    expect(await codeOf(openUdp({ host: "8.8.8.8" }))).toBe("NOT_LOOPBACK");
  });

  it("closeAll closes every server and socket still open", async () => {
    await closeAll();
    await serveTcpUpper();
    await openUdp();
    expect(openCount()).toBe(2);
    await closeAll();
    expect(openCount()).toBe(0);
  });

  it("withDeadline turns a timeout and an abort into TIMEOUT and ABORTED, and signals the work", async () => {
    let released = 0;
    const never = (signal: AbortSignal) => new Promise<never>(() => signal.addEventListener("abort", () => released++));
    expect(await codeOf(withDeadline("waiting", { timeoutMs: 20 }, never))).toBe("TIMEOUT");
    const ctl = new AbortController();
    const p = withDeadline("waiting", { signal: ctl.signal }, never);
    ctl.abort();
    expect(await codeOf(p)).toBe("ABORTED");
    expect(released).toBe(2);
    expect(await codeOf(withDeadline("already aborted", { signal: AbortSignal.abort() }, never))).toBe("ABORTED");
  });

  it("withDeadline rejects with the caller's own error at the deadline, and with the work's own rejection before it", async () => {
    let released = 0;
    const never = (signal: AbortSignal) => new Promise<never>(() => signal.addEventListener("abort", () => released++));
    const own = new Error("the caller's words");
    expect(await withDeadline("waiting", { timeoutMs: 20, timeoutError: () => own }, never).catch((e) => e)).toBe(own);
    expect(released).toBe(1);
    const refused = new Error("refused");
    expect(await withDeadline("waiting", { timeoutMs: 20, timeoutError: () => own }, async () => { throw refused; }).catch((e) => e)).toBe(refused);
  });
});
