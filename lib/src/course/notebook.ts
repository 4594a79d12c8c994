import { readFileSync } from "node:fs";
import { AppLayerError } from "../errors";

/**
 * A Jupyter notebook as nbformat 4 stores it, with the parts the course tools
 * read and write. Pure data: read with {@link parseNotebook}, write with
 * {@link formatNotebook} (Jupyter's own layout: one-space indent, a final newline).
 */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown> & { kernelspec?: { name?: string; display_name?: string; language?: string } };
  nbformat: number;
  nbformat_minor: number;
}

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface Cell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown> & { nbgrader?: NbgraderMetadata; editable?: boolean; deletable?: boolean };
  outputs?: Output[];
  execution_count?: number | null;
}

/** nbgrader's cell metadata, schema version 3. */
export interface NbgraderMetadata {
  schema_version?: number;
  grade?: boolean;
  solution?: boolean;
  locked?: boolean;
  task?: boolean;
  grade_id?: string;
  points?: number;
  checksum?: string;
}

/** The kernel every lesson notebook runs on: the project's tslab. */
export const TSLAB_KERNEL = "tslab";

/** A cell's source as one string (nbformat allows a string or a list of lines). */
export const sourceOf = (cell: Pick<Cell, "source">): string => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);

/** The source as nbformat's list of lines, each keeping its newline. */
export const sourceLines = (text: string): string[] => text.split(/(?<=\n)/).filter((l) => l.length > 0);

/** A text output (stream or text/plain) as one string. */
export const textOf = (v: unknown): string => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

/** What is wrong with a cell's nbgrader metadata (a field of the wrong type), if anything. */
function nbgraderProblem(m: unknown): string | undefined {
  if (m === undefined) return undefined;
  if (typeof m !== "object" || m === null || Array.isArray(m)) return "is not an object";
  const fields = m as Record<string, unknown>;
  for (const flag of ["grade", "solution", "locked", "task"]) if (fields[flag] !== undefined && typeof fields[flag] !== "boolean") return `has ${flag} = ${JSON.stringify(fields[flag])}, not true or false`;
  for (const text of ["grade_id", "checksum"]) if (fields[text] !== undefined && typeof fields[text] !== "string") return `has ${text} = ${JSON.stringify(fields[text])}, not a string`;
  for (const num of ["points", "schema_version"]) if (fields[num] !== undefined && !(typeof fields[num] === "number" && Number.isFinite(fields[num]))) return `has ${num} = ${JSON.stringify(fields[num])}, not a number`;
  return undefined;
}

/**
 * Parses notebook JSON, refusing what is not an nbformat 4 notebook (or has
 * nbgrader metadata of the wrong types) with a clear error (code NOTEBOOK)
 * naming `where`.
 *
 * @example const nb = parseNotebook(readFileSync(path, "utf8"), path);
 */
export function parseNotebook(json: string, where = "notebook"): Notebook {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch (e) {
    throw new AppLayerError("NOTEBOOK", `${where} is not JSON (${(e as Error).message}); is it the .ipynb file Jupyter saved?`, { where });
  }
  const n = nb as Partial<Notebook>;
  if (typeof n !== "object" || n === null) throw new AppLayerError("NOTEBOOK", `${where} is not a Jupyter notebook`, { where });
  if (n.nbformat !== 4) throw new AppLayerError("NOTEBOOK", `${where} is nbformat ${String(n.nbformat)}; only nbformat 4 (Jupyter Notebook 5 and later) is read`, { where });
  if (!Array.isArray(n.cells)) throw new AppLayerError("NOTEBOOK", `${where} has no cells: it is not a Jupyter notebook`, { where });
  for (const [i, c] of n.cells.entries()) {
    if (typeof c !== "object" || c === null || !["code", "markdown", "raw"].includes((c as Cell).cell_type) || (typeof (c as Cell).source !== "string" && !Array.isArray((c as Cell).source))) {
      throw new AppLayerError("NOTEBOOK", `${where}: cell ${i + 1} is not a notebook cell`, { where, cell: i + 1 });
    }
    (c as Cell).metadata ??= {};
    const wrong = nbgraderProblem((c as Cell).metadata.nbgrader);
    if (wrong) throw new AppLayerError("NOTEBOOK", `${where}: cell ${i + 1}'s nbgrader metadata ${wrong}`, { where, cell: i + 1 });
  }
  return { ...(n as Notebook), metadata: n.metadata ?? {}, nbformat_minor: n.nbformat_minor ?? 5 };
}

/** Reads and parses a notebook file; see {@link parseNotebook}. */
export function readNotebook(path: string): Notebook {
  return parseNotebook(readFileSync(path, "utf8"), path);
}

/** A notebook as Jupyter writes it. */
export function formatNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}

/** A deep copy (notebooks are plain JSON). */
export const cloneNotebook = (nb: Notebook): Notebook => JSON.parse(JSON.stringify(nb)) as Notebook;
