import { VegaLiteSpec } from "../charts/render";
import { CHART_CONFIG, VEGALITE_SCHEMA, barChart, lineChart } from "../charts/specs";

/** The levels of the hierarchy, in the order the charts show them. */
export const LEVEL_ORDER = ["central server", "root", "TLD", "authoritative"];

/**
 * Queries per level of the hierarchy, one group of bars per scenario, on a log
 * scale: the root's few dozen and a central server's million fit on one chart.
 *
 * @example await show(loadByLevelChart([{ scenario: "with caches", level: "root", queries: 40 }, …]));
 */
export function loadByLevelChart(
  rows: Array<{ scenario: string; level: string; queries: number }>,
  title = "Where the queries land",
  yTitle = "queries received",
): VegaLiteSpec {
  const spec = barChart(rows.map((r) => ({ ...r, queries: Math.max(r.queries, 1) })), {
    x: "level", y: "queries", color: "scenario", title, subtitle: "log scale: each grid line is ten times the one below",
    xTitle: null, yTitle, yScale: "log",
  });
  const enc = spec.encoding as Record<string, Record<string, unknown>>;
  enc.x.sort = LEVEL_ORDER;
  enc.color.legend = { labelLimit: 300 };
  // Side by side when a level has several scenarios; one whole, centred bar when it has one.
  const perLevel = new Map<string, number>();
  for (const r of rows) perLevel.set(r.level, (perLevel.get(r.level) ?? 0) + 1);
  if (Math.max(...perLevel.values()) < 2) delete enc.xOffset;
  enc.y.axis = { values: [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7], format: "," };
  return spec;
}

/** Queries per hour at each level over a simulated day (the diurnal cycle, and who absorbs it). */
export function hourlyLoadChart(hourly: Array<{ hour: number; level: string; queries: number }>): VegaLiteSpec {
  return lineChart(hourly, {
    x: "hour", y: "queries", color: "level", title: "Upstream queries per hour over a simulated day",
    subtitle: "the clients' daily rhythm reaches the authoritative servers; the root barely notices",
    xTitle: "hour of the day", yTitle: "queries per hour", yScale: "log",
  });
}

/** Load at each level (and the cache hit ratio) as the hosts' TTL grows. */
export function ttlSweepChart(rows: Array<{ ttl: number; level: string; queries: number }>): VegaLiteSpec {
  return lineChart(rows.map((r) => ({ ...r, queries: Math.max(r.queries, 1) })), {
    x: "ttl", y: "queries", color: "level", title: "Longer TTLs, fewer queries upstream",
    subtitle: "1,000,000 client queries per point; the hosts' TTL varies, delegations keep 2 days",
    xTitle: "TTL of host records (s, log scale)", yTitle: "queries received (log scale)", xScale: "log", yScale: "log",
  });
}

/**
 * A timeline of what a client was told, against what is true: the cached answer
 * stays stale after an UPDATE until its TTL runs out.
 */
export function stalenessChart(rows: Array<{ t: number; answer: string; truth: string }>, ttl: number): VegaLiteSpec {
  const data = rows.flatMap((r) => [
    { t: r.t, series: "what the local server answers", address: r.answer },
    { t: r.t, series: "what the authoritative server holds", address: r.truth },
  ]);
  return {
    $schema: VEGALITE_SCHEMA,
    title: { text: "A stale cache entry after an UPDATE", subtitle: `the old address is served until its TTL (${ttl} s) runs out` },
    width: 520,
    height: 160,
    config: CHART_CONFIG,
    data: { values: data },
    mark: { type: "line", interpolate: "step-after", point: true, strokeWidth: 2 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds since the UPDATE" },
      y: { field: "address", type: "nominal", title: null, sort: "descending" },
      color: { field: "series", type: "nominal", title: null },
      strokeDash: { field: "series", type: "nominal", title: null, scale: { range: [[1, 0], [5, 4]] } },
    },
  };
}
