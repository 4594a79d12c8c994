/**
 * Every chart's text alternative (WCAG 2.1 §1.1.1) and series told apart by more
 * than colour (§1.4.1): the summary computed from a spec's data, the attributes
 * renderSvg puts on the SVG, and the charts that had told series apart by colour alone.
 */
import { describe, expect, it } from "vitest";
import { renderSvg } from "../../lib/src/charts/render";
import { CHART_CONFIG, SERIES_COLOURS, barChart, heatmapChart, layer, lineChart, scatterChart } from "../../lib/src/charts/specs";
import { MAX_SUMMARY_ROWS, MAX_SUMMARY_SERIES, accessibleSvg, chartNumber, chartPlainText, chartText } from "../../lib/src/charts/describe";
import { htmlFrame } from "../../lib/src/charts/display";
import { stepSvg } from "../../lib/src/charts/steps";
import { sequenceDiagram } from "../../lib/src/charts/sequence";
import { Trace } from "../../lib/src/lab/trace";
import { hourlyLoadChart, stalenessChart, ttlSweepChart } from "../../lib/src/dns/charts/load";
import { chainDiagram, outageChart, poisoningOverTimeChart, raceChart } from "../../lib/src/dns/charts/security";
import { rarestCopiesChart } from "../../lib/src/p2p/charts";
import { SwarmResult } from "../../lib/src/p2p/swarm";

const rows = [
  { n: 1, t: 10, kind: "client-server" },
  { n: 2, t: 20, kind: "client-server" },
  { n: 4, t: 40, kind: "client-server" },
  { n: 1, t: 10, kind: "p2p" },
  { n: 2, t: 12, kind: "p2p" },
  { n: 4, t: 11, kind: "p2p" },
];

/** The root element of an SVG, and the text of its child element `tag` with the id the root points to. */
function alternative(svg: string) {
  const root = /<svg\b[^>]*>/.exec(svg)![0];
  const ref = (attr: string) => new RegExp(`${attr}="([^"]+)"`).exec(root)?.[1];
  const text = (tag: string, id: string | undefined) => (id ? new RegExp(`<${tag} id="${id}">([^<]*)</${tag}>`).exec(svg)?.[1] : undefined);
  return { role: ref("role"), name: text("title", ref("aria-labelledby")), description: text("desc", ref("aria-describedby")) };
}

