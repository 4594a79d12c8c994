import { createHash } from "node:crypto";
import { VegaLiteSpec } from "./render";

/**
 * Text alternatives for charts (WCAG 2.1 §1.1.1 "Non-text Content"): what a screen
 * reader says instead of the picture, and what a front end without SVG prints. All
 * of it comes from the spec itself: its title, its `description`, and a summary
 * computed from its data (the range of each series, or the rows of a small table).
 */

/** A chart's text alternative: its name, what it shows, and what its data says. */
export interface ChartText {
  /** The accessible name: the chart's title (or its description when it has none). */
  name: string;
  /** The spec's `description`: what the chart shows. */
  description: string;
  /** What the data shows: each series' range and extremes, or the rows of a small table. */
  summary: string;
}

/** Series named one by one in a summary; the rest are counted. */
export const MAX_SUMMARY_SERIES = 8;
/** A chart with no measured axis lists its rows, up to this many. */
export const MAX_SUMMARY_ROWS = 12;

type Row = Record<string, unknown>;
type Channel = { field?: string; type?: string; title?: unknown; aggregate?: unknown; bin?: unknown };
interface View {
  rows: Row[];
  encoding: Record<string, Channel>;
  mark: string;
}

const markType = (mark: unknown) => (typeof mark === "string" ? mark : ((mark as { type?: string } | undefined)?.type ?? ""));

/** Every drawn layer of a spec with the data and encoding it inherits. */
function views(spec: VegaLiteSpec, rows: Row[] = [], encoding: Record<string, Channel> = {}): View[] {
  const values = (spec.data as { values?: Row[] } | undefined)?.values;
  const own = Array.isArray(values) ? values : rows;
  const enc = { ...encoding, ...((spec.encoding as Record<string, Channel> | undefined) ?? {}) };
  if (Array.isArray(spec.layer)) return (spec.layer as VegaLiteSpec[]).flatMap((l) => views(l, own, enc));
  return [{ rows: filtered(own, spec.transform), encoding: enc, mark: markType(spec.mark) }];
}

/** Applies the one transform the pack's specs use on a layer: a filter on a boolean field (`datum.x` or `!datum.x`). */
function filtered(rows: Row[], transform: unknown): Row[] {
  let out = rows;
  for (const t of Array.isArray(transform) ? transform : []) {
    const m = /^(!?)datum\.(\w+)$/.exec(String((t as { filter?: unknown }).filter ?? ""));
    if (m) out = out.filter((r) => Boolean(r[m[2]]) !== (m[1] === "!"));
  }
  return out;
}

/** A channel's axis or legend title, as a summary says it: without the "(log scale)" the picture needs. */
const titleOf = (c: Channel) =>
  (typeof c.title === "string" && c.title ? c.title : (c.field ?? "")).replace(/\s*\(log scale\)/g, "").replace(/,\s*log scale\)/g, ")");

/**
 * A number as a person reads it: three significant figures, tiny ones in exponent form.
 *
 * @example chartNumber(1234567) // "1,230,000"; chartNumber(1e-12) // "1.0e-12"
 */
