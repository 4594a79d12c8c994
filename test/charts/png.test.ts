import { describe, expect, it } from "vitest";
import { inflateSync } from "node:zlib";
import { MAX_PNG_PIXELS, PNG_SCALE, renderPng, svgSize } from "../../lib/src/charts/png";
import { renderSvg } from "../../lib/src/charts/render";
import { barChart } from "../../lib/src/charts/specs";

/** The width, height and decoded RGBA rows of a PNG (8-bit RGBA, as resvg writes it). */
function decodePng(png: Buffer): { width: number; height: number; ink: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    if (png.toString("latin1", off + 4, off + 8) === "IDAT") idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  // Count the non-white bytes of the filtered scanlines: 0 means a blank image.
  const raw = inflateSync(Buffer.concat(idat));
  let ink = 0;
  for (const b of raw) if (b !== 0xff && b !== 0) ink++;
  return { width, height, ink };
}

const rows = [{ x: "a", y: 1 }, { x: "b", y: 3 }];

describe("renderPng", () => {
  it("draws the chart at twice the SVG's size, with ink on it", async () => {
    const svg = await renderSvg(barChart(rows, { x: "x", y: "y", title: "Two bars" }));
    const r = await renderPng(svg);
    const size = svgSize(svg);
    expect(r.png).toBeDefined();
    const img = decodePng(r.png!);
    expect(img.width).toBe(Math.ceil(size.width * PNG_SCALE));
    expect(img.height).toBe(Math.ceil(size.height * PNG_SCALE));
    expect(img.ink).toBeGreaterThan(1000);
  });
  it("draws the text: a title changes the picture (fonts are found)", async () => {
    const plain = await renderPng(await renderSvg(barChart(rows, { x: "x", y: "y", title: "Two bars" })));
    const other = await renderPng(await renderSvg(barChart(rows, { x: "x", y: "y", title: "WWWWWWWW" })));
    expect(decodePng(plain.png!).ink).not.toBe(decodePng(other.png!).ink);
  });
  it("refuses a chart over MAX_PNG_PIXELS with the reason, and takes one just under", async () => {
    const side = Math.sqrt(MAX_PNG_PIXELS) / PNG_SCALE;
    const svgOf = (w: number, h: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="10" height="10"/></svg>`;
    const over = await renderPng(svgOf(side + 1, side));
    expect(over.png).toBeUndefined();
    expect("reason" in over && over.reason).toMatch(/too big for a PNG/);
    const at = await renderPng(svgOf(side, side));
    expect(at.png).toBeDefined();
  });
});
