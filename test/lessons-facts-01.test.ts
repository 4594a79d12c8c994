/**
 * Lesson 01's numbers, held to what its cells do (as test/lessons-facts.test.ts does for
 * other lessons): the jittery relay's delays, and the 64 KiB reads of the 1 MiB write.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { NOTEBOOK_DIR, readCells, sourceOf } from "../scripts/notebooks";
import { measureReads } from "../lib/src/sockets/stream";

const cells = readCells(join(NOTEBOOK_DIR, "01-sockets.ipynb")).map(sourceOf);
const only = (text: string) => {
  const hits = cells.filter((s) => s.includes(text));
  return (expect(hits, `cells of 01 containing ${JSON.stringify(text)}`).toHaveLength(1), hits[0]);
};

describe("01: UDP reordering", () => {
  it("the prose's delays and count are the relay's and the sender's", () => {
    const prose = only("Does UDP at least keep their *order*?");
    const [, fixed, jitter] = /holds each datagram (\d+) ms plus a random 0–(\d+) ms/.exec(prose)!.map(Number);
    expect(only("const jittery = await startRelay(")).toContain(`delayMs: ${fixed}, jitterMs: ${jitter},`);
    const [, count] = /sends datagrams 1 to (\d+)/.exec(only("A sender sends datagrams"))!.map(Number);
    const sender = only("sender.send(");
    expect(sender).toContain(`n <= ${count};`);
    expect(sender).toContain(`holds each one ${fixed + jitter} ms at most`);
  });
});

describe("01: the reads of one 1 MiB write", () => {
  it("none is larger than the 64 KiB the prose names, and the largest is that", async () => {
    expect(only("Node asks the operating system for at most")).toContain("at most 64 KiB (the largest read above)");
    for (let run = 0; run < 3; run++) {
      const { chunks } = await measureReads([Buffer.alloc(1024 * 1024, "x")]);
      expect(Math.max(...chunks.map((c) => c.length))).toBe(64 * 1024);
    }
  });
});
