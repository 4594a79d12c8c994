/**
 * The question the site's index shows for each lesson: the first sentence of its
 * first cell that asks, whole, even when it holds a domain name's dots.
 */
import { describe, expect, it } from "vitest";
import { basename } from "node:path";
import { firstQuestion, indexPage, lessonHeading } from "../../scripts/export";
import { listNotebooks } from "../../scripts/notebooks";

describe("firstQuestion", () => {
  it.each([
    ["The question. When dig asks for the mail servers of cs.umass.edu, what bytes leave the machine?", "When dig asks for the mail servers of cs.umass.edu, what bytes leave the machine?"],
    ["It takes 3.2 s. Why not 3?", "Why not 3?"],
    ["No question here. None at all.", ""],
    ["First line ends here.\nDoes the second ask? Yes.", "Does the second ask?"],
    ["Really?! Then what?", "Then what?"],
  ])("%j → %j", (text, question) => expect(firstQuestion(text)).toBe(question));
});

describe("the site's index", () => {
  const lessons = listNotebooks().map((p) => ({ name: basename(p, ".ipynb"), ...lessonHeading(p) }));

  it("shows lesson 34's question whole, from its first word to its question mark", () => {
    const l34 = lessons.find((l) => l.name.startsWith("34"))!;
    expect(l34.question).toBe("When dig asks for the mail servers of cs.umass.edu, what bytes leave the machine, and what bytes come back?");
    expect(indexPage([{ ...l34, captures: [] }])).toContain(`<span class="q">${l34.question}</span>`);
  });

  it.each(lessons.map((l) => [l.name, l.question]))("%s: a question that starts a sentence and ends in a question mark", (_name, question) => {
    expect(question).toMatch(/^[A-Z].*\?$/);
  });
});
