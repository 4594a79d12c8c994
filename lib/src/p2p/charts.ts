import { VegaLiteSpec } from "../charts/render";
import { CHART_CONFIG, SERIES_COLOURS, VEGALITE_SCHEMA, barChart, heatmapChart, layer, lineChart, scatterChart } from "../charts/specs";
import { REGULAR_UNCHOKE_SECONDS } from "../bt/choker";
import { SwarmResult, WatchedRound } from "./swarm";

/**
 * The P2P lesson's charts: pure functions from results to Vega-Lite specs.
 */

/**
 * Distribution time against N: client-server, the P2P bound, the fluid model
 * (lines) and measured swarms (points). Times in units of F/u (see distributionCurves).
 */
export function distributionTimeChart(model: Array<{ peers: number; curve: string; time: number }>, measured: Array<{ peers: number; curve: string; time: number }> = []): VegaLiteSpec {
  const o = {
    x: "peers", y: "time", color: "curve", xScale: "log" as const, yScale: "log" as const, xTitle: "N (peers)", yTitle: "distribution time, in units of F/u",
    title: "Time to give N peers the file", subtitle: "client-server grows with N; P2P stays bounded (self-scalability). Both axes logarithmic; with F/u = 1 hour, read hours.",
    description: `The time to distribute a file to N peers, in units of F/u, one line per model (client-server, the P2P bound, the fluid model)${measured.length ? ", with points for measured swarms" : ""}; both axes on log scales.`,
  };
  const lines = lineChart(model, { ...o, points: false });
  return measured.length ? layer(lines, scatterChart(measured, o)) : lines;
}

/** The CDF of download times, one line per class of peer. */
export function completionCdfChart(result: SwarmResult, title = "When did each peer finish?"): VegaLiteSpec {
  const rows: Array<{ seconds: number; fraction: number; class: string }> = [];
  const classes = [...new Set(result.peers.filter((p) => p.class !== "seed").map((p) => p.class))];
  for (const klass of classes) {
    const all = result.peers.filter((p) => p.class === klass);
    const times = all.filter((p) => p.finished !== undefined).map((p) => p.finished! - p.arrived).sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(times.length / 60)); // at most ~60 points a line
    times.forEach((t, i) => {
      if (i % step === 0 || i === times.length - 1) rows.push({ seconds: t, fraction: (i + 1) / all.length, class: klass });
    });
  }
  return lineChart(rows, {
    x: "seconds", y: "fraction", color: "class", title, subtitle: "fraction of the peers of each kind that had the whole file, by time since they arrived", xTitle: "download time (s)", yTitle: "fraction done", points: false,
    description: "One cumulative line per class of peer: the fraction of those peers that had the whole file, against the time since they arrived.",
  });
}

/** Seeds and leechers present over time. */
export function populationChart(result: SwarmResult, title = "Seeds and leechers in the swarm"): VegaLiteSpec {
  const rows = result.population.flatMap((s) => [{ t: s.t, kind: "leechers", peers: s.leechers }, { t: s.t, kind: "seeds", peers: s.seeds }]);
  return lineChart(rows, { x: "t", y: "peers", color: "kind", title, xTitle: "time (s)", yTitle: "peers present", points: false, description: "Two lines over time: the seeds and the leechers present in the swarm." });
}

/** Copies of each range of pieces over time: the rarest-first picture. */
export function availabilityHeatmap(result: SwarmResult, title = "How many copies of each piece?"): VegaLiteSpec {
  const times = [...new Set(result.availability.map((a) => a.t))];
  const xStep = times.length > 1 ? times[1] - times[0] : 1;
  const spec = heatmapChart(result.availability, { x: "t", y: "pieces", value: "copies", xStep, title, subtitle: "dark purple cells are pieces few peers hold; the darkest purple, at 0 copies, is a piece lost", xTitle: "time (s)", yTitle: "pieces", valueTitle: "copies",
    description: "A heat map of how many copies of each range of pieces the swarm holds over time: the darker the cell, the fewer copies; the darkest purple, 0 copies, is a piece lost.",
  });
  // viridis has no black: its low end is dark purple (#440154). The scale starts at 0 copies, so that
  // colour means a lost piece, not merely the fewest copies of this run.
  ((spec.encoding as { color: { scale: Record<string, unknown> } }).color.scale).domainMin = 0;
  return spec;
}

