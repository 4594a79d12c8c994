import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { AppLayerError } from "../errors";
import { GRADING_LIMITS, GradingLimits } from "./grade";
import { Notebook, readNotebook } from "./notebook";

/**
 * What a grading run grades: the course's source notebooks and the students'
 * submissions in nbgrader's collect layout, and what can be refused about a
 * submission without running it. Below both the local grader (autograde.ts) and
 * the Redis queue (queue.ts).
 */

/** One submission to grade: SUBMISSIONS/<student>/<NN-topic>.ipynb, nbgrader's collect layout. */
export interface Submission {
  student: string;
  /** The notebook's name without .ipynb ("21-email-smtp"), or "-" for an empty folder. */
  notebook: string;
  /** The file, or undefined for an empty student folder. */
  path?: string;
}

/** The source notebooks of a course (NN-topic.ipynb in `dir`), by name. */
export function readSources(dir: string): Map<string, Notebook> {
  const sources = new Map<string, Notebook>();
  for (const f of readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort()) sources.set(basename(f, ".ipynb"), readNotebook(join(dir, f)));
  if (!sources.size) throw new AppLayerError("BAD_ARGUMENT", `no NN-topic.ipynb notebooks in ${dir}: --source names the folder of the course's notebooks`);
  return sources;
}

/** Every submission under `dir`, student by student; an empty student folder is one submission with no file. */
export function findSubmissions(dir: string, only?: string): Submission[] {
  if (!existsSync(dir)) throw new AppLayerError("BAD_ARGUMENT", `--submissions ${dir} does not exist`);
  const out: Submission[] = [];
  for (const student of readdirSync(dir).sort()) {
    const folder = join(dir, student);
    if (!statSync(folder).isDirectory() || (only && student !== only)) continue;
    const files = readdirSync(folder).filter((f) => f.endsWith(".ipynb")).sort();
    if (!files.length) out.push({ student, notebook: "-" });
    for (const f of files) out.push({ student, notebook: basename(f, ".ipynb"), path: join(folder, f) });
  }
  if (only && !out.length) throw new AppLayerError("BAD_ARGUMENT", `--student ${only}: no such folder in ${dir}`);
  return out;
}

/**
 * What can be told about a submission without running it: there is a file, it
 * answers a notebook of the course, it is not too big. Returns that source
 * notebook, or throws the GRADING error that says why not.
 */
export function checkSubmission(sub: Submission, sources: Map<string, Notebook>, limits: Partial<GradingLimits> = {}): Notebook {
  const max = limits.maxSubmissionBytes ?? GRADING_LIMITS.maxSubmissionBytes;
  if (!sub.path) throw new AppLayerError("GRADING", "the student's folder holds no .ipynb file");
  const source = sources.get(sub.notebook);
  if (!source) throw new AppLayerError("GRADING", `${basename(sub.path)} matches no notebook of the course (${[...sources.keys()].join(", ")}); was it renamed?`);
  const size = statSync(sub.path).size;
  if (size > max) throw new AppLayerError("GRADING", `the file is ${(size / 1048576).toFixed(1)} MiB, over the ${(max / 1048576).toFixed(0)} MiB limit; clear its outputs (Cell → All Output → Clear) and submit again`);
  return source;
}

