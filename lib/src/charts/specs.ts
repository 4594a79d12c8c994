import { VegaLiteSpec } from "./render";

/**
 * Pure functions from rows of data to Vega-Lite specs. They render nothing: show()
 * does that. Being plain data in, plain JSON out, they are tested like any function.
 */

/**
 * Series colours: Okabe & Ito's palette, told apart by people with any kind of
 * colour blindness, ordered so the first four stand out 3:1 from the white
 * background (WCAG 2.1 §1.4.11). The yellow is left out (1.3:1 on white).
 */
export const SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#666666"];
/**
 * Dash patterns, one per series, so lines differ by more than colour (WCAG 2.1
 * §1.4.1 "Use of Color"): solid, dashed, dotted, dash-dot, and so on.
 */
export const SERIES_DASHES = [[1, 0], [7, 3], [2, 2], [8, 3, 2, 3], [3, 5], [12, 3], [1, 4], [6, 2, 2, 2, 2, 2]];
/** Point shapes, one per series, for the same reason. */
export const SERIES_SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "triangle-left", "triangle-right"];

/** Shared look of every chart in the pack: readable fonts, no chart junk. */
export const CHART_CONFIG = {
  font: "Helvetica, Arial, sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 12, titleFontSize: 13, gridColor: "#eee", domainColor: "#888" },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: "top" },
  title: { fontSize: 15, anchor: "start", subtitleColor: "#666" },
  // Okabe & Ito's colour-blind-safe palette; the first four reach 3:1 against white (WCAG 2.1 §1.4.11).
  range: { category: SERIES_COLOURS },
} as const;

/** The Vega-Lite schema the specs declare (the MIME type front ends know is v5). */
export const VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export interface XYOptions {
  x: string;
  y: string;
  /** A field whose values become coloured series (and the legend). */
  color?: string;
  title?: string;
  subtitle?: string;
  /** Axis titles; default the field name, null for none. */
  xTitle?: string | null;
  yTitle?: string | null;
  /** "log" for quantities spanning orders of magnitude. */
  xScale?: "linear" | "log";
  yScale?: "linear" | "log";
  width?: number;
  height?: number;
  /** What the chart shows, in a sentence: its text alternative (with a summary of the data). */
  description?: string;
  /** Line charts: a point at each row (default true); series then differ by shape as well as dash. */
  points?: boolean;
}

type Row = Record<string, unknown>;

/** A description for a chart whose builder gave none: what is plotted against what, per what. */
function defaultDescription(kind: string, o: XYOptions): string {
  const name = (title: string | null | undefined, field: string) => (title === undefined || title === null ? field : title);
  const per = o.color ? `, one ${kind === "bar chart" ? "bar" : kind === "line chart" ? "line" : "symbol"} per ${o.color}` : "";
  return `A ${kind} of ${name(o.yTitle, o.y)} against ${name(o.xTitle, o.x)}${per}.${o.subtitle ? ` ${o.subtitle}.` : ""}`.replace(/\.\.$/, ".");
}

function frame(rows: Row[], o: XYOptions, kind: string): VegaLiteSpec {
  return {
    $schema: VEGALITE_SCHEMA,
    description: o.description ?? defaultDescription(kind, o),
    title: o.title ? { text: o.title, subtitle: o.subtitle ?? "" } : undefined,
    width: o.width ?? 520,
    height: o.height ?? 260,
    config: CHART_CONFIG,
    data: { values: rows },
  };
}

function axes(o: XYOptions, xType = "quantitative") {
  return {
    x: { field: o.x, type: xType, title: o.xTitle === undefined ? o.x : o.xTitle, scale: o.xScale === "log" ? { type: "log" } : {} },
    y: { field: o.y, type: "quantitative", title: o.yTitle === undefined ? o.y : o.yTitle, scale: o.yScale === "log" ? { type: "log" } : { zero: true } },
    ...(o.color ? { color: { field: o.color, type: "nominal", title: null, scale: { range: SERIES_COLOURS } } } : {}),
    tooltip: [o.x, o.y, ...(o.color ? [o.color] : [])].map((f) => ({ field: f })),
  };
}

/**
 * Lines with points, one per series when `color` is given.
 *
 * @example lineChart([{ n: 1, t: 2 }, { n: 2, t: 3 }], { x: "n", y: "t", title: "Time vs N" })
 */
