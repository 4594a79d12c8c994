import { displayBundle, inKernel } from "../lab/kernel";
import { VegaLiteSpec, renderSvg } from "./render";
import { renderPng } from "./png";

/** The Vega-Lite MIME type JupyterLab, VS Code and nteract render natively. */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";

/**
 * Shows a chart in the notebook. The SVG and a PNG are rendered here, in the
 * kernel: the SVG appears in classic Notebook, JupyterLab, VS Code, GitHub and the
 * lesson pages; the PNG where SVG is not trusted (a notebook opened with outputs it
 * did not make itself). The Vega-Lite spec rides along as a JSON object for front
 * ends, and lesson pages, that draw it interactively. A chart too big for a PNG
 * keeps its SVG and says so in its caption. Outside a kernel it renders the SVG
 * (so a bad spec still throws) and shows nothing; use renderSvg() to get the SVG.
 *
 * With `live: "some-id"`, later calls with the same id redraw the chart in place
 * (download curves that grow as the download runs).
 *
 * @example await show(lineChart(rows, { x: "seq", y: "rttMs", title: "RTT per ping" }));
 */
export async function show(spec: VegaLiteSpec, options: { live?: string } = {}): Promise<void> {
  const svg = await renderSvg(spec);
  if (!inKernel()) return;
  const png = await renderPng(svg);
  const title = typeof spec.title === "string" ? spec.title : (spec.title as { text?: string } | undefined)?.text;
  // A live chart: the first call with an id shows it, later calls redraw it in place.
  const update = options.live !== undefined && shownLive.has(options.live);
  if (options.live !== undefined) shownLive.add(options.live);
  displayBundle(
    {
      "image/svg+xml": svg,
      ...(png.png ? { "image/png": png.png.toString("base64") } : {}),
      [VEGALITE_MIME]: spec,
      "text/plain": `[chart${title ? `: ${title}` : ""}${png.png ? "" : ` (${png.reason}; the SVG shows it)`}]`,
    },
    { displayId: options.live, update, metadata: png.png ? { "image/png": { width: png.width, height: png.height } } : {} },
  );
}

const shownLive = new Set<string>();

/**
 * Shows a whole web page (a server's HTML) in the notebook, boxed in an iframe so
 * its styles cannot touch the notebook's. Outside a kernel it shows nothing.
 *
 * @example showHtml(await (await fetch(url)).text(), { height: 320 });
 */
export function showHtml(html: string, options: { height?: number } = {}): void {
  const srcdoc = html.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  displayBundle({
    "text/html": `<iframe sandbox srcdoc="${srcdoc}" style="width:100%;height:${options.height ?? 360}px;border:1px solid #ccc;border-radius:4px"></iframe>`,
    "text/plain": html.replace(/<style>[\s\S]*?<\/style>/g, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim(),
  });
}
