/**
 * One root address served from five cities (anycast) under a flood: the flood
 * spreads over the instances by where the bots are, each city's client is
 * answered by its own city's instance, a withdrawn instance's clients go to the
 * next nearest, and one central server takes everything and answers from afar.
 */
import { describe, expect, it } from "vitest";
import { ANYCAST_CITIES, DEFAULT_FLOOD, anycastRoot, cityRttMs } from "../../lib/src/dns/world/anycast";
import { anycastLoadChart } from "../../lib/src/dns/charts/anycast";
import { chartText } from "../../lib/src/charts/describe";

const total = Object.values(DEFAULT_FLOOD).reduce((a, b) => a + b, 0);

describe("anycastRoot", () => {
  it("spreads the flood over the five instances, each taking the bots of its own city", async () => {
    const r = await anycastRoot();
    expect(r.floodQueries).toBe(total);
    expect(r.instances.map((i) => [i.site, i.floodQueries])).toEqual(ANYCAST_CITIES.map((c) => [c, DEFAULT_FLOOD[c]]));
    expect(Math.max(...r.instances.map((i) => i.share))).toBeCloseTo(DEFAULT_FLOOD.Amherst / total);
  });

  it("answers the client in each city from the instance in that city, in a local round trip", async () => {
    const r = await anycastRoot();
    expect(r.clients.map((c) => [c.city, c.answeredBy, c.rttMs, c.rcode])).toEqual(ANYCAST_CITIES.map((c) => [c, c, cityRttMs(c, c), "NOERROR"]));
  });

  it("with one central server, takes the whole flood there and makes every other city wait for the trip", async () => {
    const r = await anycastRoot({ sites: ["Amherst"] });
    expect(r.instances).toEqual([{ site: "Amherst", floodQueries: total, share: 1 }]);
    expect(r.clients.map((c) => [c.answeredBy, c.rttMs])).toEqual(ANYCAST_CITIES.map((c) => ["Amherst", cityRttMs(c, "Amherst")]));
    expect(r.clients.find((c) => c.city === "Sydney")!.rttMs).toBe(210);
  });

  it("sends a withdrawn instance's clients and bots to the next nearest one, and nobody else notices", async () => {
    const r = await anycastRoot({ sites: ANYCAST_CITIES.filter((c) => c !== "Amsterdam") });
    const amsterdam = r.clients.find((c) => c.city === "Amsterdam")!;
    expect([amsterdam.answeredBy, amsterdam.rttMs]).toEqual(["Amherst", cityRttMs("Amsterdam", "Amherst")]);
    expect(r.instances.find((i) => i.site === "Amherst")!.floodQueries).toBe(DEFAULT_FLOOD.Amherst + DEFAULT_FLOOD.Amsterdam);
    expect(r.clients.filter((c) => c.city !== "Amsterdam").every((c) => c.answeredBy === c.city)).toBe(true);
  });

  it("leaves every client unanswered when no instance announces the address", async () => {
    const r = await anycastRoot({ sites: [], flood: { Amherst: 10, Amsterdam: 0, "São Paulo": 0, Tokyo: 0, Sydney: 0 } });
    expect(r.clients.every((c) => c.rcode === "no answer" && c.answeredBy === undefined)).toBe(true);
  });
});

describe("cityRttMs", () => {
  it("is the same both ways, and short within a city", () => {
    for (const a of ANYCAST_CITIES) for (const b of ANYCAST_CITIES) expect(cityRttMs(a, b)).toBe(cityRttMs(b, a));
    expect(cityRttMs("Tokyo", "Tokyo")).toBeLessThan(Math.min(...ANYCAST_CITIES.filter((c) => c !== "Tokyo").map((c) => cityRttMs("Tokyo", c))));
  });
});

describe("anycastLoadChart", () => {
  it("says, per scenario, what each city's instance received", async () => {
    const text = chartText(anycastLoadChart([await anycastRoot(), await anycastRoot({ sites: ["Amherst"] })]));
    expect(text.summary).toContain(`anycast, 5 instances: Amherst = ${DEFAULT_FLOOD.Amherst.toLocaleString("en-US")}`);
    expect(text.summary).toContain(`one server, in Amherst: Amherst = ${total.toLocaleString("en-US")}, Amsterdam = 0`);
  });
});
