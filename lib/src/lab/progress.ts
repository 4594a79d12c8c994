import { randomBytes } from "node:crypto";
import { displayBundle, inKernel } from "./kernel";

/** A progress display for long work; see {@link progress}. */
export interface Progress {
  /** Reports that `done` of `total` units are finished. Cheap to call often. */
  update(done: number): void;
  /** Draws the final state (100 %, or where it stopped) with the elapsed time. */
  finish(): void;
}

/** The bar as text: `[██████░░░░░░] 50%  5,000/10,000 pings  1.2 s`. */
export function progressBar(label: string, done: number, total: number, elapsedMs: number, width = 24): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  const bar = "█".repeat(full) + "░".repeat(width - full);
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  return `[${bar}] ${pct}  ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${label}  ${(elapsedMs / 1000).toFixed(1)} s`;
}

/**
 * Shows progress of long work as one output that updates in place (in a notebook),
 * or as one line on stderr that rewrites itself (in a terminal). Updates are
 * throttled, so calling `update` in a tight loop costs almost nothing.
 *
 * @example
 * const p = progress("queries", 1_000_000);
 * for (let i = 0; i < 1_000_000; i++) { work(); p.update(i + 1); }
 * p.finish();
 */
export function progress(label: string, total: number, options: { intervalMs?: number } = {}): Progress {
  const interval = options.intervalMs ?? 150;
  const start = Date.now();
  const displayId = randomBytes(8).toString("hex");
  let last = -Infinity;
  let current = 0;
  let shown = false;
  const draw = () => {
    const text = progressBar(label, current, total, Date.now() - start);
    const sent = displayBundle({ "text/plain": text }, { displayId, update: shown });
    if (!sent && process.stderr.isTTY) process.stderr.write(`\r${text}`);
    shown = true;
  };
  return {
    update(done: number) {
      current = done;
      const now = Date.now();
      if (now - last >= interval) {
        last = now;
        draw();
      }
    },
    finish() {
      draw();
      if (!inKernel() && process.stderr.isTTY) process.stderr.write("\n");
    },
  };
}
