import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, CliServer, freePort, run, startCli } from "../helpers";

let dir: string;
let data: Buffer;
const servers: CliServer[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "applayer-bt-cli-"));
  data = randomBytes(2 * 1024 * 1024 + 5);
  writeFileSync(join(dir, "lesson.bin"), data);
});
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe("applayer torrent / tracker / seed / download", () => {
  it("a tracker, a seed and a download, each in its own process; the download exits 0 with the same bytes", async () => {
    const tracker = await startCli(["tracker", "--listen", "127.0.0.1:0", "--interval", "2"]);
    servers.push(tracker);
    const file = join(dir, "lesson.torrent");
    const made = await run(process.execPath, [CLI, "torrent", "create", join(dir, "lesson.bin"), "--announce", `http://127.0.0.1:${tracker.address.port}/announce`, "-o", file]);
    expect(made).toMatch(/9 pieces of 262144 bytes, info-hash [0-9a-f]{40}/);
    const shown = await run(process.execPath, [CLI, "torrent", "show", file]);
    expect(shown).toMatch(new RegExp(`size:\\s+${data.length} bytes in 1 file`));
    const seed = await startCli(["seed", file, "--data", dir]);
    servers.push(seed);
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-cli-out-"));
    const done = await run(process.execPath, [CLI, "download", file, "--out", out], "", { timeoutMs: 60_000 });
    expect(done).toMatch(/listening on 127\.0\.0\.1:\d+/);
    expect(done).toMatch(/9\/9 pieces verified/);
    expect(readFileSync(join(out, "lesson.bin")).equals(data)).toBe(true);
  }, 90_000);

  it("download fails with TRACKER_UNREACHABLE, naming the tracker and what to do, when the tracker refuses connections", async () => {
    const url = `http://127.0.0.1:${await freePort()}/announce`;
    const file = join(dir, "nobody-home.torrent");
    await run(process.execPath, [CLI, "torrent", "create", join(dir, "lesson.bin"), "--announce", url, "-o", file]);
    const out = mkdtempSync(join(tmpdir(), "applayer-bt-cli-out-"));
    // After TRACKER_RETRIES retries (0.5 + 1 + 2 + 4 s), not never.
    const e = await run(process.execPath, [CLI, "download", file, "--out", out], "", { timeoutMs: 30_000 }).then(() => "exit 0", (x: Error) => x.message);
    expect(e).toMatch(/Command failed: .* download /);
    expect(e).toContain(url);
    expect(e).toContain("applayer tracker --listen");
    expect(e).toMatch(/\[TRACKER_UNREACHABLE\]/);
  }, 60_000);

  it("explains a file that is not a torrent", async () => {
    writeFileSync(join(dir, "junk.torrent"), "d4:spami3e");
    const e = await run(process.execPath, [CLI, "torrent", "show", join(dir, "junk.torrent")]).catch((x) => String(x));
    expect(e).toMatch(/BENCODE|not a valid torrent/);
  });
});
