/**
 * Interop: the lib's uppercase servers, started through the `applayer` CLI as a
 * student would, answer standard tools (socat, netcat-openbsd); and the CLI's
 * lifecycle contract holds (one "listening on" line, exit 0 on SIGTERM/SIGINT).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliServer, run, startCli } from "../helpers";

describe("applayer udp-upper with standard tools", () => {
  let server: CliServer;
  beforeAll(async () => {
    server = await startCli(["udp-upper", "--port", "0"]);
  });
  afterAll(() => server.stop());

  it("answers socat", async () => {
    expect(await run("socat", ["-T1", "-", `UDP:127.0.0.1:${server.address.port}`], "hello socat")).toBe("HELLO SOCAT");
  });
  it("answers nc -u", async () => {
    expect(await run("nc", ["-u", "-w1", "127.0.0.1", String(server.address.port)], "hello nc\n")).toBe("HELLO NC\n");
  });
  it("keeps answering after garbage", async () => {
    await run("socat", ["-T0.3", "-", `UDP:127.0.0.1:${server.address.port}`], "\u0000\u00ff\u00fe garbage", { encoding: "latin1" });
    expect(await run("socat", ["-T1", "-", `UDP:127.0.0.1:${server.address.port}`], "after")).toBe("AFTER");
  });
});

describe("applayer tcp-upper with standard tools", () => {
  let server: CliServer;
  beforeAll(async () => {
    server = await startCli(["tcp-upper", "--port", "0"]);
  });
  afterAll(() => server.stop());

  it("answers nc -N, line by line", async () => {
    expect(await run("nc", ["-N", "127.0.0.1", String(server.address.port)], "one\ntwo\n")).toBe("ONE\nTWO\n");
  });
  it("answers socat, including a last line without newline", async () => {
    expect(await run("socat", ["-", `TCP:127.0.0.1:${server.address.port}`], "hello\r\nworld")).toBe("HELLO\nWORLD\n");
  });
});

describe("the applayer CLI", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("a server exits 0 on %s", async (signal) => {
    const s = await startCli(["tcp-upper", "--port", "0", "--host", "127.0.0.2"]);
    expect(s.address.host).toBe("127.0.0.2");
    const code = new Promise((r) => s.proc.once("exit", r));
    s.proc.kill(signal);
    expect(await code).toBe(0);
  });
  it("lists its commands with --help", async () => {
    const out = await run(process.execPath, [require.resolve("../../lib/dist/cli/main.js"), "--help"]);
    for (const c of ["udp-upper", "tcp-upper", "relay", "ping"]) expect(out).toContain(`  ${c} `);
  });
  it("pings through a relay it started", async () => {
    const upper = await startCli(["udp-upper", "--port", "0"]);
    const relay = await startCli(["relay", "--port", "0", "--target", `127.0.0.1:${upper.address.port}`, "--delay", "5"]);
    const out = await run(process.execPath, [require.resolve("../../lib/dist/cli/main.js"), "ping", `127.0.0.1:${relay.address.port}`, "--count", "3"]);
    expect(out).toMatch(/^3 sent, 3 received, 0\.0% loss/m);
    await Promise.all([relay.stop(), upper.stop()]);
  });
  it("refuses a non-loopback host with exit code 2", async () => {
    const e = await run(process.execPath, [require.resolve("../../lib/dist/cli/main.js"), "udp-upper", "--port", "0", "--host", "0.0.0.0"]).catch((x) => x);
    expect(String(e)).toMatch(/exit code 2|Command failed/);
  });
});
