import { VegaLiteSpec } from "../../charts/render";
import { barChart } from "../../charts/specs";
import { ANYCAST_CITIES, AnycastResult } from "../world/anycast";

/** A run's name on the chart: one server somewhere, or the address served from several cities. */
const scenarioOf = (r: AnycastResult) => (r.sites.length === 1 ? `one server, in ${r.sites[0]}` : `anycast, ${r.sites.length} instances`);

/**
 * The flood's queries each instance of the root received, by city, one bar per
 * run: the same flood spread over the instances by anycast, or all on one server.
 *
 * @example await show(anycastLoadChart([await anycastRoot(), await anycastRoot({ sites: ["Amherst"] })]));
 */
export function anycastLoadChart(runs: AnycastResult[]): VegaLiteSpec {
  const rows = runs.flatMap((r) => ANYCAST_CITIES.map((city) => ({
    city, scenario: scenarioOf(r), queries: r.instances.find((i) => i.site === city)?.floodQueries ?? 0,
  })));
  const spec = barChart(rows, {
    x: "city", y: "queries", color: "scenario", title: "Where the flood lands",
    subtitle: `${runs[0]?.floodQueries.toLocaleString("en-US") ?? 0} queries from bots in every city, to one root server address`,
    xTitle: "instance of the root server, by city", yTitle: "flood queries received",
    description: "Bars of the flood's queries each instance of the root server received, by city, one bar per scenario: one address served from several cities (anycast), or one server.",
  });
  // The legend says the scenarios in full: they are what the bars compare.
  (spec.encoding as Record<string, Record<string, unknown>>).color.legend = { labelLimit: 300 };
  return spec;
}