describe("chartText: a chart's text alternative, from its spec", () => {
  it("names a line chart by its title, describes it, and gives each series' extremes and ends", () => {
    const text = chartText(lineChart(rows, { x: "n", y: "t", color: "kind", title: "Distribution time", xTitle: "peers", yTitle: "time" }));
    expect(text.name).toBe("Distribution time");
    expect(text.description).toBe("A line chart of time against peers, one line per kind.");
    expect(text.summary).toBe(
      "time, by kind: client-server: 3 points, lowest 10 at peers 1, highest 40 at peers 4; from 10 at peers 1 to 40 at peers 4; " +
        "p2p: 3 points, lowest 10 at peers 1, highest 12 at peers 2; from 10 at peers 1 to 11 at peers 4.",
    );
  });

  it("takes a builder's own description, and names an untitled chart by it", () => {
    const text = chartText(scatterChart(rows, { x: "n", y: "t", description: "Times measured per N." }));
    expect(text).toMatchObject({ name: "Times measured per N.", description: "Times measured per N." });
  });

  it("lists every bar of a few categories, per series", () => {
    const spec = barChart([{ level: "root", q: 4, s: "cached" }, { level: "TLD", q: 40, s: "cached" }], { x: "level", y: "q", color: "s", yTitle: "queries" });
    expect(chartText(spec).summary).toBe("queries, by s: cached: root = 4, TLD = 40.");
  });

  it(`names ${MAX_SUMMARY_SERIES} series, and counts those past it`, () => {
    const series = (n: number) => Array.from({ length: n }, (_, i) => ({ x: 1, y: i, s: `s${i}` }));
    expect(chartText(lineChart(series(MAX_SUMMARY_SERIES), { x: "x", y: "y", color: "s" })).summary).not.toMatch(/more series/);
    const over = chartText(lineChart(series(MAX_SUMMARY_SERIES + 1), { x: "x", y: "y", color: "s" })).summary;
    expect(over).toMatch(/; and 1 more series\.$/);
    expect(over).not.toContain(`s${MAX_SUMMARY_SERIES}:`);
  });

  it(`lists up to ${MAX_SUMMARY_ROWS} boxes of a diagram with nothing measured, and counts the rest`, () => {
    const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ zone: `z${i}.`, what: "DNSKEY", status: "secure" as const, detail: "" }));
    const atCap = chartText(chainDiagram(chain(MAX_SUMMARY_ROWS))).summary;
    expect(atCap).toMatch(new RegExp(`^${MAX_SUMMARY_ROWS} items: `));
    expect(atCap).toContain(`z${MAX_SUMMARY_ROWS - 1}.  DNSKEY  (secure)`);
    expect(atCap).not.toMatch(/more\.$/);
    const over = chartText(chainDiagram(chain(MAX_SUMMARY_ROWS + 1))).summary;
    expect(over).toMatch(/; and 1 more\.$/);
  });

  it("summarises a heat map by the value its colour shows", () => {
    const spec = heatmapChart([{ t: 0, p: "a", c: 5 }, { t: 5, p: "a", c: 0 }], { x: "t", y: "p", value: "c", xStep: 5, valueTitle: "copies", xTitle: "time" });
    expect(chartText(spec).summary).toBe("copies: 2 points, lowest 0 at time 5, highest 5 at time 0.");
  });

  it("reads only the rows a layer's filter keeps (bars for replies, crosses for losses)", () => {
    const data = [{ seq: 1, rtt: 1, lost: false }, { seq: 2, rtt: 0, lost: true }];
    const bars = { transform: [{ filter: "!datum.lost" }], mark: "bar", encoding: { x: { field: "seq", type: "ordinal" }, y: { field: "rtt", type: "quantitative", title: "RTT" } } };
    const lost = { transform: [{ filter: "datum.lost" }], mark: "point", encoding: { x: { field: "seq", type: "ordinal", title: "lost ping" } } };
    expect(chartText({ data: { values: data }, layer: [bars, lost] }).summary).toBe("RTT: 1 at seq 1. 1 item: lost ping 2.");
  });

  it("says a flat series is flat, and leaves '(log scale)' out of the axis titles it quotes", () => {
    const flat = [1, 10, 100].map((h) => ({ h, p: 1 }));
    expect(chartText(lineChart(flat, { x: "h", y: "p", xScale: "log", xTitle: "hours (log scale)", yTitle: "chance (s, log scale)" })).summary).toBe("chance (s): 3 points, 1 throughout.");
    const rising = [1, 10, 100].map((h) => ({ h, p: h }));
    expect(chartText(lineChart(rising, { x: "h", y: "p", xTitle: "hours (log scale)" })).summary).toBe("p: 3 points, lowest 1 at hours 1, highest 100 at hours 100; from 1 at hours 1 to 100 at hours 100.");
  });

  it("writes numbers as people read them", () => {
    expect([1e-12, 0.000123, 0.5, 1234567, 0].map(chartNumber)).toEqual(["1.0e-12", "1.2e-4", "0.5", "1,230,000", "0"]);
  });

  it("gives the text/plain fallback the same name, description and summary", () => {
    const text = chartText(lineChart(rows, { x: "n", y: "t", color: "kind", title: "T" }));
    expect(chartPlainText(text)).toBe(`[chart: T]\n${text.description}\n${text.summary}`);
  });
});

