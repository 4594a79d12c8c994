/**
 * Numbers the lessons' prose quotes, checked against the lib that draws their
 * charts: a sentence that says "about 7 hours" is held to what the code beside
 * it computes. Each test finds its cells by content, not by index.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { NOTEBOOK_DIR, readCells, sourceOf } from "../scripts/notebooks";
import { raceOdds } from "../lib/src/dns/attacks/poisoning";
import { anycastRoot } from "../lib/src/dns/world/anycast";
import { syntheticWorld } from "../lib/src/dns/world/synthetic";

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

describe("31: one ISP's 600 billion queries a day, against the simulated day", () => {
  const run = cellWith("31-dns-services", "const load = simulateLoad(");
  const yardstick = cellWith("31-dns-services", "const ispPerDay = ");
  const prose = cellWith("31-dns-services", "That one ISP answers");

  it("quotes the ratio to the run's size and the rate a second that the cell computes", () => {
    const queries = Number(/simulateLoad\(synthetic, \{ queries: ([\d_]+)/.exec(run)![1].replace(/_/g, ""));
    const perDay = Number(/const ispPerDay = ([\d.e]+);/.exec(yardstick)![1]);
    const m = /answers ([\d,]+) times our whole simulated day, nearly (\d+) million queries every second/.exec(prose);
    expect(m, prose).not.toBeNull();
    expect(Number(m![1].replace(/,/g, ""))).toBe(perDay / queries);
    // "nearly N million": just under N, by less than half a million.
    const millionsPerSecond = perDay / 86_400 / 1e6;
    expect([millionsPerSecond < Number(m![2]), Number(m![2]) - millionsPerSecond < 0.5]).toEqual([true, true]);
  });
});

describe("31: the root address under a flood, with anycast, one central server, and an instance down", () => {
  const numbers = (text: string, re: RegExp) => {
    const m = re.exec(text);
    expect(m, text).not.toBeNull();
    return m!.slice(1).map((n) => Number(n.replace(/,/g, "")));
  };

  it("five instances: the biggest share of the flood, and the local round trip", async () => {
    expect(cellWith("31-dns-services", "const spread = ")).toContain("const spread = await anycastRoot();");
    const [share, ms] = numbers(cellWith("31-dns-services", "The flood landed on all five"), /none carried more than (\d+) % of it\. .* in (\d+) ms\./);
    const r = await anycastRoot();
    expect(Math.round(100 * Math.max(...r.instances.map((i) => i.share)))).toBe(share);
    expect(r.clients.map((c) => [c.answeredBy, c.rttMs])).toEqual(r.clients.map((c) => [c.city, ms]));
  });

  it("one central server: the far clients' round trips, and the whole flood", async () => {
    expect(cellWith("31-dns-services", "const central = ")).toContain('anycastRoot({ sites: ["Amherst"] })');
    const [amsterdam, sydney, near] = numbers(cellWith("31-dns-services", "Everyone outside Amherst"), /(\d+) ms from Amsterdam, (\d+) ms from Sydney, where a nearby instance answered in (\d+)\./);
    const [all] = numbers(cellWith("31-dns-services", "Alone, the central server"), /received all ([\d,]+) queries/);
    const r = await anycastRoot({ sites: ["Amherst"] });
    const rtt = (city: string) => r.clients.find((c) => c.city === city)!.rttMs;
    expect([rtt("Amsterdam"), rtt("Sydney"), rtt("Amherst")]).toEqual([amsterdam, sydney, near]);
    expect(r.instances).toEqual([{ site: "Amherst", floodQueries: all, share: 1 }]);
  });

  it("Amsterdam's instance down: who answers Amsterdam, and how fast", async () => {
    expect(cellWith("31-dns-services", "const noAmsterdam = ")).toContain('ANYCAST_CITIES.filter((city) => city !== "Amsterdam")');
    const [ms, before] = numbers(cellWith("31-dns-services", "Amsterdam's client is still answered"), /by Amherst, in (\d+) ms instead of (\d+)\./);
    const r = await anycastRoot({ sites: ["Amherst", "São Paulo", "Tokyo", "Sydney"] });
    const c = r.clients.find((x) => x.city === "Amsterdam")!;
    expect([c.answeredBy, c.rttMs]).toEqual(["Amherst", ms]);
    expect((await anycastRoot()).clients.find((x) => x.city === "Amsterdam")!.rttMs).toBe(before);
  });

  it("the synthetic world's authoritative servers, one per domain", () => {
    const [servers] = numbers(cellWith("31-dns-services", "one per domain, and each domain's operator"), /There are ([\d,]+), one per domain/);
    expect([...syntheticWorld().servers.values()].filter((s) => s.level === "authoritative").length).toBe(servers);
  });
});
