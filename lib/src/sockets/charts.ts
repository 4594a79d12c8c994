import { VegaLiteSpec } from "../charts/render";
import { CHART_CONFIG, VEGALITE_SCHEMA, layer, scatterChart } from "../charts/specs";
import { PingReport } from "./pinger";

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
