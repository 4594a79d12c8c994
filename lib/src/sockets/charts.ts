import { VegaLiteSpec } from "../charts/render";
import { CHART_CONFIG, SERIES_COLOURS, VEGALITE_SCHEMA, layer, scatterChart } from "../charts/specs";
import { PingReport } from "./pinger";
import { ReadReport } from "./stream";

/**
 * RTT of each ping as a bar, with lost pings marked by a red cross on the axis,
 * so a glance shows both the delay and where the gaps are.
 *
 * @example await show(rttChart(report));
 */
export function rttChart(report: PingReport, title = "Round-trip time of each ping"): VegaLiteSpec {
  const rows = report.pings.map((p) => ({ seq: p.seq, rttMs: p.rttMs ?? 0, lost: p.rttMs === undefined }));
  const x = { field: "seq", type: "ordinal", title: "ping sequence number", axis: { labelAngle: 0 } };
  return {
    $schema: VEGALITE_SCHEMA,
    description: `A bar per ping: its round-trip time in milliseconds, by sequence number; a cross on the axis marks each ping that got no reply (${report.sent - report.received} of ${report.sent}).`,
    title: { text: title, subtitle: `${report.received}/${report.sent} replies, ${(report.loss * 100).toFixed(0)}% lost` },
    width: 520,
    height: 240,
    config: CHART_CONFIG,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "!datum.lost" }],
        mark: { type: "bar", color: "#4c78a8", cornerRadiusEnd: 2 },
        encoding: { x, y: { field: "rttMs", type: "quantitative", title: "RTT (ms)" }, tooltip: [{ field: "seq" }, { field: "rttMs", format: ".3f" }] },
      },
      {
        transform: [{ filter: "datum.lost" }],
        mark: { type: "point", shape: "cross", color: "#e45756", size: 120, filled: true },
        encoding: { x, y: { datum: 0, type: "quantitative" } },
      },
    ],
  };
}

/**
 * Measured loss against the loss the relay was configured with. Two reference
 * curves: measured = configured (dashed) and the round-trip model 1 − (1 − p)²,
 * since a ping survives only if the relay keeps both the request and the reply.
 */
export function lossChart(rows: Array<{ configured: number; measured: number }>): VegaLiteSpec {
  const model = Array.from({ length: 21 }, (_, i) => i / 20).flatMap((p) => [
    { configured: p, measured: p, curve: "one way: p" },
    { configured: p, measured: 1 - (1 - p) ** 2, curve: "round trip: 1 − (1 − p)²" },
  ]);
  const curves: VegaLiteSpec = {
    data: { values: model },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "configured", type: "quantitative" },
      y: { field: "measured", type: "quantitative" },
      // Bottom right: the one corner no curve or dot reaches (top left hid the dot of a high loss).
      color: { field: "curve", type: "nominal", title: null, scale: { range: ["#999", "#f58518"] }, legend: { orient: "bottom-right", fillColor: "white", labelLimit: 300 } },
      strokeDash: { field: "curve", type: "nominal", title: null, scale: { range: [[4, 4], [1, 0]] } },
    },
  };
  const points = scatterChart(rows, {
    x: "configured",
    y: "measured",
    title: "Measured loss vs configured loss",
    subtitle: "dots: the pinger's measurements",
    description: "Dots: the loss the pinger measured against the loss configured on the relay in each direction. A dashed line is measured = configured (one way); a solid line is the round-trip model 1 − (1 − p)², which the dots should follow.",
    xTitle: "loss configured on the relay (each direction)",
    yTitle: "loss measured by the pinger",
  });
  return layer(points, curves);
}

/**
 * How many datagrams in `arrived` (numbers in the order a receiver got them) came in
 * after one with a higher number: each was overtaken by a datagram sent after it.
 *
 * @example overtaken([1, 3, 2, 4]) // 1: datagram 2 came after 3
 */
export function overtaken(arrived: number[]): number {
  let highest = -Infinity;
  let late = 0;
  for (const n of arrived) {
    if (n < highest) late++;
    highest = Math.max(highest, n);
  }
  return late;
}

const KINDS = ["never overtaken", "overtaken by a later datagram"];

