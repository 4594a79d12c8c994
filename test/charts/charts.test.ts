import { describe, expect, it } from "vitest";
import { renderSvg } from "../../lib/src/charts/render";
import { barChart, layer, lineChart } from "../../lib/src/charts/specs";
import { sequenceDiagram } from "../../lib/src/charts/sequence";
import { arrivalOrderChart, lossChart, readSizesChart, rttChart } from "../../lib/src/sockets/charts";
import { chartText } from "../../lib/src/charts/describe";
import { loadByLevelChart } from "../../lib/src/dns/charts/load";
import { summarize } from "../../lib/src/sockets/pinger";
import { Trace } from "../../lib/src/lab/trace";
import { isAppLayerError } from "../../lib/src/errors";

const rows = [
  { n: 1, t: 10, kind: "client-server" },
  { n: 2, t: 20, kind: "client-server" },
  { n: 1, t: 10, kind: "p2p" },
  { n: 2, t: 12, kind: "p2p" },
];
/** How many drawn marks of a role an SVG holds (Vega tags every mark with aria-roledescription). */
const marks = (svg: string, role: string) => (svg.match(new RegExp(`aria-roledescription="${role}"`, "g")) ?? []).length;

describe("chart specs render to SVG", () => {
  it("a line chart draws its title, axis titles and one line per series", async () => {
    const svg = await renderSvg(lineChart(rows, { x: "n", y: "t", color: "kind", title: "Distribution time", xTitle: "peers" }));
    expect(svg).toContain("Distribution time");
    expect(svg).toContain(">peers<");
    expect(marks(svg, "line mark")).toBe(2);
  });
  it("a bar chart draws one bar per row", async () => {
    expect(marks(await renderSvg(barChart(rows, { x: "n", y: "t", color: "kind" })), "bar")).toBe(4);
  });
  it("a bar chart on a log scale still draws its bars (grouped, not stacked from zero)", async () => {
    expect(marks(await renderSvg(barChart(rows, { x: "n", y: "t", color: "kind", yScale: "log" })), "bar")).toBe(4);
  });
  it("layer keeps every layer's marks", async () => {
    const svg = await renderSvg(layer(barChart(rows.slice(0, 2), { x: "n", y: "t" }), barChart(rows.slice(2), { x: "n", y: "t" })));
    expect(marks(svg, "bar")).toBe(4);
  });
  it("a bad spec fails with CHART_RENDER", async () => {
    const e = await renderSvg({ mark: "no-such-mark", data: { values: [] } }).catch((x) => x);
    expect(isAppLayerError(e, "CHART_RENDER")).toBe(true);
  });
});

describe("sequenceDiagram", () => {
  it("draws one arrow per message and one lifeline per participant", async () => {
    const t = new Trace();
    t.record("alice", "server", "HELO");
    t.record("server", "alice", "250 hello");
    t.note("alice", "closed");
    t.record("bob", "server", "QUIT");
    const spec = sequenceDiagram(t, { title: "exchange" });
    const svg = await renderSvg(spec);
    for (const label of ["HELO", "250 hello", "closed", "QUIT", "alice", "bob", "server"]) expect(svg).toContain(`>${label}<`);
    // 3 lifelines + 3 message arrows (the note is text, not an arrow)
    expect(marks(svg, "rule mark")).toBe(6);
  });
});

describe("socket lesson charts", () => {
  it("rttChart shows a bar per reply and a cross per lost ping", async () => {
    const report = summarize({ host: "127.0.0.1", port: 1 }, [
      { seq: 1, sentAt: 0, rttMs: 1 },
      { seq: 2, sentAt: 0 },
      { seq: 3, sentAt: 0, rttMs: 3 },
    ]);
    const svg = await renderSvg(rttChart(report));
    expect(marks(svg, "bar")).toBe(2);
    expect(marks(svg, "point")).toBe(1);
    expect(svg).toContain("2/3 replies, 33% lost");
  });
  it("lossChart puts the measurements over both reference curves", async () => {
    const svg = await renderSvg(lossChart([{ configured: 0.1, measured: 0.2 }, { configured: 0.3, measured: 0.5 }]));
    expect(marks(svg, "point")).toBe(2);
    expect(marks(svg, "line mark")).toBe(2);
  });
  it("arrivalOrderChart draws a symbol per datagram over the in-order diagonal, the overtaken ones a different shape", async () => {
    const spec = arrivalOrderChart([1, 3, 2, 5, 4, 6]);
    const svg = await renderSvg(spec);
    expect(marks(svg, "point")).toBe(6);
    expect(marks(svg, "rule mark")).toBe(1);
    expect(svg).toContain("2 of 6 arrived after a datagram sent later");
    // Told apart by shape, not colour alone: circles for in order, crosses for overtaken.
    const layers = spec.layer as Array<{ encoding: { shape?: { scale: { range: string[] } } } }>;
    expect(layers[0].encoding.shape!.scale.range).toEqual(["circle", "cross"]);
    expect(chartText(spec).description).toContain("2 of 6 datagrams");
  });
  it("readSizesChart draws a bar per read and marks the largest", async () => {
    const chunks = [65_536, 65_536, 1_000].map((n) => Buffer.alloc(n));
    const svg = await renderSvg(readSizesChart({ writes: 1, reads: 3, bytes: 132_072, chunks }));
    expect(marks(svg, "bar")).toBe(3);
    expect(marks(svg, "rule mark")).toBe(1);
    expect(svg).toContain("1 write, 3 reads; the largest read (dashed) is 65,536 bytes");
  });
});

describe("loadByLevelChart", () => {
  const rows = (scenarios: string[]) => ["root", "TLD"].flatMap((level) => scenarios.map((scenario, i) => ({ scenario, level, queries: 10 ** (i + 1) })));
  it("draws every scenario's bar, offset side by side when a level has several", async () => {
    const spec = loadByLevelChart(rows(["iterated", "recursive"]));
    expect(marks(await renderSvg(spec), "bar")).toBe(4);
    expect((spec.encoding as Record<string, unknown>).xOffset).toEqual({ field: "scenario" });
  });
  it("draws one whole bar per level when each level has one scenario", async () => {
    const spec = loadByLevelChart(rows(["hierarchy"]));
    expect(marks(await renderSvg(spec), "bar")).toBe(2);
    expect((spec.encoding as Record<string, unknown>).xOffset).toBeUndefined();
  });
});
