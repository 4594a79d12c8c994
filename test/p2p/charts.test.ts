/**
 * The P2P lesson's availability heat map, drawn: its subtitle names the colour a
 * lost piece really gets. (viridis, its palette, has no black.)
 */
import { describe, expect, it } from "vitest";
import { renderSvg } from "../../lib/src/charts/render";
import { availabilityHeatmap } from "../../lib/src/p2p/charts";
import { SwarmResult } from "../../lib/src/p2p/swarm";

/** A result with two rows of pieces over two samples: one row keeps 5 and 6 copies, the other falls from 2 to 0. */
const result: SwarmResult = {
  peers: [], finishTime: 10, lowerBound: 1, population: [], steps: 0, wallMs: 0,
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
