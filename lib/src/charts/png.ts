import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The largest PNG a chart is rendered to, in pixels (width × height at
 * {@link PNG_SCALE}). A 300-piece heat map at 2× is about 3 Mpx; past this limit
 * the PNG would cost seconds and megabytes per chart, so the chart keeps its SVG only.
 */
export const MAX_PNG_PIXELS = 16_000_000;
/** PNGs are drawn at twice the SVG's size (sharp on high-DPI screens) and shown at its size. */
export const PNG_SCALE = 2;

/** Debian's fonts-dejavu-core: charts ask for Helvetica or Arial, which are not installed. */
const DEJAVU = "/usr/share/fonts/truetype/dejavu";
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf"].map((f) => join(DEJAVU, f));

/** A chart as a PNG, or the reason there is none. */
export type PngRendering = { png: Buffer; width: number; height: number } | { png?: undefined; width: number; height: number; reason: string };

/** The size an SVG asks for, from its root element's width and height attributes. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const attr = (name: string) => Number(new RegExp(`\\s${name}="([\\d.]+)`).exec(root)?.[1] ?? NaN);
  return { width: attr("width"), height: attr("height") };
}

/**
 * Renders an SVG chart to PNG with resvg, with real fonts (DejaVu Sans stands in
 * for every sans-serif face, DejaVu Sans Mono for monospace), on a white
 * background. A chart over {@link MAX_PNG_PIXELS} gets no PNG, and the reason.
 * The PNG is what an untrusted notebook shows: classic Notebook hides SVG there.
 *
 * @example const { png } = await renderPng(await renderSvg(spec));
 */
export async function renderPng(svg: string): Promise<PngRendering> {
  const { width, height } = svgSize(svg);
  const pixels = width * height * PNG_SCALE * PNG_SCALE;
  if (!(pixels > 0)) return { width, height, reason: "the SVG has no size" };
  if (pixels > MAX_PNG_PIXELS) {
    return { width, height, reason: `too big for a PNG (${Math.round(width)}×${Math.round(height)} px at ${PNG_SCALE}×, over ${MAX_PNG_PIXELS.toLocaleString("en-US")} pixels)` };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { renderAsync } = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
  const dejavu = existsSync(FONT_FILES[0]);
  const image = await renderAsync(svg, {
    fitTo: { mode: "zoom", value: PNG_SCALE },
    background: "white",
    font: dejavu
      ? { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans", monospaceFamily: "DejaVu Sans Mono" }
      : { loadSystemFonts: true },
  });
  return { png: image.asPng(), width, height };
}
