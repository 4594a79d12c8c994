import { Trace } from "../lab/trace";
import { displayBundle, headless, inKernel } from "../lab/kernel";
import { randomBytes } from "node:crypto";
import { ROW_PX, diagramRows, diagramText } from "./sequence";
import { accessibleSvg } from "./describe";
import { renderPng } from "./png";

/**
 * The display type of a step-through exchange: its whole diagram as SVG, every
 * message a `<g class="step">`. Lesson pages add back/next buttons to it, and decks
 * make each message a reveal.js fragment (scripts/templates/).
 */
export const STEPS_MIME = "application/vnd.applayer.steps+svg";

const LEFT_PX = 70;
const TOP_PX = 60;
const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * Draws a trace as a sequence diagram in plain SVG, each message in its own
 * `<g class="step" data-step="N">` so it can be revealed one at a time. Steps past
 * `shown` are drawn hidden (they keep their place, so the picture does not jump).
 *
 * @example writeFileSync("smtp.svg", stepSvg(trace, { title: "SMTP", shown: 3 }));
 */
export function stepSvg(trace: Trace, options: { title?: string; maxEntries?: number; shown?: number } = {}): string {
  const { names, rows, columnPx } = diagramRows(trace, options.maxEntries);
  const shown = options.shown ?? rows.length;
  const width = LEFT_PX + columnPx * names.length;
  const height = TOP_PX + (rows.length + 1) * ROW_PX;
  const cx = (column: number) => LEFT_PX + columnPx * (column + 0.5);
  const y = (step: number) => TOP_PX + step * ROW_PX - ROW_PX / 2;
  const lifelines = names.map((name, i) =>
    `<line x1="${cx(i)}" y1="${TOP_PX - 12}" x2="${cx(i)}" y2="${height - 6}" stroke="#999" stroke-dasharray="4 3"/>` +
    `<text x="${cx(i)}" y="${TOP_PX - 18}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(name)}</text>`);
  const steps = rows.map((r) => {
    const at = y(r.step);
    const time = `<text x="8" y="${at + 4}" font-size="10" fill="#888">${r.time}</text>`;
    let body: string;
    if (r.note) {
      body = `<text x="${cx(r.x1) + 6}" y="${at + 4}" font-size="11" font-style="italic" fill="#b279a2">${escapeXml(r.label)}</text>`;
    } else {
      const [from, to] = [cx(r.x1), cx(r.x2)];
      const back = to > from ? -8 : 8;
      body =
        `<line x1="${from}" y1="${at}" x2="${to + back / 2}" y2="${at}" stroke="#4c78a8" stroke-width="1.5"/>` +
        `<path d="M${to},${at} l${back},-5 l0,10 z" fill="#4c78a8"/>` +
        `<text x="${(from + to) / 2}" y="${at - 7}" text-anchor="middle" font-size="11" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" fill="#222">${escapeXml(r.label)}</text>`;
    }
    return `<g class="step" data-step="${r.step}"${r.step > shown ? ' visibility="hidden"' : ""}>${time}${body}</g>`;
  });
  const text = diagramText(names, rows);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    options.title ? `<text x="8" y="20" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>` : "",
    ...lifelines,
    ...steps,
    "</svg>",
  ].join("\n");
  // The whole exchange, in words (WCAG 2.1 §1.1.1): a screen reader reads it all, whichever steps are shown.
  return accessibleSvg(svg, { name: options.title || "Sequence diagram", ...text });
}

/** A step-through display in a notebook; see {@link stepThrough}. */
export interface StepThrough {
  /** How many messages the exchange has. */
  readonly total: number;
  /** How many are shown now. */
  readonly shown: number;
  /** Shows `count` more messages (default one), in place. */
  next(count?: number): Promise<void>;
  /** Shows one message fewer. */
  back(): Promise<void>;
  /** Reveals the rest one message at a time, `intervalMs` apart (default 600); headless, at once. */
  play(options?: { intervalMs?: number }): Promise<void>;
}

/**
 * Shows a recorded exchange one message at a time: the first message now, and
 * one more each time you run `steps.next()` in a later cell, redrawn in place.
 * `await steps.play()` reveals the rest as an animation. In lesson pages the same
 * exchange gets back/next buttons, and in slides each message is a fragment.
 *
 * @example
 * const steps = await stepThrough(trace, { title: "SMTP, one reply at a time" });
 * await steps.next();   // in the next cell: the second message appears
 */
export async function stepThrough(trace: Trace, options: { title?: string; maxEntries?: number } = {}): Promise<StepThrough> {
  const total = Math.min(trace.entries.length, options.maxEntries ?? 40);
  const displayId = randomBytes(8).toString("hex");
  const all = stepSvg(trace, options);
  const lines = trace.transcript().split("\n");
  let shown = 0;
  let drawn = false;
  const draw = async (n: number) => {
    shown = Math.max(Math.min(n, total), Math.min(1, total));
    if (!inKernel()) return;
    const svg = stepSvg(trace, { ...options, shown });
    const png = await renderPng(svg);
    const data: Record<string, unknown> = { [STEPS_MIME]: all, "image/svg+xml": svg, "text/plain": `${lines.slice(0, shown).join("\n")}\n[message ${shown} of ${total}]` };
    if (png.png) data["image/png"] = png.png.toString("base64");
    displayBundle(data, { displayId, update: drawn, metadata: png.png ? { "image/png": { width: png.width, height: png.height } } : {} });
    drawn = true;
  };
  await draw(1);
  return {
    total,
    get shown() {
      return shown;
    },
    next: (count = 1) => draw(shown + count),
    back: () => draw(shown - 1),
    async play(o = {}) {
      if (headless()) return draw(total); // the saved notebook keeps only the last frame
      while (shown < total) {
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 600));
        await draw(shown + 1);
      }
    },
  };
}