/** Bytes uploaded and downloaded per peer, by class. */
export function contributionChart(result: SwarmResult, title = "Who gives, who takes"): VegaLiteSpec {
  const classes = [...new Set(result.peers.map((p) => p.class))];
  const MiB = 1 << 20;
  const rows = classes.flatMap((klass) => {
    const ps = result.peers.filter((p) => p.class === klass);
    const avg = (f: (p: (typeof ps)[number]) => number) => ps.reduce((s, p) => s + f(p), 0) / ps.length / MiB;
    return [
      { class: klass, direction: "uploaded", MiB: avg((p) => p.uploaded) },
      { class: klass, direction: "downloaded", MiB: avg((p) => p.downloaded) },
    ];
  });
  return barChart(rows, { x: "class", y: "MiB", color: "direction", title, subtitle: "mean per peer", xTitle: null, yTitle: "MiB per peer", description: "For each class of peer, two bars: the mean MiB a peer uploaded and downloaded." });
}

/** Download curves of a real swarm: each leecher's share of the file over time. */
export function downloadCurvesChart(samples: Array<{ ms: number; peer: string; fraction: number }>, title = "Download curves, as the peers report them"): VegaLiteSpec {
  const rows = samples.map((s) => ({ seconds: s.ms / 1000, peer: s.peer, fraction: s.fraction }));
  return lineChart(rows, {
    x: "seconds", y: "fraction", color: "peer", title, subtitle: "each verified piece moves a peer's line up", xTitle: "time (s)", yTitle: "share of the file verified", points: false,
    description: "One line per leecher of a real swarm: the share of the file it had verified, over time.",
  });
}

/** The copies of the rarest piece over time, one line per run: when it hits 0, a piece is gone and nobody can finish. */
export function rarestCopiesChart(runs: Array<{ label: string; result: SwarmResult }>, title = "Copies of the rarest piece"): VegaLiteSpec {
  const rows = runs.flatMap(({ label, result }) => result.population.map((s) => ({ t: s.t, run: label, copies: s.rarestCopies })));
  return lineChart(rows, {
    x: "t", y: "copies", color: "run", title, subtitle: "at 0, some piece exists nowhere in the swarm: nobody can finish", xTitle: "time (s)", yTitle: "copies of the rarest piece", points: false,
    description: "One line per run: how many copies of the rarest piece the swarm held over time; at 0 a piece is lost and nobody can finish.",
  });
}

/** The neighbours of a watched peer in order of first appearance, as y-axis labels ("peer 12"). */
function neighbourOrder(rounds: WatchedRound[], pick: (r: WatchedRound) => number[]): string[] {
  return [...new Set(rounds.flatMap((r) => pick(r)))].map((n) => `peer ${n}`);
}

/**
 * One peer's neighbour set over time: a row per neighbour it ever had, a bar for
 * every choking round the two were connected. Peers that connect later start further
 * right; a bar that stops is a neighbour that left the swarm.
 *
 * @example await show(neighbourChart(simulateSwarm({ ...options, watch: 1 }).watched, 1));
 */
export function neighbourChart(rounds: WatchedRound[], peer: number, title = `The neighbours of peer ${peer} over time`): VegaLiteSpec {
  const rows = rounds.flatMap((r) => r.neighbours.map((n) => ({ t: r.t - REGULAR_UNCHOKE_SECONDS, until: r.t, neighbour: `peer ${n}` })));
  const order = neighbourOrder(rounds, (r) => r.neighbours);
  const first = rounds[0]?.neighbours ?? [];
  const last = rounds[rounds.length - 1]?.neighbours ?? [];
  const joined = order.length - first.length;
  const gone = order.length - last.length;
  const summary = rounds.length
    ? `${order.length} different neighbours in ${rounds.length} rounds: ${first.length} at ${rounds[0].t} s, ${last.length} at ${rounds[rounds.length - 1].t} s; ${joined} connected after the first round, ${gone} of all of them were gone by the last.`
    : "No rounds: the peer was never in the swarm.";
  return {
    $schema: VEGALITE_SCHEMA,
    description: `A row per neighbour peer ${peer} ever had, in the order they appeared, and a bar for each ${REGULAR_UNCHOKE_SECONDS}-second round the two were connected.`,
    title: { text: title, subtitle: `${order.length} different neighbours; ${joined} came after the first round, ${gone} were gone by the last` },
    width: 520,
    height: Math.max(160, 12 * order.length),
    config: CHART_CONFIG,
    usermeta: { summary },
    data: { values: rows },
    mark: { type: "bar", color: SERIES_COLOURS[0] },
    encoding: {
      x: { field: "t", type: "quantitative", title: "time (s)" },
      x2: { field: "until" },
      y: { field: "neighbour", type: "ordinal", sort: order, title: null, axis: { labelFontSize: 10 } },
      tooltip: [{ field: "neighbour" }, { field: "until", title: "round at (s)" }],
    },
  };
}

