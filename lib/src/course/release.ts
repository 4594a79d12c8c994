import { BEGIN_SOLUTION, END_SOLUTION, NBGRADER_SCHEMA_VERSION, STUB_LINES, computeChecksum, isGrade, isLocked, isSolution, regions, replaceRegions, withoutHiddenTests } from "./format";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Notebook, cloneNotebook, formatNotebook, readNotebook, sourceLines, sourceOf } from "./notebook";

/**
 * The student's version of a lesson notebook (nbgrader's "generate assignment"):
 * each solution region becomes a stub that keeps the function's signature and
 * throws "not implemented yet"; hidden tests are removed; outputs are cleared;
 * locked cells cannot be edited or deleted in the Notebook; every exercise cell
 * carries schema version 3 metadata and its checksum. With `solutions`, the
 * instructor's version: everything kept, outputs cleared, checksums written.
 * With `keepOutputs`, an executed notebook keeps its outputs (the lesson pages and
 * decks show the student's view of a lesson run with the reference solutions).
 * Speaker notes (slide type "notes") never reach students: they are dropped from
 * the students' version, and kept in the other two.
 *
 * @example writeFileSync(out, formatNotebook(releaseNotebook(readNotebook(source))));
 */
export function releaseNotebook(source: Notebook, options: { solutions?: boolean; keepOutputs?: boolean } = {}): Notebook {
  const nb = cloneNotebook(source);
  // Speaker notes are the instructor's (they answer the lesson's "Ask:" questions): the students' copy has none.
  // The instructor's version keeps them, and so does an executed lesson, which the decks show in their speaker view.
  if (!options.solutions && !options.keepOutputs) nb.cells = nb.cells.filter((c) => !isSpeakerNotes(c));
  for (const cell of nb.cells) {
    if (cell.cell_type === "code" && !options.keepOutputs) {
      cell.outputs = [];
      cell.execution_count = null;
    }
    const grader = cell.metadata.nbgrader;
    if (!grader) continue;
    let text = sourceOf(cell);
    if (!options.solutions && isSolution(cell)) text = replaceRegions(text, regions(text, BEGIN_SOLUTION, END_SOLUTION).regions, () => STUB_LINES);
    if (!options.solutions && isGrade(cell)) text = withoutHiddenTests(text);
    cell.source = sourceLines(text);
    grader.schema_version = NBGRADER_SCHEMA_VERSION;
    grader.locked = isLocked(cell);
    if (isLocked(cell)) {
      cell.metadata.editable = false;
      cell.metadata.deletable = false;
    }
    grader.checksum = computeChecksum(cell);
  }
  return nb;
}

/** A cell a deck shows only in its speaker view (Jupyter's slide type "notes"). */
const isSpeakerNotes = (cell: Notebook["cells"][number]): boolean =>
  (cell.metadata as { slideshow?: { slide_type?: string } }).slideshow?.slide_type === "notes";

/** The lesson notebooks of a folder (NN-topic.ipynb), in order. */
export const lessonNotebooks = (dir: string): string[] => readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort().map((f) => join(dir, f));

/** Releases every lesson notebook of `source` into `out`; returns the files written. */
export function releaseFolder(source: string, out: string, options: { solutions?: boolean } = {}): string[] {
  mkdirSync(out, { recursive: true });
  return lessonNotebooks(source).map((path) => {
    const dest = join(out, path.slice(path.lastIndexOf("/") + 1));
    writeFileSync(dest, formatNotebook(releaseNotebook(readNotebook(path), options)));
    return dest;
  });
}
