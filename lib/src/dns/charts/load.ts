import { VegaLiteSpec } from "../../charts/render";
import { CHART_CONFIG, SERIES_COLOURS, SERIES_DASHES, VEGALITE_SCHEMA, barChart, lineChart } from "../../charts/specs";

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
    description: `Bars of the ${yTitle} at each level of the DNS hierarchy (central server, root, TLD, authoritative), one bar per scenario, on a log scale.`,
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
    description: "One line per level of the hierarchy (root, TLD, authoritative): the queries it received in each hour of a simulated day, on a log scale.",
  }));
}

/** Load at each level (and the cache hit ratio) as the hosts' TTL grows. */
export function ttlSweepChart(rows: Array<{ ttl: number; level: string; queries: number }>, clientQueries: number): VegaLiteSpec {
  return levelColours(lineChart(rows.map((r) => ({ ...r, queries: Math.max(r.queries, 1) })), {
    x: "ttl", y: "queries", color: "level", title: "Longer TTLs, fewer queries upstream",
    subtitle: `${clientQueries.toLocaleString("en-US")} client queries per point; the hosts' TTL varies, delegations keep 2 days`,
    xTitle: "TTL of host records (s, log scale)", yTitle: "queries received (log scale)", xScale: "log", yScale: "log",
    description: "One line per level of the hierarchy: the queries it received as the TTL of host records grows, both axes on log scales.",
  }));
}

/** Levels in hierarchy order, in the same colours and dashes on every chart. */
function levelColours(spec: VegaLiteSpec): VegaLiteSpec {
  const enc = spec.encoding as Record<string, Record<string, unknown>>;
  const domain = ["root", "TLD", "authoritative"];
  enc.color.scale = { domain, range: SERIES_COLOURS.slice(0, domain.length) };
  enc.strokeDash.scale = { domain, range: SERIES_DASHES.slice(0, domain.length) };
  if (enc.shape) enc.shape.scale = { ...(enc.shape.scale as object), domain };
  enc.x.scale = { ...(enc.x.scale as object), nice: false };
  return spec;
}

/** Light fills that black labels stand out on (7:1 and more): Okabe & Ito's sky blue and orange, then the rest. */
const ADDRESS_FILLS = ["#56B4E9", "#E69F00", "#CC79A7", "#009E73"];
/** A run narrower than this many pixels a character gets no label (it would spill over). */
const LABEL_PX_PER_CHAR = 7;

/**
 * A timeline of what a client was told, against what is true: two lanes of
 * intervals, each labelled with its address (and coloured by it), so the stale
 * window after an UPDATE shows as a stretch where the lanes disagree.
 */
export function stalenessChart(rows: Array<{ t: number; answer: string; truth: string }>, ttl: number): VegaLiteSpec {
  const step = rows.length > 1 ? rows[1].t - rows[0].t : 1;
  const width = 520;
  const [start, end] = rows.length ? [rows[0].t, rows[rows.length - 1].t + step] : [0, 1];
  // One interval per stretch of the same address in a lane: the label is the address itself, not only a colour.
  const runs = ([["local DNS server (cache)", "answer"], ["authoritative server", "truth"]] as const).flatMap(([lane, key]) => {
    const out: Array<{ t: number; t2: number; lane: string; address: string; label: string }> = [];
    for (const r of rows) {
      const last = out[out.length - 1];
      if (last && last.address === r[key] && last.t2 === r.t) last.t2 = r.t + step;
      else out.push({ t: r.t, t2: r.t + step, lane, address: r[key], label: "" });
    }
    for (const run of out) run.label = ((run.t2 - run.t) / (end - start)) * width > run.address.length * LABEL_PX_PER_CHAR + 8 ? run.address : "";
    return out;
  });
  const lanes = ["local DNS server (cache)", "authoritative server"].map((lane) => `${lane}: ${runs.filter((r) => r.lane === lane).map((r) => `${r.address} from ${r.t} to ${r.t2} s`).join(", then ")}`);
  const x = { field: "t", type: "quantitative", title: "seconds since the UPDATE", scale: { domain: [start, end], nice: false } };
  const y = { field: "lane", type: "nominal", title: null, sort: ["authoritative server", "local DNS server (cache)"], axis: { labelLimit: 260 } };
  return {
    $schema: VEGALITE_SCHEMA,
    description: `Two lanes over time since the UPDATE: the address the local DNS server answers with (from its cache), above the address the authoritative server holds. Where they differ, the cache is stale; its copy lives ${ttl} s.`,
    title: { text: "A stale cache entry after an UPDATE", subtitle: `the old address is served until the cached copy's TTL (${ttl} s) runs out` },
    width,
    height: 90,
    config: CHART_CONFIG,
    // The summary says each lane's stretches in words (its data are intervals, not a measurement).
    usermeta: { summary: `${lanes.join("; ")}.` },
    data: { values: runs },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          x, x2: { field: "t2" }, y,
          color: { field: "address", type: "nominal", title: "address", scale: { range: ADDRESS_FILLS }, legend: { orient: "right" } },
          tooltip: [{ field: "t", title: "from (s)" }, { field: "t2", title: "to (s)" }, { field: "lane" }, { field: "address" }],
        },
      },
      { mark: { type: "text", align: "left", dx: 6, fontSize: 12, color: "black" }, encoding: { x, y, text: { field: "label" } } },
    ],
  };
}
