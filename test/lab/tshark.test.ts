/**
 * The lib's reading of a capture through tshark (lib/src/lab/tshark.ts), as the
 * lessons' Wireshark questions use it: on a capture made here from dig's real
 * query and Knot's real reply, sent from ports the test chooses.
 */
import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Capture } from "../../lib/src/lab/capture";
import { fixture } from "../../lib/src/lab/fixtures";
import { tsharkFields } from "../../lib/src/lab/tshark";
import { isAppLayerError } from "../../lib/src/errors";

const dir = mkdtempSync(join(tmpdir(), "applayer-tshark-"));
const file = join(dir, "dig-and-knot.pcapng");
const client = { host: "127.0.0.1", port: 40123 };
const server = { host: "127.53.0.1", port: 53 };
const capture = new Capture();
capture.udp(client, server, fixture("dns/dig-query-cs-umass-edu-mx.bin"));
capture.udp(server, client, fixture("dns/knot-reply-cs-umass-edu-mx.bin"));
writeFileSync(file, capture.toPcapng());

const refused = async (p: Promise<unknown>) => p.then(() => "resolved", (e) => (isAppLayerError(e) ? e.code : String(e)));

describe("tsharkFields", () => {
  it("runs tshark once for the same question of an unchanged file, and again once the file is written anew", async () => {
    // A tshark that counts its runs, ahead of the real one on PATH.
    const bin = mkdtempSync(join(tmpdir(), "applayer-tshark-bin-"));
    const runs = join(bin, "runs");
    writeFileSync(runs, "");
    writeFileSync(join(bin, "tshark"), `#!/bin/sh\necho run >> ${runs}\nexec /usr/bin/tshark "$@"\n`);
    chmodSync(join(bin, "tshark"), 0o755);
    const copy = join(dir, "asked-again.pcapng");
    writeFileSync(copy, capture.toPcapng());
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const count = () => readFileSync(runs, "utf8").split("\n").filter(Boolean).length;
      const [first, together] = await Promise.all([tsharkFields(copy, "dns", ["frame.number", "dns.id"]), tsharkFields(copy, "dns", ["frame.number", "dns.id"])]);
      expect(first).toEqual([["1", "0x189a"], ["2", "0x189a"]]);
      expect(together).toEqual(first);
      first[0][0] = "changed by its caller";
      expect(await tsharkFields(copy, "dns", ["frame.number", "dns.id"])).toEqual([["1", "0x189a"], ["2", "0x189a"]]);
      expect(count()).toBe(1);
      expect(await tsharkFields(copy, "dns", ["frame.number"])).toEqual([["1"], ["2"]]); // another question
      expect(count()).toBe(2);
      const shorter = new Capture();
      shorter.udp(client, server, fixture("dns/dig-query-cs-umass-edu-mx.bin"));
      writeFileSync(copy, shorter.toPcapng());
      expect(await tsharkFields(copy, "dns", ["frame.number", "dns.id"])).toEqual([["1", "0x189a"]]);
      expect(count()).toBe(3);
    } finally {
      process.env.PATH = path;
    }
  });

  it("gives each field of each frame the filter keeps, in the file's order", async () => {
    expect(await tsharkFields(file, "dns", ["frame.number", "udp.srcport", "udp.dstport", "dns.id", "dns.flags.response"])).toEqual([
      ["1", "40123", "53", "0x189a", "0"], // dig's query: id 6298, as its bytes 2 and 3 say
      ["2", "53", "40123", "0x189a", "1"],
    ]);
  });
  it("keeps only the frames the display filter matches", async () => {
    expect(await tsharkFields(file, "dns.flags.authoritative == 1", ["frame.number"])).toEqual([["2"]]);
    expect(await tsharkFields(file, "tcp", ["frame.number"])).toEqual([]);
  });
  it("joins a field a frame holds several times with commas, and gives \"\" for one it lacks", async () => {
    expect(await tsharkFields(file, "dns", ["dns.mx.mail_exchange", "frame.number"])).toEqual([["", "1"], ["mail.cs.umass.edu,mail.umass.edu", "2"]]);
    expect(await tsharkFields(file, "frame.number == 1", ["dns.mx.mail_exchange"])).toEqual([[""]]);
  });
  it("refuses a filter or field tshark does not know, a missing file, and no field at all", async () => {
    expect(await refused(tsharkFields(file, "dns.nosuchfield == 1", ["frame.number"]))).toBe("CAPTURE_READ");
    expect(await refused(tsharkFields(file, "dns", ["dns.nosuchfield"]))).toBe("CAPTURE_READ");
    expect(await refused(tsharkFields(join(dir, "absent.pcapng"), "dns", ["frame.number"]))).toBe("CAPTURE_READ");
    expect(await refused(tsharkFields(file, "dns", []))).toBe("BAD_ARGUMENT");
  });
});
