import { BEGIN_SOLUTION, END_SOLUTION, NBGRADER_SCHEMA_VERSION, STUB_LINES, computeChecksum, isGrade, isLocked, isSolution, regions, replaceRegions, withoutHiddenTests } from "./format";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Notebook, cloneNotebook, formatNotebook, readNotebook, sourceLines, sourceOf } from "./notebook";
import { isSpeakerNotes, questionCell } from "./notes";

/**
 * The student's version of a lesson notebook (nbgrader's "generate assignment"):
 * each solution region becomes a stub that keeps the function's signature and
 * throws "not implemented yet"; hidden tests are removed; outputs are cleared;
 * locked cells cannot be edited or deleted in the Notebook; every exercise cell
 * carries schema version 3 metadata and its checksum. With `solutions`, the
 * instructor's version: everything kept, outputs cleared, checksums written.
 * With `keepOutputs`, an executed notebook keeps its outputs (the lesson pages and
 * decks show the student's view of a lesson run with the reference solutions).
 * Speaker notes (slide type "notes") are the instructor's: the students' version
 * drops them, the other two keep them (`speakerNotes` says otherwise: a lesson
 * page, unlike a deck, has no speaker view to hide them in). Each notes cell that asks the room a
 * question leaves, in all three, a Markdown cell in its place (before it, where it
 * stays) with the question, and its answer folded in a closed `<details>`
 * (lib/src/course/notes.ts says which paragraphs are questions and answers).
 *
 * @example writeFileSync(out, formatNotebook(releaseNotebook(readNotebook(source))));
 */
export function releaseNotebook(source: Notebook, options: { solutions?: boolean; keepOutputs?: boolean; speakerNotes?: boolean } = {}): Notebook {
  const nb = cloneNotebook(source);
  // Talking points are the instructor's: the students' copy has no notes cell, only each question with its answer folded.
  // The instructor's version keeps the notes, and so does an executed lesson, which the decks show in their speaker view.
  const keepNotes = options.speakerNotes ?? (options.solutions || options.keepOutputs);
  nb.cells = nb.cells.flatMap((c) => {
    if (!isSpeakerNotes(c)) return [c];
    const asked = questionCell(c);
    return [...(asked ? [asked] : []), ...(keepNotes ? [c] : [])];
  });
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