describe("renderSvg: every chart SVG carries its text alternative", () => {
  it("is one image named by its title and described by its description and summary", async () => {
    const spec = lineChart(rows, { x: "n", y: "t", color: "kind", title: "Distribution <time>" });
    const a = alternative(await renderSvg(spec));
    const text = chartText(spec);
    expect(a.role).toBe("img");
    expect(a.name).toBe("Distribution &lt;time&gt;");
    expect(a.description).toBe(`${text.description} ${text.summary}`);
  });

  it("gives each drawing its own ids, so two charts on one page do not share a title", async () => {
    const spec = lineChart(rows, { x: "n", y: "t", title: "same" });
    const [one, two] = [await renderSvg(spec), await renderSvg(spec)];
    const id = (svg: string) => /aria-labelledby="([^"]+)"/.exec(svg)![1];
    expect(id(one)).not.toBe(id(two));
  });

  it("replaces ARIA roles already on the root element", () => {
    const svg = accessibleSvg(`<svg role="graphics-document" aria-label="x" width="1"><g/></svg>`, { name: "n", description: "", summary: "" });
    expect(/<svg\b[^>]*>/.exec(svg)![0]).not.toMatch(/graphics-document|aria-label=|aria-describedby/);
    expect(alternative(svg)).toMatchObject({ role: "img", name: "n", description: undefined });
  });

  it("describes a sequence diagram, and a step-through exchange, by its messages", async () => {
    const t = new Trace();
    t.record("alice", "server", "HELO");
    t.record("server", "alice", "250 hello");
    for (const svg of [await renderSvg(sequenceDiagram(t, { title: "SMTP" })), stepSvg(t, { title: "SMTP", shown: 1 })]) {
      const a = alternative(svg);
      expect(a).toMatchObject({ role: "img", name: "SMTP" });
      expect(a.description).toMatch(/^A sequence diagram of 2 messages between alice, server, in the order they happened\. 1\. [\d.]+ ms, alice to server: HELO; 2\. [\d.]+ ms, server to alice: 250 hello\.$/);
    }
  });
});

