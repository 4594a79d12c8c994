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
  return levelColours(lineChart(hourly, {
    x: "hour", y: "queries", color: "level", title: "Upstream queries per hour over a simulated day",
    subtitle: "the clients' daily rhythm reaches the authoritative servers; the root barely notices",
    xTitle: "hour of the day", yTitle: "queries per hour", yScale: "log",
  }));
}

/** Load at each level (and the cache hit ratio) as the hosts' TTL grows. */
export function ttlSweepChart(rows: Array<{ ttl: number; level: string; queries: number }>, clientQueries: number): VegaLiteSpec {
  return levelColours(lineChart(rows.map((r) => ({ ...r, queries: Math.max(r.queries, 1) })), {
    x: "ttl", y: "queries", color: "level", title: "Longer TTLs, fewer queries upstream",
    subtitle: `${clientQueries.toLocaleString("en-US")} client queries per point; the hosts' TTL varies, delegations keep 2 days`,
    xTitle: "TTL of host records (s, log scale)", yTitle: "queries received (log scale)", xScale: "log", yScale: "log",
  }));
}

/** Levels in hierarchy order, in the same colours on every chart. */
function levelColours(spec: VegaLiteSpec): VegaLiteSpec {
  const enc = spec.encoding as Record<string, Record<string, unknown>>;
  enc.color.scale = { domain: ["root", "TLD", "authoritative"], range: ["#e45756", "#f58518", "#4c78a8"] };
  enc.x.scale = { ...(enc.x.scale as object), nice: false };
  return spec;
}

/**
 * A timeline of what a client was told, against what is true: two lanes of
 * intervals coloured by address, so the stale window after an UPDATE shows as a
 * stretch where the lanes disagree.
 */
export function stalenessChart(rows: Array<{ t: number; answer: string; truth: string }>, ttl: number): VegaLiteSpec {
  const step = rows.length > 1 ? rows[1].t - rows[0].t : 1;
  const data = rows.flatMap((r) => [
    { t: r.t, t2: r.t + step, lane: "local DNS server (cache)", address: r.answer },
    { t: r.t, t2: r.t + step, lane: "authoritative server", address: r.truth },
  ]);
  return {
    $schema: VEGALITE_SCHEMA,
    title: { text: "A stale cache entry after an UPDATE", subtitle: `the old address is served until the cached copy's TTL (${ttl} s) runs out` },
    width: 520,
    height: 90,
    config: CHART_CONFIG,
    data: { values: data },
    mark: { type: "rect", stroke: "white", strokeWidth: 1 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds since the UPDATE" },
      x2: { field: "t2" },
      y: { field: "lane", type: "nominal", title: null, sort: ["authoritative server", "local DNS server (cache)"] },
      color: { field: "address", type: "nominal", title: "address", scale: { range: ["#e45756", "#54a24b"] }, legend: { orient: "right" } },
      tooltip: [{ field: "t" }, { field: "lane" }, { field: "address" }],
    },
  };
}
