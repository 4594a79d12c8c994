/**
 * The bridge to the tslab kernel. tslab's public `display.raw(mime, data)` sends
 * one MIME type as a string; a chart needs a bundle (SVG for every front end plus
 * the Vega-Lite JSON object for front ends that render it live). So this module
 * calls the writer tslab keeps for the running cell, `tslab/dist/jupyter`'s
 * `lastWriteDisplayData` (tslab 1.0.22, pinned in package.json). It works because
 * the project's kernelspec runs the project's own tslab: one install, one module.
 */
interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}
type WriteDisplay = (content: DisplayContent, update: boolean) => void;

function writer(): WriteDisplay | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: WriteDisplay | null };
    return jupyter.lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
}

/** True inside a running tslab kernel cell; false in tests, scripts and the CLI. */
export function inKernel(): boolean {
  return writer() !== undefined;
}

/**
 * True when no one watches the notebook run: the lesson builds, the test suite
 * and the grader set APPLAYER_HEADLESS=1 for their kernels. Animations then go
 * straight to their last frame, which is all an executed notebook keeps.
 */
export function headless(): boolean {
  return process.env.APPLAYER_HEADLESS === "1";
}

/**
 * Sends one display bundle (MIME type → data, with per-type `metadata` such as an
 * image's display size) to the notebook. With `displayId`,
 * later calls with `update: true` replace that output in place. Returns false
 * when not running in a kernel, so callers can fall back to the console.
 */
export function displayBundle(data: Record<string, unknown>, options: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> } = {}): boolean {
  const write = writer();
  if (!write) return false;
  write({ data, metadata: options.metadata ?? {}, transient: options.displayId ? { display_id: options.displayId } : {} }, options.update ?? false);
  return true;
}