describe("series differ by more than colour", () => {
  /** The luminance contrast of a colour against white (WCAG 2.1's formula). */
  const contrast = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
  };
  it("the palette is Okabe & Ito's, its first four at 3:1 or more against white", () => {
    expect(CHART_CONFIG.range.category).toBe(SERIES_COLOURS);
    for (const c of SERIES_COLOURS.slice(0, 4)) expect(contrast(c)).toBeGreaterThanOrEqual(3);
  });

  const enc = (spec: Record<string, unknown>) => spec.encoding as Record<string, { field?: string; title?: unknown }>;
  it("a multi-series line chart dashes each series and shapes its points, in the colour's legend", () => {
    const e = enc(lineChart(rows, { x: "n", y: "t", color: "kind" }));
    for (const c of ["strokeDash", "shape"]) expect(e[c]).toMatchObject({ field: "kind", title: null });
    const plain = enc(lineChart(rows, { x: "n", y: "t", color: "kind", points: false }));
    expect(plain.strokeDash.field).toBe("kind");
    expect(plain.shape).toBeUndefined();
    expect(enc(lineChart(rows, { x: "n", y: "t" })).strokeDash).toBeUndefined();
    expect(enc(scatterChart(rows, { x: "n", y: "t", color: "kind" })).shape.field).toBe("kind");
  });

  it("grouped bars are outlined in a dash per series (contributions, amplification, load by level)", () => {
    const spec = barChart(rows, { x: "n", y: "t", color: "kind" });
    expect(enc(spec).strokeDash).toMatchObject({ field: "kind", title: null });
    expect(spec.mark).toMatchObject({ stroke: "#222" });
    expect(barChart(rows, { x: "n", y: "t" }).mark).not.toHaveProperty("stroke");
  });

  const swarm = (copies: number[]): SwarmResult => ({
    peers: [], finishTime: 1, lowerBound: 1, steps: 0, wallMs: 0, availability: [],
    population: copies.map((c, t) => ({ t, seeds: 1, leechers: 1, rarestCopies: c })),
  } as unknown as SwarmResult);
  it.each([
    ["rarest copies", () => rarestCopiesChart([{ label: "a", result: swarm([2, 1]) }, { label: "b", result: swarm([3, 0]) }]), "run"],
    ["poisoning odds", () => poisoningOverTimeChart([{ hours: 1, defence: "id", probability: 0.1 }, { hours: 1, defence: "id + ports", probability: 1e-6 }]), "defence"],
    ["outages", () => outageChart([{ ttlHours: 1, target: "root", failed: 0.1 }, { ttlHours: 1, target: "com", failed: 0.5 }]), "target"],
    ["hourly load", () => hourlyLoadChart([{ hour: 0, level: "root", queries: 5 }, { hour: 0, level: "TLD", queries: 50 }]), "level"],
    ["TTL sweep", () => ttlSweepChart([{ ttl: 60, level: "root", queries: 5 }, { ttl: 60, level: "TLD", queries: 50 }], 100), "level"],
  ])("the %s chart dashes its lines by series", async (_name, build, field) => {
    const spec = build();
    expect(enc(spec).strokeDash.field).toBe(field);
    expect(alternative(await renderSvg(spec)).description).toContain(`by ${field}`);
  });

  it("the poisoning race marks its measured points by shape as well as colour", () => {
    const spec = raceChart([{ forgeries: 10, defence: "id", rate: 0.1 }], [{ forgeries: 10, defence: "id", rate: 0.2 }]);
    const layers = spec.layer as Array<Record<string, unknown>>;
    expect(enc(layers[0]).strokeDash.field).toBe("defence");
    expect(enc(layers[1]).shape.field).toBe("defence");
  });

  it("the staleness chart writes each stretch's address in it, and says the stretches in words", async () => {
    const timeline = Array.from({ length: 10 }, (_, i) => ({ t: i * 10, answer: i < 6 ? "10.0.0.1" : "10.0.0.2", truth: "10.0.0.2" }));
    const spec = stalenessChart(timeline, 60);
    const svg = await renderSvg(spec);
    // Two labels in the cache's lane (old, then new address) and one in the authoritative lane.
    expect((svg.match(/>10\.0\.0\.1</g) ?? []).length).toBe(2); // the label, and the legend
    expect((svg.match(/>10\.0\.0\.2</g) ?? []).length).toBe(3);
    expect(chartText(spec).summary).toBe("local DNS server (cache): 10.0.0.1 from 0 to 60 s, then 10.0.0.2 from 60 to 100 s; authoritative server: 10.0.0.2 from 0 to 100 s.");
  });

  it("the chain of trust writes each verdict in its box", () => {
    const spec = chainDiagram([{ zone: ".", what: "DNSKEY", status: "bogus", detail: "" }] as Parameters<typeof chainDiagram>[0]);
    expect((spec.data as { values: Array<{ label: string }> }).values[0].label).toMatch(/\(bogus\)$/);
  });

  it("layers keep the first layer's description", () => {
    const spec = layer(lineChart(rows, { x: "n", y: "t", description: "d" }), scatterChart(rows, { x: "n", y: "t" }));
    expect(spec.description).toBe("d");
    expect((spec.layer as Array<Record<string, unknown>>).every((l) => l.description === undefined)).toBe(true);
  });
});

describe("htmlFrame: the iframe showHtml displays has a name", () => {
  it("takes the page's own title, escaped once", () => {
    expect(htmlFrame(`<html><head><title>Inbox &amp; "more"</title></head></html>`)).toMatch(/^<iframe sandbox title="Inbox &amp; &quot;more&quot;" srcdoc=/);
  });
  it("takes a given title over the page's, and says 'web page' when there is neither", () => {
    expect(htmlFrame("<title>x</title>", { title: "Bob's <inbox>" })).toContain(`title="Bob's <inbox>"`);
    expect(htmlFrame("<p>hi</p>")).toContain(`title="web page"`);
  });
});
