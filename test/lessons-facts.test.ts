/**
 * Numbers the lessons' prose quotes, checked against the lib that draws their
 * charts: a sentence that says "about 7 hours" is held to what the code beside
 * it computes. Each test finds its cells by content, not by index.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { NOTEBOOK_DIR, readCells, sourceOf } from "../scripts/notebooks";
import { raceOdds } from "../lib/src/dns/attacks/poisoning";

/** The one cell of a lesson whose source contains `text`. */
function cellWith(lesson: string, text: string): string {
  const hits = readCells(join(NOTEBOOK_DIR, `${lesson}.ipynb`)).map(sourceOf).filter((s) => s.includes(text));
  expect(hits, `cells of ${lesson} containing ${JSON.stringify(text)}`).toHaveLength(1);
  return hits[0];
}

describe("35: how long a poisoning attack takes against random ports", () => {
  // The chart's cell: 1,000 forgeries a race, 50 races a second, 28,232 ports.
  const chart = cellWith("35-dns-attacks", "poisoningOverTimeChart(overTime)");
  const prose = cellWith("35-dns-attacks", "With random ports, the attacker's chance");
  const odds = (hours: number) => raceOdds({ forgeries: 1000, ports: 28_232, attempts: hours * 3600 * 50 });

  it("the prose's figures are the chart's parameters", () => {
    expect(chart).toContain("const attempts = hours * 3600 * 50;");
    expect(chart).toContain("raceOdds({ forgeries: 1000, ports: 28_232, attempts })");
  });

  it("quotes the chance after an hour, and the hours to even odds and to 99 %, as raceOdds gives them", () => {
    const m = /(\d+) % after an hour, even odds after about (\d+) hours, and 99 % after about (\d+) hours/.exec(prose);
    expect(m, prose).not.toBeNull();
    const [afterAnHour, even, nearlySure] = m!.slice(1).map(Number);
    expect(Math.round(100 * odds(1))).toBe(afterAnHour);
    // "about N hours": the odds cross the mark within half an hour of N.
    expect([odds(even - 0.5) < 0.5, odds(even + 0.5) > 0.5]).toEqual([true, true]);
    expect([odds(nearlySure - 0.5) < 0.99, odds(nearlySure + 0.5) > 0.99]).toEqual([true, true]);
  });
});

describe("42: the size of a capture of the live swarm", () => {
  const swarm = cellWith("42-p2p-bittorrent", "const swarm = await startLoopbackSwarm(");
  const prose = cellWith("42-p2p-bittorrent", "A capture of that swarm would hold");

  it("is what its leechers receive, to the nearest 10 %", () => {
    const [, leechers, megabytes] = /startLoopbackSwarm\(\{ leechers: (\d+), megabytes: (\d+)/.exec(swarm)!.map(Number);
    const [, quoted, file] = /would hold about (\d+) MiB \(\w+ leechers each receiving the (\d+) MiB file\)/.exec(prose)!.map(Number);
    expect(file).toBe(megabytes);
    expect(Math.abs(Number(quoted) - leechers * megabytes) / (leechers * megabytes)).toBeLessThan(0.1);
  });
});
