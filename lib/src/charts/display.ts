import { displayBundle, inKernel } from "../lab/kernel";
import { VegaLiteSpec, renderSvg } from "./render";
import { renderPng } from "./png";
import { chartPlainText, chartText } from "./describe";

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
  // A live chart: the first call with an id shows it, later calls redraw it in place.
  const update = options.live !== undefined && shownLive.has(options.live);
  if (options.live !== undefined) shownLive.add(options.live);
  displayBundle(
    {
      "image/svg+xml": svg,
      ...(png.png ? { "image/png": png.png.toString("base64") } : {}),
      [VEGALITE_MIME]: spec,
      // What a front end without pictures prints: the same text alternative the SVG carries.
      "text/plain": `${chartPlainText(chartText(spec))}${png.png ? "" : `\n(${png.reason}; the SVG shows it)`}`,
    },
    { displayId: options.live, update, metadata: png.png ? { "image/png": { width: png.width, height: png.height } } : {} },
  );
}

const shownLive = new Set<string>();

/**
 * Shows a whole web page (a server's HTML) in the notebook, boxed in an iframe so
 * its styles cannot touch the notebook's. Outside a kernel it shows nothing.
 * The iframe is named by `title`, or by the page's own <title> (see {@link htmlFrame}).
 *
 * @example showHtml(await (await fetch(url)).text(), { height: 320, title: "Bob's inbox" });
 */
export function showHtml(html: string, options: { height?: number; title?: string } = {}): void {
  displayBundle({
    "text/html": htmlFrame(html, options),
    "text/plain": html.replace(/<style>[\s\S]*?<\/style>/g, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim(),
  });
}

/**
 * The sandboxed iframe showHtml displays. It has a name, as every frame needs
 * (WCAG 2.1 §4.1.2): `title` if given, else the page's own <title> (already
 * HTML-escaped there), else "web page".
 *
 * @example htmlFrame("<title>Inbox</title><p>hi</p>") // <iframe sandbox title="Inbox" …>
 */
export function htmlFrame(html: string, options: { height?: number; title?: string } = {}): string {
  const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  const own = /<title>([^<]*)<\/title>/i.exec(html)?.[1].trim().replace(/"/g, "&quot;");
  const title = options.title !== undefined ? attr(options.title) : own || "web page";
  return `<iframe sandbox title="${title}" srcdoc="${attr(html)}" style="width:100%;height:${options.height ?? 360}px;border:1px solid #ccc;border-radius:4px"></iframe>`;
}
