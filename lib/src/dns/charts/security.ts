import { VegaLiteSpec } from "../../charts/render";
import { CHART_CONFIG, VEGALITE_SCHEMA, barChart, layer, lineChart, scatterChart } from "../../charts/specs";
import { ChainStep } from "../dnssec/chain";

/** Legends that show whole labels ("id + ports + 0x20", "authoritative + RRL"). */
function fullLegend(spec: VegaLiteSpec): VegaLiteSpec {
  const enc = spec.encoding as Record<string, Record<string, unknown>>;
  enc.color.legend = { labelLimit: 300 };
  return spec;
}

/** DNSSEC's three verdicts in the same colours on every chart (colour-blind safe; each box also says its verdict in words). */
const STATUS_COLOURS = { domain: ["secure", "insecure", "bogus"], range: ["#0072B2", "#666666", "#B34700"] };

/**
 * Measured wins per attempt (points) over RFC 5452's odds (lines), per defence,
 * as the forgeries per attempt grow.
 *
 * @example await show(raceChart(measured, predicted));
 */
export function raceChart(
  measured: Array<{ forgeries: number; defence: string; rate: number }>,
  predicted: Array<{ forgeries: number; defence: string; rate: number }>,
): VegaLiteSpec {
  const o = { x: "forgeries", y: "rate", color: "defence", xScale: "log" as const, yScale: "log" as const, xTitle: "forged replies per attempt (log scale)", yTitle: "wins per attempt (log scale)" };
  const floor = (rows: typeof measured) => rows.filter((r) => r.rate > 0);
  return layer(
    fullLegend(lineChart(predicted, { ...o, title: "The poisoning race: measured wins against RFC 5452's odds", subtitle: "lines: forgeries ÷ (ids × ports); points: wins counted in the simulator (no point: no win)", description: "For each defence, a line of the odds RFC 5452 predicts per attempt and points for the wins measured in the simulator, against the forged replies per attempt; both axes on log scales." })),
    scatterChart(floor(measured), o),
  );
}

/** The chance a cache is poisoned after hours of attempts, per defence (RFC 5452 §7.2), on log axes. */
export function poisoningOverTimeChart(rows: Array<{ hours: number; defence: string; probability: number }>): VegaLiteSpec {
  const spec = lineChart(rows.map((r) => ({ ...r, probability: Math.max(r.probability, 1e-12) })), {
    x: "hours", y: "probability", color: "defence", xScale: "log", yScale: "log",
    title: "How long until the cache is poisoned?", subtitle: "1 − (1 − p)^attempts, with the real spaces: 65,536 ids, 28,232 ports, 2 cases per letter",
    xTitle: "hours of attack (log scale)", yTitle: "chance of at least one win (log scale)",
    description: "One line per defence: the chance that an attacker has poisoned the cache at least once after so many hours of attempts, both axes on log scales.",
  });
  (spec.encoding as Record<string, Record<string, unknown>>).y.axis = { format: ".0e" };
  return fullLegend(spec);
}

/** Reflection floods: bytes at the victim per byte the attacker sent, by question and reflector. */
export function amplificationChart(rows: Array<{ question: string; reflector: string; factor: number }>): VegaLiteSpec {
  return fullLegend(barChart(rows, {
    x: "question", y: "factor", color: "reflector", title: "What each byte of the attacker's becomes at the victim",
    subtitle: "spoofed queries, real replies from the lib's servers; 1 = no amplification", xTitle: null, yTitle: "bytes at the victim ÷ bytes sent",
    description: "For each question, one bar per reflector: how many bytes reach the victim for each byte the attacker sends.",
  }));
}

/** Failed lookups during an outage, per target, against the delegations' TTL. */
export function outageChart(rows: Array<{ ttlHours: number; target: string; failed: number }>): VegaLiteSpec {
  const spec = lineChart(rows, {
    x: "ttlHours", y: "failed", color: "target", xScale: "log",
    title: "Three hours without the root, or without com", subtitle: "share of client lookups that failed during the outage, caches warmed for one hour",
    xTitle: "TTL of the delegations (hours, log scale)", yTitle: "lookups failed",
    description: "One line per server taken down (the root, or com): the share of client lookups that failed during a three-hour outage, against the TTL of the delegations.",
  });
  (spec.encoding as Record<string, Record<string, unknown>>).y.axis = { format: ".0%" };
  return spec;
}

/** Failed lookups during a TLD outage against how long the caches had been warming before it. */
export function warmthChart(rows: Array<{ warmed: string; failed: number }>, target = "com"): VegaLiteSpec {
  const spec = barChart(rows, {
    x: "warmed", y: "failed", title: `Three hours without ${target}: cold caches suffer most`,
    subtitle: "share of lookups that failed, by how long the local servers ran before the attack", xTitle: "caches warmed for", yTitle: "lookups failed",
    description: `One bar per warm-up time: the share of lookups that failed during three hours without ${target}, by how long the local servers' caches had been filling before.`,
  });
  (spec.encoding as Record<string, Record<string, unknown>>).y.axis = { format: ".0%" };
  return spec;
}

/**
 * The chain of trust a validation walked, top to bottom: one box per step
 * (anchor, DS, DNSKEY, the answer), coloured by its verdict, each below the one it rests on.
 *
 * @example await show(chainDiagram(resolved.security!.chain));
 */
export function chainDiagram(chain: ChainStep[], title = "The chain of trust, from the root's key to the answer"): VegaLiteSpec {
  const rows = chain.map((s, i) => ({ i, label: `${i ? "↳ " : ""}${s.zone}  ${s.what}  (${s.status})`, status: s.status, detail: s.detail || s.status }));
  const rowPx = 34;
  return {
    $schema: VEGALITE_SCHEMA,
    description: "The chain of trust, one box per step from the trust anchor down to the answer, each with its verdict (secure, insecure or bogus).",
    title: { text: title, subtitle: "each DS is signed by the parent's key; each zone's DNSKEY must match its DS" },
    width: 560,
    height: rows.length * rowPx,
    config: CHART_CONFIG,
    data: { values: rows },
    encoding: { y: { field: "i", type: "ordinal", axis: null, scale: { paddingInner: 0.35 } } },
    layer: [
      {
        mark: { type: "rect", cornerRadius: 4, stroke: "#333", strokeWidth: 0.5 },
        encoding: { x: { value: 8 }, x2: { value: 552 }, color: { field: "status", type: "nominal", scale: STATUS_COLOURS, title: "verdict" }, tooltip: [{ field: "label" }, { field: "detail" }] },
      },
      { mark: { type: "text", align: "left", dx: 0, fontSize: 12, font: "DejaVu Sans Mono, monospace", color: "white" }, encoding: { x: { value: 18 }, text: { field: "label" } } },
    ],
  };
}
