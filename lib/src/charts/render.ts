import { AppLayerError } from "../errors";
import { accessibleSvg, chartText } from "./describe";

/** A Vega-Lite specification (a plain JSON object). */
export type VegaLiteSpec = Record<string, unknown>;

// vega and vega-lite 6 are ESM-only with top-level await: require() fails on
// Node 20, so they are loaded with a real dynamic import (kept by module "node16").
type VegaModule = typeof import("vega", { with: { "resolution-mode": "import" } });
type VegaLiteModule = typeof import("vega-lite", { with: { "resolution-mode": "import" } });
let modules: Promise<[VegaModule, VegaLiteModule]> | undefined;
function load(): Promise<[VegaModule, VegaLiteModule]> {
  return (modules ??= Promise.all([import("vega"), import("vega-lite")]));
}

/**
 * Renders a Vega-Lite spec to an SVG string, inside Node: no browser, no front-end
 * extension. The SVG carries its text alternative (role="img", a title, and a
 * description: the spec's own and a summary of its data; see chartText).
 * Throws `CHART_RENDER` with Vega's own explanation for a bad spec.
 *
 * @example const svg = await renderSvg(lineChart(points, { x: "n", y: "seconds" }));
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await load();
  try {
    const compiled = vl.compile(spec as never).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: "none" });
    const svg = await view.toSVG();
    view.finalize();
    return accessibleSvg(svg, chartText(spec));
  } catch (e) {
    throw new AppLayerError("CHART_RENDER", `the chart could not be drawn: ${(e as Error).message}`, { spec });
  }
}
