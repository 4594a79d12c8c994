/**
 * The answers to a lesson's "ask the room" questions, folded, in its page and deck
 * as a browser shows them: each question in view, its answer in a <details> that
 * is closed until opened, and the deck's speaker view still holding the notes.
 * The page shows no speaker notes at all. Lesson 35 as the build gives it to
 * nbconvert (build.ts's studentView); not executed, as no output is looked at
 * here, so no kernel runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Browser } from "playwright-core";
import { formatNotebook, readNotebook, sourceOf } from "../../lib/src/course/notebook";
import { isSpeakerNotes, roomQuestions } from "../../lib/src/course/notes";
import { studentView } from "../../scripts/build";
import { copyAssets, exportPage, exportSlides } from "../../scripts/export";
import { listNotebooks } from "../../scripts/notebooks";
import { serveStatic } from "../../scripts/static-server";
import { axeViolations, launchChromium, showAllSlides, visit } from "../lectures";

const lesson = listNotebooks().find((p) => basename(p).startsWith("35-"))!;
const name = basename(lesson, ".ipynb");
const asked = readNotebook(lesson).cells.filter(isSpeakerNotes).flatMap((c) => roomQuestions(sourceOf(c)));
/** The answer about reflection floods, which students had lost with the notes. */
const BCP38 = asked.find((q) => q.answer?.startsWith("BCP 38"))!;

let dir: string;
let browser: Browser;
/** Opens a page or deck over HTTP (axe reads the style sheets, which a file opened from disk may not fetch); `close` stops its server too. */
async function opened(file: string) {
  const site = await serveStatic(dir);
  const visited = await visit(browser, `${site.url}${file}`);
  return { ...visited, close: async () => (await visited.page.close(), site.server.close()) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "applayer-answers-"));
  for (const kind of ["page", "deck"] as const) {
    const view = join(mkdtempSync(join(tmpdir(), `applayer-answers-${kind}-`)), `${name}.ipynb`);
    writeFileSync(view, formatNotebook(studentView(lesson, kind)));
    copyAssets(dir, kind === "page" ? "page" : "slides");
    const made = await (kind === "page" ? exportPage : exportSlides)(view, dir);
    expect(made.ok, made.log).toBe(true);
  }
  browser = await launchChromium();
}, 120_000);
afterAll(() => browser?.close());

describe("folded answers to the room's questions", () => {
  it("lesson 35 asks several questions, BCP 38 the answer to one", () => {
    expect(asked.length).toBeGreaterThanOrEqual(5);
    expect(BCP38.question).toMatch(/stop this at the source/);
  });

  it("the lesson page shows each question with its answer closed, opens it on a click, shows no talking point, and passes axe", { timeout: 120_000 }, async () => {
    const { page, problems, close } = await opened(`${name}.html`);
    const details = page.locator("details");
    expect(await details.count()).toBe(asked.length);
    expect(await page.locator("details[open]").count()).toBe(0);
    // Closed: the summary shows, the answer does not; the question stands outside, in view.
    const bcp = page.locator("details", { hasText: "BCP 38" });
    const answer = bcp.locator("p", { hasText: "BCP 38" });
    await expect.poll(() => answer.isVisible()).toBe(false);
    expect(await bcp.locator("summary").isVisible()).toBe(true);
    expect(await page.getByText(BCP38.question).isVisible()).toBe(true);
    await bcp.locator("summary").click();
    expect(await answer.isVisible()).toBe(true);
    // The speaker notes stay out of the page: it has no speaker view to hide them in.
    const text = (await page.locator("body").textContent()) ?? "";
    expect(text).not.toContain("Talking points");
    expect(text).not.toContain("Ask the room:");
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });

  it("the deck shows the same closed answers on its slides, and keeps the talking points in its speaker notes only, and passes axe", { timeout: 120_000 }, async () => {
    const { page, problems, close } = await opened(`${name}.slides.html`);
    await page.waitForFunction(`document.querySelector(".reveal.ready") !== null`, undefined, { timeout: 20_000 });
    const onSlides = ".reveal .slides details:not(aside.notes details)";
    expect(await page.locator(onSlides).count()).toBe(asked.length);
    expect(await page.locator(`${onSlides}[open]`).count()).toBe(0);
    const notes = (await page.locator("aside.notes").allTextContents()).join("\n");
    expect(notes).toContain("Talking points: DNS was built for a friendly network.");
    const slides = (await page.evaluate(`(() => {
      const copy = document.querySelector(".reveal .slides").cloneNode(true);
      for (const aside of copy.querySelectorAll("aside.notes")) aside.remove();
      return copy.textContent;
    })()`)) as string;
    expect(slides).not.toContain("Talking points");
    expect(slides).toContain(BCP38.question);
    // Last, as it ends the slideshow: every slide shown at once, axe finds nothing.
    expect(await showAllSlides(page)).toBe(await page.locator(".reveal .slides section").count());
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  });
});
