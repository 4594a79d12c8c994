/**
 * The command line loads a command's group only when it runs: each group's names
 * in GROUPS must be exactly the commands it loads (a command missing there would
 * be "unknown"), and a command runs without the other groups' code.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { CLI, run } from "../helpers";

// The built CLI, as `applayer` runs it: its groups are loaded with require().
const { GROUPS } = createRequire(__filename)(CLI) as typeof import("../../lib/src/cli/main");

describe("the command line's groups", () => {
  it("name exactly the commands each group loads, each command once", () => {
    for (const g of GROUPS) expect(g.load().map((c) => c.name)).toEqual(g.names);
    const names = GROUPS.flatMap((g) => g.names);
    expect(new Set(names).size).toBe(names.length);
  });
  it("run a command without loading the other groups' code", async () => {
    const probe = `require(${JSON.stringify(CLI)}).main(["download", "--help"]).then(() => {
      const loaded = Object.keys(require.cache).filter((f) => f.includes("/lib/dist/"));
      console.log(JSON.stringify(loaded.map((f) => f.split("/lib/dist/")[1])));
    });`;
    const stdout = await run(process.execPath, ["-e", probe]);
    const loaded = JSON.parse(stdout.trim().split("\n").at(-1)!) as string[];
    expect(loaded).toContain("cli/p2p.js");
    expect(loaded.filter((f) => /^(dns|mail|smtp|imap|pop3|course|class)\//.test(f) || /^cli\/(dns|mail|course|class|sockets)\.js$/.test(f))).toEqual([]);
  });
});