export function lineChart(rows: Row[], o: XYOptions): VegaLiteSpec {
  const points = o.points ?? true;
  return {
    ...frame(rows, o, "line chart"),
    mark: { type: "line", point: points, strokeWidth: 2 },
    encoding: { ...axes(o), ...(o.color ? { strokeDash: seriesChannel(o.color, SERIES_DASHES), ...(points ? { shape: seriesChannel(o.color, SERIES_SHAPES) } : {}) } : {}) },
  };
}

/** A channel that tells the series of `field` apart by more than colour; it shares the colour's legend (same field, no title). */
function seriesChannel(field: string, range: unknown[]) {
  return { field, type: "nominal", title: null, scale: { range } };
}

/** Points only: measurements that should not be joined by lines. */
export function scatterChart(rows: Row[], o: XYOptions): VegaLiteSpec {
  return {
    ...frame(rows, o, "scatter plot"),
    mark: { type: "point", filled: true, size: 60 },
    encoding: { ...axes(o), ...(o.color ? { shape: seriesChannel(o.color, SERIES_SHAPES) } : {}) },
  };
}

/** Bars over a nominal (category) x axis, grouped by `color` when given. */
export function barChart(rows: Row[], o: XYOptions): VegaLiteSpec {
  const enc = axes(o, "nominal") as Record<string, unknown>;
  // Grouped side by side, never stacked: a stack starts at zero, which a log scale cannot show.
  enc.y = { ...(enc.y as object), stack: null };
  if (o.color) {
    enc.xOffset = { field: o.color };
    // Each series' bars outlined in its own dash (solid, dashed, dotted…): told apart by more than their fill.
    enc.strokeDash = seriesChannel(o.color, SERIES_DASHES);
  }
  return {
    ...frame(rows, o, "bar chart"),
    mark: { type: "bar", cornerRadiusEnd: 2, ...(o.color ? { stroke: "#222", strokeWidth: 1.5 } : {}) },
    encoding: { ...enc, x: { field: o.x, type: "nominal", title: o.xTitle === undefined ? o.x : o.xTitle, sort: null, axis: { labelAngle: 0 } } },
  };
}

/** Several specs drawn on the same axes (for example measured points over a model line). */
export function layer(first: VegaLiteSpec, ...rest: VegaLiteSpec[]): VegaLiteSpec {
  const strip = ({ $schema: _s, config: _c, title: _t, width: _w, height: _h, description: _d, ...inner }: VegaLiteSpec) => inner;
  return {
    $schema: VEGALITE_SCHEMA,
    description: first.description,
    title: first.title,
    width: first.width,
    height: first.height,
    config: CHART_CONFIG,
    layer: [first, ...rest].map(strip),
  };
}

/**
 * A heat map: one coloured cell per (x, y) pair, the colour showing `value`.
 * `x` is quantitative (time) and binned into cells of `xStep`; `y` is ordinal.
 *
 * @example heatmapChart(rows, { x: "t", y: "pieces", value: "copies", xStep: 5, title: "Copies of each piece" })
 */
export function heatmapChart(rows: Row[], o: { x: string; y: string; value: string; xStep: number; title?: string; subtitle?: string; xTitle?: string; yTitle?: string; valueTitle?: string; width?: number; height?: number; description?: string }): VegaLiteSpec {
  const description = o.description ?? `A heat map of ${o.valueTitle ?? o.value} for each ${o.yTitle ?? o.y} over ${o.xTitle ?? o.x}: the darker the cell, the lower the value.`;
  return {
    ...frame(rows, { x: o.x, y: o.y, title: o.title, subtitle: o.subtitle, width: o.width, height: o.height, description }, "heat map"),
    mark: { type: "rect" },
    encoding: {
      x: { field: o.x, type: "quantitative", bin: { step: o.xStep }, title: o.xTitle ?? o.x },
      y: { field: o.y, type: "ordinal", sort: null, title: o.yTitle ?? o.y, axis: { labelOverlap: true } },
      color: { field: o.value, type: "quantitative", title: o.valueTitle ?? o.value, scale: { scheme: "viridis" } },
      tooltip: [{ field: o.x }, { field: o.y }, { field: o.value, format: ".1f" }],
    },
  };
}