export function chartNumber(n: number): string {
  if (n !== 0 && Math.abs(n) < 1e-3) return n.toExponential(1);
  return Number(n.toPrecision(3)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}
const formatValue = (v: unknown) => (typeof v === "number" ? chartNumber(v) : String(v));

/** One series of one view: its range on the measured axis, with where the extremes are. */
function seriesRange(rows: Row[], x: Channel | undefined, y: Channel): string {
  const ys = rows.filter((r) => typeof r[y.field!] === "number");
  if (!ys.length) return "no data";
  const low = ys.reduce((a, b) => ((b[y.field!] as number) < (a[y.field!] as number) ? b : a));
  const high = ys.reduce((a, b) => ((b[y.field!] as number) > (a[y.field!] as number) ? b : a));
  const at = (r: Row) => (x?.field !== undefined && r[x.field] !== undefined ? ` at ${titleOf(x)} ${formatValue(r[x.field])}` : "");
  if (ys.length === 1) return `${formatValue(low[y.field!])}${at(low)}`;
  // A few categories (bars): every value, in order.
  if (x?.field && x.type !== "quantitative" && ys.length <= MAX_SUMMARY_ROWS) return ys.map((r) => `${formatValue(r[x.field!])} = ${formatValue(r[y.field!])}`).join(", ");
  const first = ys[0];
  const last = ys[ys.length - 1];
  const flat = low[y.field!] === high[y.field!];
  const span = flat ? `${formatValue(low[y.field!])} throughout` : `lowest ${formatValue(low[y.field!])}${at(low)}, highest ${formatValue(high[y.field!])}${at(high)}`;
  const ends = x?.type === "quantitative" && ys.length > 2 && !flat ? `; from ${formatValue(first[y.field!])}${at(first)} to ${formatValue(last[y.field!])}${at(last)}` : "";
  return `${ys.length} points, ${span}${ends}`;
}

/** The summary of one view, or "" when it draws no data worth reading (labels, rules). */
function summarizeView(v: View): string {
  if (!v.rows.length || v.mark === "text" || v.mark === "rule") return "";
  const e = v.encoding;
  const measured = (["y", "x", "color"] as const).find((c) => e[c]?.field && e[c].type === "quantitative" && !e[c].bin);
  const series = (["color", "strokeDash", "shape", "xOffset"] as const).map((c) => e[c]).find((c) => c?.field && c.type !== "quantitative");
  if (!measured) {
    // Nothing measured (a diagram of labelled boxes): list the rows.
    const channels = [e.text, e.y, e.x, e.color, ...((Array.isArray(e.tooltip) ? e.tooltip : []) as Channel[])]
      .filter((c, i, all): c is Channel => !!c?.field && all.findIndex((d) => d?.field === c.field) === i && v.rows.some((r) => r[c.field!] !== undefined));
    const named = channels.filter((c) => v.rows.some((r) => typeof r[c.field!] === "string"));
    // Words speak for themselves ("secure", "com DNSKEY"); a bare number needs its axis title.
    const cell = (r: Row) => [...new Set(named.length ? named.map((c) => formatValue(r[c.field!]).trim()) : channels.map((c) => `${titleOf(c)} ${formatValue(r[c.field!])}`))].join(", ");
    const shown = v.rows.slice(0, MAX_SUMMARY_ROWS).map(cell);
    return `${v.rows.length} item${v.rows.length === 1 ? "" : "s"}: ${shown.join("; ")}${v.rows.length > shown.length ? `; and ${v.rows.length - shown.length} more` : ""}.`;
  }
  const y = e[measured];
  const x = measured === "color" ? e.x : measured === "y" ? e.x : e.y;
  const groups = new Map<string, Row[]>();
  for (const r of v.rows) {
    const key = series?.field ? String(r[series.field]) : "";
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const named = [...groups].slice(0, MAX_SUMMARY_SERIES).map(([k, rows]) => `${k ? `${k}: ` : ""}${seriesRange(rows, x, y)}`);
  const more = groups.size > named.length ? `; and ${groups.size - named.length} more series` : "";
  return `${titleOf(y)}${series?.field ? `, by ${titleOf(series) || series.field}` : ""}: ${named.join("; ")}${more}.`;
}

/**
 * The title of a spec (a string, or `{ text }`), or "" when it has none.
 *
 * @example chartTitle({ title: { text: "RTT", subtitle: "ms" } }) // "RTT"
 */
export function chartTitle(spec: VegaLiteSpec): string {
  const t = spec.title as string | { text?: unknown } | undefined;
  const text = typeof t === "string" ? t : t?.text;
  return Array.isArray(text) ? text.join(" ") : typeof text === "string" ? text : "";
}

/**
 * The text alternative of a chart, from its spec: name, description and data summary.
 *
 * @example chartText(lineChart(rows, { x: "n", y: "t", title: "Time vs N" })).summary
 */
export function chartText(spec: VegaLiteSpec): ChartText {
  const title = chartTitle(spec);
  const description = typeof spec.description === "string" ? spec.description : "";
  // A drawing whose data is not a measurement (a sequence diagram) says what it shows in usermeta.summary.
  const given = (spec.usermeta as { summary?: unknown } | undefined)?.summary;
  const parts = typeof given === "string" ? [given] : [...new Set(views(spec).map(summarizeView).filter(Boolean))];
  return { name: title || description || "chart", description, summary: parts.join(" ") };
}

/**
 * The text a front end with no pictures shows (text/plain): name, description and summary.
 *
 * @example chartPlainText(chartText(spec)) // "[chart: Time vs N]\nA line chart of …\nt: 3 points, …"
 */
export function chartPlainText(text: ChartText): string {
  return [`[chart: ${text.name}]`, text.description, text.summary].filter(Boolean).join("\n");
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
let drawn = 0;

/**
 * Gives an SVG picture its text alternative: `role="img"`, a `<title>` as its name
 * and a `<desc>` as its description, referenced by `aria-labelledby` and
 * `aria-describedby` (ids unique on a page that shows many charts). Any ARIA roles
 * Vega put on the root are replaced: the picture is one image to assistive technology.
 *
 * @example accessibleSvg(svg, chartText(spec))
 */
export function accessibleSvg(svg: string, text: ChartText): string {
  const id = `chart-${createHash("sha1").update(`${++drawn}\n${text.name}\n${text.summary}`).digest("hex").slice(0, 10)}`;
  const desc = [text.description, text.summary].filter(Boolean).join(" ");
  return svg.replace(/<svg\b([^>]*)>/, (_m, attrs: string) => {
    const kept = attrs.replace(/\s(role|aria-[\w-]+)="[^"]*"/g, "");
    return `<svg${kept} role="img" aria-labelledby="${id}-title"${desc ? ` aria-describedby="${id}-desc"` : ""}>` +
      `<title id="${id}-title">${escapeXml(text.name)}</title>${desc ? `<desc id="${id}-desc">${escapeXml(desc)}</desc>` : ""}`;
  });
}
