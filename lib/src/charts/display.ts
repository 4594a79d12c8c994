import { displayBundle } from "../lab/kernel";
import { VegaLiteSpec, renderSvg } from "./render";

/** The Vega-Lite MIME type JupyterLab, VS Code and nteract render natively. */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/**
 * Shows a chart in the notebook. The SVG is rendered here, in the kernel, so it
 * appears in classic Notebook, JupyterLab, VS Code, GitHub and the HTML build
 * alike; the Vega-Lite spec rides along as a JSON object for front ends that draw
 * it interactively. Outside a kernel it renders (so a bad spec still throws) and
 * shows nothing; use renderSvg() to get the SVG itself.
 *
 * @example await show(lineChart(rows, { x: "seq", y: "rttMs", title: "RTT per ping" }));
 */
export async function show(spec: VegaLiteSpec): Promise<void> {
  const svg = await renderSvg(spec);
  const title = typeof spec.title === "string" ? spec.title : (spec.title as { text?: string } | undefined)?.text;
  displayBundle({
    "image/svg+xml": svg,
    [VEGALITE_MIME]: spec,
    "text/plain": `[chart${title ? `: ${title}` : ""}]`,
  });
}