const UNCHOKE_KINDS = ["regular (tit-for-tat)", "optimistic"];

/**
 * Whom one peer unchokes, round by round: a square for each of the (up to four)
 * regular unchokes of a 10-second round, a triangle for its optimistic unchoke, and a
 * dashed line at each round that drew a new optimistic unchoke (every 30 s). The two
 * kinds differ in shape as well as colour.
 *
 * @example await show(unchokeTimelineChart(simulateSwarm({ ...options, watch: 1 }).watched, 1));
 */
export function unchokeTimelineChart(rounds: WatchedRound[], peer: number, title = `Whom peer ${peer} unchokes, round by round`): VegaLiteSpec {
  const rows = rounds.flatMap((r) => [
    ...r.regular.map((n) => ({ t: r.t, neighbour: `peer ${n}`, kind: UNCHOKE_KINDS[0] })),
    ...(r.optimistic === undefined ? [] : [{ t: r.t, neighbour: `peer ${r.optimistic}`, kind: UNCHOKE_KINDS[1] }]),
  ]);
  const order = neighbourOrder(rounds, (r) => [...r.regular, ...(r.optimistic === undefined ? [] : [r.optimistic])]);
  const fresh = rounds.filter((r) => r.newOptimistic).map((r) => ({ t: r.t, label: "new optimistic" }));
  const summary = rounds.map((r) => `${r.t} s: ${r.regular.join(", ") || "nobody"}${r.optimistic === undefined ? "" : `; optimistic ${r.optimistic}${r.newOptimistic ? " (new)" : ""}`}`).join(". ");
  const points: VegaLiteSpec = {
    $schema: VEGALITE_SCHEMA,
    description: `For each ${REGULAR_UNCHOKE_SECONDS}-second choking round of peer ${peer} (x), the neighbours it unchoked (a row each): squares for the regular unchokes, triangles for the optimistic one; dashed lines mark the rounds that drew a new optimistic unchoke.`,
    title: { text: title, subtitle: `${order.length} different neighbours unchoked in ${rounds.length} rounds; a new optimistic unchoke at ${fresh.map((f) => `${f.t} s`).join(", ") || "no round"}` },
    width: 520,
    height: Math.max(160, 14 * order.length),
    config: CHART_CONFIG,
    usermeta: { summary: `Peer numbers unchoked, round by round. ${summary}.` },
    data: { values: rows },
    mark: { type: "point", filled: true, size: 90, opacity: 1 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "time (s)", axis: { values: rounds.map((r) => r.t), labelOverlap: true } },
      y: { field: "neighbour", type: "ordinal", sort: order, title: null, axis: { labelFontSize: 10 } },
      shape: { field: "kind", type: "nominal", title: null, scale: { domain: UNCHOKE_KINDS, range: ["square", "triangle-up"] } },
      color: { field: "kind", type: "nominal", title: null, scale: { domain: UNCHOKE_KINDS, range: [SERIES_COLOURS[0], SERIES_COLOURS[1]] }, legend: { labelLimit: 300 } },
      tooltip: [{ field: "t", title: "time (s)" }, { field: "neighbour" }, { field: "kind" }],
    },
  };
  const rules: VegaLiteSpec = {
    data: { values: fresh },
    layer: [
      { mark: { type: "rule", strokeDash: [5, 4], color: "#555" }, encoding: { x: { field: "t", type: "quantitative" } } },
      { mark: { type: "text", align: "left", dx: 3, dy: -4, fontSize: 10, color: "#333", baseline: "bottom" }, encoding: { x: { field: "t", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } } },
    ],
  };
  return { ...layer(points, rules), usermeta: points.usermeta };
}
