import { gradeIdOf, isLocked, isSolution, withoutHiddenTests } from "./format";
import { Cell, Notebook, cloneNotebook, sourceOf } from "./notebook";

/**
 * A submission made safe to grade, by grade id, against the source notebook
 * (nbgrader's "overwrite cells", and more): every locked cell is put back as the
 * source has it, hidden tests included, at its place in the source's order,
 * whether the student edited, retyped, moved, duplicated or deleted it; a
 * solution cell keeps the student's code but gets its metadata and cell type
 * back; cells the student added stay where they are. `notes` says what was put
 * right, for the grade's reasons and for `validate`'s warnings.
 */
export function sanitizeSubmission(submission: Notebook, source: Notebook): { notebook: Notebook; notes: string[] } {
  const notes: string[] = [];
  const sourceCells = source.cells;
  const sourceById = new Map(sourceCells.map((c, i) => [gradeIdOf(c) ?? "", i] as [string, number]));
  sourceById.delete("");
  // Positions in the source itself: a cell without an id (older nbformat, or one a tool added) must not shift the others'.
  const indexOfCellId = new Map(sourceCells.flatMap((c, i) => (c.id ? [[c.id, i] as [string, number]] : [])));
  const placed = new Set<string>();
  // Each kept cell with the source position it stands for; a cell the student added stands just after
  // the source cell before it (+0.5), so a locked cell put back at that position goes before it.
  const kept: Array<{ cell: Cell; at: number }> = [];
  let last = -1;
  for (const cell of submission.cells) {
    const id = gradeIdOf(cell);
    const at = id !== undefined ? sourceById.get(id) : undefined;
    if (at !== undefined) {
      const original = sourceCells[at];
      if (placed.has(id!)) {
        notes.push(`a second cell with grade id "${id}" was ${isLocked(original) ? "removed" : "kept as your own cell, not graded"}`);
        if (!isLocked(original)) kept.push({ cell: { ...cell, metadata: { ...cell.metadata, nbgrader: undefined } }, at: last + 0.5 });
        continue;
      }
      placed.add(id!);
      if (isLocked(original)) {
        last = at;
        continue; // put back below, in its place
      }
      if (isSolution(original)) {
        if (cell.cell_type !== original.cell_type) notes.push(`the solution cell "${id}" was turned back into a ${original.cell_type} cell`);
        kept.push({ cell: { ...cell, cell_type: original.cell_type, metadata: { ...cell.metadata, nbgrader: original.metadata.nbgrader }, outputs: [] }, at });
        last = at;
        continue;
      }
    }
    const byCellId = cell.id !== undefined ? indexOfCellId.get(cell.id) : undefined;
    if (byCellId !== undefined) last = byCellId;
    const { nbgrader: _dropped, ...metadata } = cell.metadata;
    kept.push({ cell: { ...cell, metadata, ...(cell.cell_type === "code" ? { outputs: [] } : {}) }, at: byCellId ?? last + 0.5 });
  }
  // Put every locked cell back, just after the last kept cell that stands before it in the source.
  sourceCells.forEach((original, at) => {
    if (!isLocked(original)) return;
    const id = gradeIdOf(original)!;
    const submitted = submission.cells.find((c) => gradeIdOf(c) === id);
    if (!submitted) notes.push(`the check cell "${id}" was missing and was put back`);
    else if (![sourceOf(original), withoutHiddenTests(sourceOf(original))].includes(sourceOf(submitted)) || submitted.cell_type !== original.cell_type) {
      notes.push(`the check cell "${id}" was changed and was put back as it was`);
    }
    let i = kept.length;
    while (i > 0 && kept[i - 1].at > at) i--;
    kept.splice(i, 0, { cell: cloneNotebook({ cells: [original], metadata: {}, nbformat: 4, nbformat_minor: 5 }).cells[0], at });
  });
  const notebook: Notebook = { ...cloneNotebook({ ...submission, cells: [] }), cells: kept.map((k) => k.cell), metadata: source.metadata };
  return { notebook, notes };
}
