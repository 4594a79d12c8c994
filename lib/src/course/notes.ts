import { Cell, sourceLines, sourceOf } from "./notebook";

/**
 * Speaker notes, and what of them reaches students. A notes cell (Jupyter's slide
 * type "notes") holds the instructor's talking points and the questions to ask the
 * room. The rule, in paragraphs (separated by a blank line):
 * - a paragraph that starts with `Ask:` or `Ask the room:` (bold or not) is a question;
 * - the paragraph right after it, if it starts with `Answer:`, is its answer;
 * - every other paragraph is a talking point, for the instructor only.
 */

/** One "ask the room" question of a notes cell, with its answer (undefined when the notes give none). */
export interface RoomQuestion {
  question: string;
  answer?: string;
}

const ASK = /^(?:\*\*)?Ask(?: the room)?:(?:\*\*)?\s+/;
const ANSWER = /^(?:\*\*)?Answer:(?:\*\*)?\s+/;

/** A cell a deck shows only in its speaker view (Jupyter's slide type "notes"). */
export const isSpeakerNotes = (cell: Pick<Cell, "metadata">): boolean =>
  (cell.metadata as { slideshow?: { slide_type?: string } }).slideshow?.slide_type === "notes";

/**
 * The questions of a notes cell's text, in order, each with the answer that follows it.
 *
 * @example roomQuestions("Talk.\n\nAsk: why?\n\nAnswer: because.") // [{ question: "why?", answer: "because." }]
 */
export function roomQuestions(notes: string): RoomQuestion[] {
  const paragraphs = notes.split(/\n[ \t]*\n/).map((p) => p.trim()).filter((p) => p.length > 0);
  const found: RoomQuestion[] = [];
  paragraphs.forEach((p, i) => {
    if (!ASK.test(p)) return;
    const next = paragraphs[i + 1];
    found.push({ question: p.replace(ASK, ""), answer: next && ANSWER.test(next) ? next.replace(ANSWER, "") : undefined });
  });
  return found;
}

/**
 * The student's side of a notes cell: a Markdown cell (shown on the slide, not in
 * the speaker view) with each question in view and its answer folded in a
 * `<details>` element, closed until opened; undefined when the notes ask nothing.
 * Talking points are left out.
 *
 * @example const asked = questionCell(notesCell); if (asked) cells.push(asked);
 */
export function questionCell(notes: Cell): Cell | undefined {
  const questions = roomQuestions(sourceOf(notes));
  if (!questions.length) return undefined;
  // The answer as HTML on one line: nbconvert 6's Markdown (mistune 0.8) passes an HTML block through untouched,
  // so Markdown inside <details> would show its backticks; the Notebook's own renderer reads the same line the same way.
  const text = questions
    .map((q) => `**Question:** ${q.question}` + (q.answer === undefined ? "" : `\n\n<details><summary>Answer</summary><p>${inlineHtml(q.answer)}</p></details>`))
    .join("\n\n");
  const cell: Cell = { cell_type: "markdown", metadata: { slideshow: { slide_type: "-" } }, source: sourceLines(text) };
  // nbformat 4.5 cell ids are unique in a notebook: derived from the notes cell's own.
  return notes.id === undefined ? cell : { id: `${notes.id}-ask`, ...cell };
}

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * The inline Markdown the notes use, as HTML: `code`, **strong**, *emphasis*,
 * backslash escapes, line breaks as spaces; everything else escaped, as text.
 *
 * @example inlineHtml("a `<b>` and **c**") // "a <code>&lt;b&gt;</code> and <strong>c</strong>"
 */
export function inlineHtml(markdown: string): string {
  return markdown
    .split(/(`[^`]*`)/)
    .map((part, i) => {
      if (i % 2 === 1) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part.replace(/\s*\n\s*/g, " "))
        .replace(/\*\*(\S(?:.*?\S)?)\*\*/g, "<strong>$1</strong>")
        .replace(/(^|[^*\\])\*(\S(?:.*?\S)?)\*/g, "$1<em>$2</em>")
        .replace(/\\([\\`*_{}[\]()#+\-.!])/g, "$1");
    })
    .join("");
}
