/**
 * The P2P lesson's availability heat map, drawn: its subtitle names the colour a
 * lost piece really gets. (viridis, its palette, has no black.)
 */
import { describe, expect, it } from "vitest";
import { renderSvg } from "../../lib/src/charts/render";
import { availabilityHeatmap, neighbourChart, unchokeTimelineChart } from "../../lib/src/p2p/charts";
import { SwarmResult, WatchedRound } from "../../lib/src/p2p/swarm";
import { chartText } from "../../lib/src/charts/describe";

/** A result with two rows of pieces over two samples: one row keeps 5 and 6 copies, the other falls from 2 to 0. */
const result: SwarmResult = {
  peers: [], finishTime: 10, lowerBound: 1, population: [], watched: [], steps: 0, wallMs: 0,
  availability: [
    { t: 0, pieces: "0–1", firstPiece: 0, copies: 5 },
    { t: 0, pieces: "2–3", firstPiece: 2, copies: 2 },
    { t: 5, pieces: "0–1", firstPiece: 0, copies: 6 },
    { t: 5, pieces: "2–3", firstPiece: 2, copies: 0 },
  ],
};

/** The fill of every drawn cell of the heat map (Vega marks each with aria-roledescription="rect mark"). */
const fills = (svg: string) => [...svg.matchAll(/<path[^>]*aria-roledescription="rect mark"[^>]*fill="([^"]*)"/g)].map((m) => m[1]);
/** viridis at its two ends: dark purple (#440154) and yellow (#fde725). */
const [DARK_PURPLE, YELLOW] = ["rgb(68, 1, 84)", "rgb(253, 231, 37)"];

describe("availabilityHeatmap", () => {
  it("draws a piece lost (0 copies) in viridis' dark purple, as its subtitle says, and the most copies in yellow", async () => {
    const svg = await renderSvg(availabilityHeatmap(result));
    expect(svg).toContain("the darkest purple, at 0 copies, is a piece lost");
    expect(svg).not.toMatch(/black/);
    const cells = fills(svg);
    expect(cells).toHaveLength(4);
    expect(cells).toContain(DARK_PURPLE);
    expect(cells).toContain(YELLOW);
  });

  it("starts its scale at 0 copies: a run whose rarest piece kept 2 copies draws no cell in the lost piece's colour", async () => {
    const kept = { ...result, availability: result.availability.map((a) => ({ ...a, copies: Math.max(a.copies, 2) })) };
    expect(fills(await renderSvg(availabilityHeatmap(kept)))).not.toContain(DARK_PURPLE);
  });
});

/** Three rounds of one peer: peer 4 leaves after the first, peer 7 connects at the second; a new optimistic unchoke at 30 s. */
const rounds: WatchedRound[] = [
  { t: 10, neighbours: [2, 3, 4, 5], regular: [2, 3], optimistic: 4, newOptimistic: false, seeding: false },
  { t: 20, neighbours: [2, 3, 5, 7], regular: [3, 5], optimistic: 2, newOptimistic: false, seeding: false },
  { t: 30, neighbours: [2, 3, 5, 7], regular: [2, 3, 5, 7], newOptimistic: true, seeding: false },
];
/** How many drawn marks of a role an SVG holds. */
const marks = (svg: string, role: string) => (svg.match(new RegExp(`aria-roledescription="${role}"`, "g")) ?? []).length;

describe("neighbourChart", () => {
  it("draws a bar for each round a neighbour was connected, and counts who came and who went", async () => {
    const spec = neighbourChart(rounds, 1);
    const svg = await renderSvg(spec);
    expect(marks(svg, "bar")).toBe(12);
    expect(svg).toContain("5 different neighbours; 1 came after the first round, 1 were gone by the last");
    expect(chartText(spec).summary).toBe("5 different neighbours in 3 rounds: 4 at 10 s, 4 at 30 s; 1 connected after the first round, 1 of all of them were gone by the last.");
  });
});

describe("unchokeTimelineChart", () => {
  it("draws a square per regular unchoke and a triangle per optimistic one, and a dashed line at each new optimistic round", async () => {
    const spec = unchokeTimelineChart(rounds, 1);
    const svg = await renderSvg(spec);
    const shapes = [...svg.matchAll(/aria-label="([^"]*)"[^>]*aria-roledescription="point"/g)].map((m) => /kind: ([^;]*)/.exec(m[1])?.[1]);
    expect(shapes.filter((k) => k === "regular (tit-for-tat)")).toHaveLength(8);
    expect(shapes.filter((k) => k === "optimistic")).toHaveLength(2);
    expect(marks(svg, "rule mark")).toBe(1);
    expect(svg).toContain("new optimistic");
    // Told apart by shape, not by colour alone.
    const layers = spec.layer as Array<{ encoding?: { shape?: { scale: { range: string[] } } } }>;
    expect(layers[0].encoding!.shape!.scale.range).toEqual(["square", "triangle-up"]);
    expect(chartText(spec).summary).toContain("10 s: 2, 3; optimistic 4. 20 s: 3, 5; optimistic 2. 30 s: 2, 3, 5, 7.");
  });
});
