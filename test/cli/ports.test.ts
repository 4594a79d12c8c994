/**
 * Port numbers on the command line and in listen(): 0 to 65535. Node's dgram
 * wrapped 99999 to 34463 and `applayer udp-upper --port 99999` listened there
 * without a word; now the flag is named and the command exits 2.
 */
import { describe, expect, it } from "vitest";
import { MAX_PORT, portOption } from "../../lib/src/cli/command";
import { resolveListen } from "../../lib/src/net/lifecycle";
import { isAppLayerError } from "../../lib/src/errors";
import { CLI, run } from "../helpers";

const fails = (f: () => unknown) => { try { f(); } catch (e) { return e; } return undefined; };

describe("port numbers", () => {
  it("take 0 to 65535, and refuse one past it naming the flag", () => {
    expect([portOption("0", "port"), portOption(String(MAX_PORT), "port"), portOption(undefined, "port", 53)]).toEqual([0, 65535, 53]);
    const e = fails(() => portOption("65536", "imap-port"));
    expect(isAppLayerError(e, "BAD_ARGUMENT")).toBe(true);
    expect((e as Error).message).toContain("--imap-port");
  });
  it("are checked by listen() too, for code that calls the lib", () => {
    expect(resolveListen({ port: 65535 }).port).toBe(65535);
    for (const port of [65536, 99999, -1, 1.5]) expect(isAppLayerError(fails(() => resolveListen({ port })), "BAD_ADDRESS")).toBe(true);
  });
  it.each([
    [["udp-upper", "--port", "99999"], "--port"],
    [["mail-server", "--domain", "umass.edu", "--data", "/tmp/never", "--imap-port", "70000"], "--imap-port"],
    [["dns-world", "--port", "65536"], "--port"],
  ])("applayer %j exits 2 naming the flag", async (args, flag) => {
    const out = await run(process.execPath, [CLI, ...args]).then(() => "exit 0", (e: Error) => e.message);
    expect(out).toMatch(/exit code 2|Command failed/);
    expect(out).toContain(`${flag} must be a port from 0 to 65535`);
  });
});

describe("dns-world's DNSSEC flags", () => {
  it("refuses --trust-anchor-out without --dnssec, naming both flags", async () => {
    const out = await run(process.execPath, [CLI, "dns-world", "--port", "0", "--trust-anchor-out", "/tmp/never.key"]).then(() => "exit 0", (e: Error) => e.message);
    expect(out).toContain("--trust-anchor-out needs --dnssec");
  });
});
