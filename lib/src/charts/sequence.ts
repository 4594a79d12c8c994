import { Trace } from "../lab/trace";
import { CHART_CONFIG, VEGALITE_SCHEMA } from "./specs";
import { VegaLiteSpec } from "./render";

export const ROW_PX = 28;
/** Columns are as wide as the longest label needs (about 6.6 px a character at 11 px), within these bounds. */
const MIN_COLUMN_PX = 190;
const MAX_COLUMN_PX = 460;

/** One row of a sequence diagram: a message (x1 → x2) or a note (x1 === x2), in columns. */
export interface DiagramRow {
  step: number;
  x1: number;
  x2: number;
  /** Where the label sits: the arrow's middle, or just right of a note's lifeline. */
  mid: number;
  /** Where the arrowhead points. */
  head: number;
  dir: "right" | "left";
  note: boolean;
  label: string;
  time: string;
}

/**
 * What a sequence diagram shows, in words: its text alternative (description and summary).
 *
 * @example const { names, rows } = diagramRows(trace); diagramText(names, rows).summary // "1. 0.3 ms, client to server: HELO; …"
 */
export function diagramText(names: string[], rows: DiagramRow[]): { description: string; summary: string } {
  return {
    description: `A sequence diagram of ${rows.length} message${rows.length === 1 ? "" : "s"} between ${names.join(", ")}, in the order they happened.`,
    summary: rows.map((r) => `${r.step}. ${r.time}, ${r.note ? `${names[r.x1]}: ${r.label}` : `${names[r.x1]} to ${names[r.x2]}: ${r.label}`}`).join("; ") + (rows.length ? "." : ""),
  };
}

/** The lifelines and rows of a trace's sequence diagram, shared by the Vega-Lite and the step-through drawings. */
export function diagramRows(trace: Trace, maxEntries = 40): { names: string[]; rows: DiagramRow[]; columnPx: number } {
  const names = trace.participants();
  const col = new Map(names.map((n, i) => [n, i]));
  const rows = trace.entries.slice(0, maxEntries).map((e, i): DiagramRow => {
    const x1 = col.get(e.from)!;
    const x2 = col.get(e.to)!;
    return {
      step: i + 1,
      x1,
      x2,
      mid: x1 === x2 ? x1 + 0.04 : (x1 + x2) / 2,
      head: x2 > x1 ? x2 - 0.02 : x2 + 0.02,
      dir: x2 > x1 ? "right" : "left",
      note: x1 === x2,
      label: e.label,
      time: `${e.time.toFixed(1)} ms`,
    };
  });
  const columnPx = Math.min(MAX_COLUMN_PX, Math.max(MIN_COLUMN_PX, Math.max(0, ...rows.map((r) => r.label.length)) * 6.6 + 40));
  return { names, rows, columnPx };
}

/**
 * Draws a recorded exchange as a sequence diagram: one lifeline per participant,
 * one arrow per message in the order it happened, time on the left. Entries where
 * from === to are notes on that lifeline (a connection opening, a timeout).
 *
 * @example await show(sequenceDiagram(trace, { title: "UDP uppercase exchange" }));
 */
export function sequenceDiagram(trace: Trace, options: { title?: string; maxEntries?: number } = {}): VegaLiteSpec {
  const { names, rows, columnPx } = diagramRows(trace, options.maxEntries);
  const steps = rows.length;
  const x = { type: "quantitative", scale: { domain: [-0.75, names.length - 0.4] }, axis: null } as const;
  const y = { type: "quantitative", scale: { domain: [-0.9, steps + 0.6], reverse: true }, axis: null } as const;
  const messages = { filter: "!datum.note" };
  const text = diagramText(names, rows);
  return {
    $schema: VEGALITE_SCHEMA,
    description: text.description,
    title: options.title,
    width: columnPx * names.length + 60,
    height: ROW_PX * (steps + 2),
    config: CHART_CONFIG,
    // Lesson pages add tooltips to charts; here they would only show column numbers.
    // Its summary is the exchange itself (chartText would otherwise read the drawing's coordinates).
    usermeta: { tooltip: false, summary: text.summary },
    layer: [
      {
        data: { values: names.map((name, i) => ({ name, i, top: -0.4, bottom: steps + 0.5 })) },
        layer: [
          { mark: { type: "rule", strokeDash: [4, 3], color: "#999" }, encoding: { x: { field: "i", ...x }, y: { field: "top", ...y }, y2: { field: "bottom" } } },
          { mark: { type: "text", fontWeight: "bold", fontSize: 13, baseline: "bottom" }, encoding: { x: { field: "i", ...x }, y: { field: "top", ...y }, text: { field: "name" } } },
        ],
      },
      {
        data: { values: rows },
        layer: [
          { transform: [messages], mark: { type: "rule", strokeWidth: 1.5, color: "#4c78a8" }, encoding: { x: { field: "x1", ...x }, x2: { field: "x2" }, y: { field: "step", ...y } } },
          {
            transform: [messages],
            mark: { type: "point", filled: true, size: 70, color: "#4c78a8", opacity: 1 },
            encoding: {
              x: { field: "head", ...x },
              y: { field: "step", ...y },
              shape: { field: "dir", type: "nominal", scale: { domain: ["right", "left"], range: ["triangle-right", "triangle-left"] }, legend: null },
            },
          },
          {
            transform: [messages],
            mark: { type: "text", fontSize: 11, dy: -7, font: "Menlo, Consolas, monospace", color: "#222" },
            encoding: { x: { field: "mid", ...x }, y: { field: "step", ...y }, text: { field: "label" } },
          },
          {
            transform: [{ filter: "datum.note" }],
            mark: { type: "text", fontSize: 11, align: "left", fontStyle: "italic", color: "#b279a2" },
            encoding: { x: { field: "mid", ...x }, y: { field: "step", ...y }, text: { field: "label" } },
          },
          { mark: { type: "text", fontSize: 10, color: "#888", align: "left" }, encoding: { x: { datum: -0.72, ...x }, y: { field: "step", ...y }, text: { field: "time" } } },
        ],
      },
    ],
  };
}
