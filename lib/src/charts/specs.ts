import { VegaLiteSpec } from "./render";

/**
 * Pure functions from rows of data to Vega-Lite specs. They render nothing: show()
 * does that. Being plain data in, plain JSON out, they are tested like any function.
 */

/** Shared look of every chart in the pack: readable fonts, no chart junk. */
export const CHART_CONFIG = {
  font: "Helvetica, Arial, sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 12, titleFontSize: 13, gridColor: "#eee", domainColor: "#888" },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: "top" },
  title: { fontSize: 15, anchor: "start", subtitleColor: "#666" },
  range: { category: ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d"] },
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
}

type Row = Record<string, unknown>;

function frame(rows: Row[], o: XYOptions): VegaLiteSpec {
  return {
    $schema: VEGALITE_SCHEMA,
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
    ...(o.color ? { color: { field: o.color, type: "nominal", title: null } } : {}),
    tooltip: [o.x, o.y, ...(o.color ? [o.color] : [])].map((f) => ({ field: f })),
  };
}

/**
 * Lines with points, one per series when `color` is given.
 *
 * @example lineChart([{ n: 1, t: 2 }, { n: 2, t: 3 }], { x: "n", y: "t", title: "Time vs N" })
 */
export function lineChart(rows: Row[], o: XYOptions): VegaLiteSpec {
  return { ...frame(rows, o), mark: { type: "line", point: true, strokeWidth: 2 }, encoding: axes(o) };
}

/** Points only: measurements that should not be joined by lines. */
export function scatterChart(rows: Row[], o: XYOptions): VegaLiteSpec {
  return { ...frame(rows, o), mark: { type: "point", filled: true, size: 60 }, encoding: axes(o) };
}

/** Bars over a nominal (category) x axis, grouped by `color` when given. */
export function barChart(rows: Row[], o: XYOptions): VegaLiteSpec {
  const enc = axes(o, "nominal") as Record<string, unknown>;
  // Grouped side by side, never stacked: a stack starts at zero, which a log scale cannot show.
  enc.y = { ...(enc.y as object), stack: null };
  if (o.color) enc.xOffset = { field: o.color };
  return {
    ...frame(rows, o),
    mark: { type: "bar", cornerRadiusEnd: 2 },
    encoding: { ...enc, x: { field: o.x, type: "nominal", title: o.xTitle === undefined ? o.x : o.xTitle, sort: null, axis: { labelAngle: 0 } } },
  };
}

/** Several specs drawn on the same axes (for example measured points over a model line). */
export function layer(first: VegaLiteSpec, ...rest: VegaLiteSpec[]): VegaLiteSpec {
  const strip = ({ $schema: _s, config: _c, title: _t, width: _w, height: _h, ...inner }: VegaLiteSpec) => inner;
  return {
    $schema: VEGALITE_SCHEMA,
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
export function heatmapChart(rows: Row[], o: { x: string; y: string; value: string; xStep: number; title?: string; subtitle?: string; xTitle?: string; yTitle?: string; valueTitle?: string; width?: number; height?: number }): VegaLiteSpec {
  return {
    ...frame(rows, { x: o.x, y: o.y, title: o.title, subtitle: o.subtitle, width: o.width, height: o.height }),
    mark: { type: "rect" },
    encoding: {
      x: { field: o.x, type: "quantitative", bin: { step: o.xStep }, title: o.xTitle ?? o.x },
      y: { field: o.y, type: "ordinal", sort: null, title: o.yTitle ?? o.y, axis: { labelOverlap: true } },
      color: { field: o.value, type: "quantitative", title: o.valueTitle ?? o.value, scale: { scheme: "viridis" } },
      tooltip: [{ field: o.x }, { field: o.y }, { field: o.value, format: ".1f" }],
    },
  };
}