/**
 * Datagrams in the order they arrived: a dot per datagram, its number (the order it
 * was sent in) against its place in the arrival order. In order, the dots sit on the
 * dashed diagonal; a datagram overtaken by a later one is a cross below it, so the
 * two kinds differ in shape as well as colour.
 *
 * @example await show(arrivalOrderChart([1, 3, 2, 4], "Four datagrams through a jittery relay"));
 */
export function arrivalOrderChart(arrived: number[], title = "The order datagrams arrived in"): VegaLiteSpec {
  let highest = -Infinity;
  const rows = arrived.map((sent, i) => {
    const late = sent < highest;
    highest = Math.max(highest, sent);
    return { arrival: i + 1, sent, kind: late ? KINDS[1] : KINDS[0] };
  });
  const late = overtaken(arrived);
  const points = scatterChart(rows, {
    x: "arrival",
    y: "sent",
    color: "kind",
    title,
    subtitle: `${late} of ${arrived.length} arrived after a datagram sent later`,
    description: `A dot per datagram: the number it was sent with against its place in the order of arrival. A dashed diagonal marks arriving in order; ${late} of ${arrived.length} datagrams, drawn as crosses, arrived after one sent later.`,
    xTitle: "place in the order of arrival",
    yTitle: "datagram number (order sent)",
    width: 420,
    height: 300,
  });
  // Above the plot, where it can hide no datagram.
  const legend = { orient: "top", labelLimit: 300 };
  (points.encoding as Record<string, unknown>).shape = { field: "kind", type: "nominal", title: null, scale: { domain: KINDS, range: ["circle", "cross"] } };
  (points.encoding as Record<string, unknown>).color = { field: "kind", type: "nominal", title: null, scale: { domain: KINDS, range: [SERIES_COLOURS[0], SERIES_COLOURS[1]] }, legend };
  const n = Math.max(1, arrived.length);
  // A rule, not a line: it is a reference, not data (the chart's text alternative leaves it out).
  const diagonal: VegaLiteSpec = {
    data: { values: [{ from: 1, to: n }] },
    mark: { type: "rule", strokeDash: [4, 4], color: "#999", strokeWidth: 1 },
    encoding: { x: { field: "from", type: "quantitative" }, y: { field: "from", type: "quantitative" }, x2: { field: "to" }, y2: { field: "to" } },
  };
  return layer(points, diagonal);
}

/**
 * The size of each read the receiver got, in order: how TCP cut one stream. A dashed
 * line marks the largest read.
 *
 * @example await show(readSizesChart(await measureReads([Buffer.alloc(1 << 20)])));
 */
export function readSizesChart(report: ReadReport, title = "The size of each read"): VegaLiteSpec {
  const rows = report.chunks.map((c, i) => ({ read: i + 1, bytes: c.length }));
  const largest = Math.max(0, ...rows.map((r) => r.bytes));
  const bars: VegaLiteSpec = {
    $schema: VEGALITE_SCHEMA,
    description: `A bar per read, in the order the receiver got them: ${report.writes} write${report.writes === 1 ? "" : "s"} of ${report.bytes} bytes in all arrived as ${report.reads} reads, the largest ${largest} bytes.`,
    title: { text: title, subtitle: `${report.writes} write${report.writes === 1 ? "" : "s"}, ${report.reads} reads; the largest read (dashed) is ${largest.toLocaleString("en-US")} bytes` },
    width: 520,
    height: 240,
    config: CHART_CONFIG,
    data: { values: rows },
    mark: { type: "bar", color: SERIES_COLOURS[0] },
    encoding: {
      x: { field: "read", type: "ordinal", title: "read, in order", axis: { labelAngle: 0, labelOverlap: true } },
      y: { field: "bytes", type: "quantitative", title: "bytes in the read" },
      tooltip: [{ field: "read" }, { field: "bytes", format: "," }],
    },
  };
  const rule: VegaLiteSpec = { data: { values: [{ bytes: largest }] }, mark: { type: "rule", strokeDash: [6, 4], color: "#333" }, encoding: { y: { field: "bytes", type: "quantitative" } } };
  return layer(bars, rule);
}
