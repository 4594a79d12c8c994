/**
 * What the students' release keeps of the speaker notes: every "ask the room"
 * question of every lesson, with its answer folded in a closed <details>, and not
 * one talking point. The instructor's version and an executed lesson (what the
 * decks are made from) keep the notes as they are, beside the questions; a lesson
 * page's view does not.
 */
import { describe, expect, it } from "vitest";
import { basename } from "node:path";
import { Cell, Notebook, readNotebook, sourceOf } from "../../lib/src/course/notebook";
import { inlineHtml, questionCell, roomQuestions } from "../../lib/src/course/notes";
import { releaseNotebook } from "../../lib/src/course/release";
import { listNotebooks } from "../../scripts/notebooks";

const slideType = (c: Cell) => (c.metadata as { slideshow?: { slide_type?: string } }).slideshow?.slide_type;
const notesOf = (nb: Notebook) => nb.cells.filter((c) => slideType(c) === "notes").map(sourceOf);
/** The text a reader sees of the notes' inline Markdown, or of HTML. */
const plain = (s: string) => s.replace(/<[^>]+>|`|\*\*/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
const paragraphs = (text: string) => text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
/** The notes' paragraphs by role, read the way the notes are written: "Ask…:" a question, "Answer:" right after it its answer. */
function parts(notes: string[]): { asked: Array<{ question: string; answer?: string }>; talk: string[] } {
  const asked: Array<{ question: string; answer?: string }> = [];
  const talk: string[] = [];
  for (const ps of notes.map(paragraphs)) {
    ps.forEach((p, i) => {
      if (/^Ask( the room)?: /.test(p)) asked.push({ question: p.replace(/^Ask( the room)?: /, ""), answer: ps[i + 1]?.startsWith("Answer: ") ? ps[i + 1].slice("Answer: ".length) : undefined });
      else if (!(p.startsWith("Answer: ") && /^Ask( the room)?: /.test(ps[i - 1] ?? ""))) talk.push(p);
    });
  }
  return { asked, talk };
}

describe.each(listNotebooks().map((p) => [basename(p, ".ipynb"), p]))("%s", (_name, path) => {
  const source = readNotebook(path);
  const { asked, talk } = parts(notesOf(source));

  it("asks the room questions in its speaker notes, and answers every one", () => {
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked.filter((q) => !q.answer)).toEqual([]);
  });

  it("its students' release shows every question, its answer folded in a closed <details>, and no speaker notes or talking point", () => {
    const released = releaseNotebook(source);
    expect(notesOf(released)).toEqual([]);
    const shown = released.cells.filter((c) => c.cell_type === "markdown").map(sourceOf).join("\n\n");
    for (const q of asked) {
      // The question in view, then at once the answer inside <details>, which has no `open`: folded until the student opens it.
      const opening = `**Question:** ${q.question}\n\n<details><summary>Answer</summary>`;
      expect(shown).toContain(opening);
      const folded = shown.slice(shown.indexOf(opening) + opening.length, shown.indexOf("</details>", shown.indexOf(opening)));
      expect(plain(folded)).toBe(plain(q.answer!));
    }
    expect(shown.match(/<details>/g)?.length).toBe(asked.length);
    const everything = released.cells.map(sourceOf).join("\n");
    expect(talk.length).toBeGreaterThan(0);
    expect(talk.filter((t) => everything.includes(t))).toEqual([]);
    // Each question cell sits where its notes were, on the slide (not in the speaker view).
    const questionCells = released.cells.filter((c) => sourceOf(c).startsWith("**Question:** "));
    expect(questionCells.map(slideType)).toEqual(questionCells.map(() => "-"));
    expect(released.cells.length).toBe(source.cells.length - notesOf(source).length + questionCells.length);
  });

  it("its instructor's version and its executed lesson keep the speaker notes as they are, and show the same questions", () => {
    const students = releaseNotebook(source).cells.filter((c) => sourceOf(c).startsWith("**Question:** ")).map(sourceOf);
    expect(students.length).toBeGreaterThan(0);
    for (const options of [{ solutions: true }, { keepOutputs: true }]) {
      const kept = releaseNotebook(source, options);
      expect(notesOf(kept)).toEqual(notesOf(source));
      expect(kept.cells.filter((c) => sourceOf(c).startsWith("**Question:** ")).map(sourceOf)).toEqual(students);
    }
  });

  it("a lesson page's view (outputs kept, speakerNotes false) has the questions and no speaker notes", () => {
    const page = releaseNotebook(source, { keepOutputs: true, speakerNotes: false });
    expect(notesOf(page)).toEqual([]);
    expect(page.cells.filter((c) => sourceOf(c).startsWith("**Question:** ")).map(sourceOf)).toEqual(releaseNotebook(source).cells.filter((c) => sourceOf(c).startsWith("**Question:** ")).map(sourceOf));
  });
});

describe("which paragraphs of a notes cell students get", () => {
  const notes = (text: string, id?: string): Cell => ({ id, cell_type: "markdown", metadata: { slideshow: { slide_type: "notes" } }, source: text });

  it("a question with **Ask:** in bold, or Ask the room:, and an **Answer:** in bold", () => {
    expect(roomQuestions("Point at it.\n\n**Ask:** why?\n\n**Answer:** because.\n\nAsk the room: who?\n\nAnswer: us.")).toEqual([
      { question: "why?", answer: "because." },
      { question: "who?", answer: "us." },
    ]);
  });

  it("an Answer: that does not follow its question at once is a talking point; a question without one shows no <details>", () => {
    expect(roomQuestions("Ask: why?\n\nTalk first.\n\nAnswer: late.")).toEqual([{ question: "why?", answer: undefined }]);
    expect(sourceOf(questionCell(notes("Ask: why?\n\nTalk first.\n\nAnswer: late."))!)).toBe("**Question:** why?");
  });

  it("the answer is HTML on one line inside <details> (nbconvert would show Markdown there as it is), its text escaped", () => {
    expect(sourceOf(questionCell(notes("Ask: which tag?\n\nAnswer: `<script>` & **not**\n*this* \\*one\\*."))!)).toBe(
      "**Question:** which tag?\n\n<details><summary>Answer</summary><p><code>&lt;script&gt;</code> &amp; <strong>not</strong> <em>this</em> *one*.</p></details>",
    );
    expect(inlineHtml("`\\Seen` and `a*b*c`")).toBe("<code>\\Seen</code> and <code>a*b*c</code>");
  });

  it("'Ask the room to …' inside a talking point is no question, and notes that ask nothing leave no cell", () => {
    expect(roomQuestions("Ask the room to classify 250 and 550 before running the check.")).toEqual([]);
    expect(questionCell(notes("Show the cut-off message first."))).toBeUndefined();
  });

  it("the question cell gets an id of its own, derived from the notes cell's (nbformat 4.5 ids are unique), and none when the notes have none", () => {
    expect(questionCell(notes("Ask: why?\n\nAnswer: because.", "8677a581"))!.id).toBe("8677a581-ask");
    expect("id" in questionCell(notes("Ask: why?\n\nAnswer: because."))!).toBe(false);
  });

  it("paragraphs are separated by a blank line, even one holding spaces; lines of one paragraph stay together", () => {
    expect(roomQuestions("Ask: why\nnot?\n  \nAnswer: one\ntwo.")).toEqual([{ question: "why\nnot?", answer: "one\ntwo." }]);
  });
});
