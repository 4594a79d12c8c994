/**
 * Executes notebooks headless through Jupyter (nbconvert + nbclient) with this
 * project's tslab kernel, and inspects the results. Used by `npm run lessons`
 * (scripts/lessons.ts) and by the test suite (test/notebooks.test.ts).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { withTempDir } from "../lib/src/lab/scratch";

export const ROOT = resolve(__dirname, "..");
export const NOTEBOOK_DIR = join(ROOT, "notebooks");
const PYTHON = "/usr/bin/python3"; // Debian's Jupyter lives here, not in a pyenv python3
const CELL_TIMEOUT_S = 300;

/** The lesson notebooks, in order (NN-topic.ipynb). */
export function listNotebooks(): string[] {
  return readdirSync(NOTEBOOK_DIR)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((f) => join(NOTEBOOK_DIR, f));
}

/** The environment Jupyter needs to find the project's kernelspec (never the user's global one). */
export function jupyterEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, JUPYTER_PATH: join(ROOT, ".jupyter", "share", "jupyter"), ...extra };
}

/** Runs `jupyter ARGS…` on Debian's Python, in the notebooks folder, and collects what it prints. */
export function jupyter(args: string[], env: NodeJS.ProcessEnv = jupyterEnv()): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(PYTHON, ["-m", "jupyter", ...args], { env, cwd: NOTEBOOK_DIR });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

export interface Execution {
  notebook: string;
  ok: boolean;
  /** Where the executed notebook was written. */
  executed: string;
  seconds: number;
  /** nbconvert's output: on failure, the failing cell and its error. */
  log: string;
}

/**
 * Executes one notebook into `outDir`. Self-checks run strict (a ✗ fails the cell),
 * so the reference solutions must pass their own checks. `env` reaches the kernel.
 */
export async function executeNotebook(notebook: string, outDir: string, env: Record<string, string> = {}): Promise<Execution> {
  mkdirSync(outDir, { recursive: true });
  const start = Date.now();
  const args = ["nbconvert", "--to", "notebook", "--execute", `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`, "--output-dir", outDir, notebook];
  const kernelEnv = jupyterEnv({ APPLAYER_STRICT_CHECKS: "1", APPLAYER_HEADLESS: "1", ...env });
  const { code, output } = await jupyter(args, kernelEnv);
  const seconds = (Date.now() - start) / 1000;
  return { notebook, ok: code === 0, executed: join(outDir, basename(notebook)), seconds, log: code === 0 ? output : `${output}\n${await tslabError(args, kernelEnv)}` };
}

/**
 * tslab reports a failing cell to nbconvert with an empty message and writes the
 * real one (a TypeScript diagnostic or a stack trace) to the cell's stderr. To
 * say what went wrong, run once more with --allow-errors and fetch that text.
 */
function tslabError(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return withTempDir("applayer-nb-error", async (dir) => {
    await jupyter([...args.filter((a, i) => a !== "--output-dir" && args[i - 1] !== "--output-dir"), "--allow-errors", "--output-dir", dir], env);
    const cells = readCells(join(dir, basename(args[args.length - 1])));
    for (const [i, cell] of cells.entries()) {
      // tslab writes a type error as "3:7 - Type … is not assignable …", a runtime one as a stack: any stderr.
      const err = (cell.outputs ?? []).find((o) => o.output_type === "stream" && (o as { name?: string }).name === "stderr" && mimeText(o.text).trim());
      if (err) return `tslab's message for cell ${i + 1}:\n${mimeText(err.text).slice(0, 2000)}`;
    }
    return "(tslab wrote no error text)";
  });
}

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[]; nbgrader?: Record<string, unknown>; slideshow?: { slide_type?: string } };
  outputs?: Array<{ output_type: string; data?: Record<string, unknown>; text?: string | string[] }>;
}

/** A notebook file, parsed. */
export function readNotebook(path: string): { cells: Cell[]; metadata: Record<string, unknown> } {
  return JSON.parse(readFileSync(path, "utf8")) as { cells: Cell[]; metadata: Record<string, unknown> };
}

/** The cells of a notebook file. */
export function readCells(path: string): Cell[] {
  return readNotebook(path).cells;
}

export const sourceOf = (c: Cell): string => (Array.isArray(c.source) ? c.source.join("") : c.source);

/** nbformat stores a text MIME bundle either as one string or as a list of lines. */
const mimeText = (v: unknown): string => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

/**
 * Problems with the charts of an executed notebook: a cell that calls show() but
 * produced no SVG, or a chart without its SVG or without its PNG (what an
 * untrusted notebook shows) unless its caption says why it has none.
 */
export function chartProblems(executed: string): string[] {
  const problems: string[] = [];
  readCells(executed).forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    const svgs = outputs.filter((o) => mimeText(o.data?.["image/svg+xml"]).includes("<svg"));
    const calls = (sourceOf(cell).match(/\bshow\(/g) ?? []).length;
    if (svgs.length < calls) problems.push(`cell ${i + 1} calls show() ${calls}× but has ${svgs.length} SVG output(s)`);
    for (const o of outputs) {
      if (!o.data || !Object.keys(o.data).some((k) => k.startsWith("application/vnd.vegalite"))) continue;
      if (!mimeText(o.data["image/svg+xml"]).includes("<svg")) problems.push(`cell ${i + 1} has a Vega-Lite output without SVG`);
      const png = o.data["image/png"];
      if (!(typeof png === "string" && png.startsWith("iVBORw0KGgo")) && !/too big for a PNG/.test(mimeText(o.data["text/plain"]))) {
        problems.push(`cell ${i + 1} has a chart without its PNG (an untrusted notebook would show no chart)`);
      }
    }
  });
  return problems;
}
