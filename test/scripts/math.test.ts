/**
 * Formulas in a lesson's Markdown ($…$ and $$…$$) are typeset by MathJax in the
 * lesson page and the deck, with MathJax's assistive MathML beside each one (what a
 * screen reader reads), and the page still passes axe. A notebook made here (no
 * kernel needed) carries lesson 41's own cell with the two formulas, as the lesson has it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { readNotebook, sourceOf } from "../../lib/src/course/notebook";
import { copyAssets, exportPage, exportSlides } from "../../scripts/export";
import { NOTEBOOK_DIR } from "../../scripts/notebooks";
import { serveStatic } from "../../scripts/static-server";
import { axeViolations, launchChromium, visit } from "../lectures";

/** Lesson 41's cell that states the two formulas, and how many formulas ($…$ and $$…$$) it holds. */
const CELL = readNotebook(join(NOTEBOOK_DIR, "41-p2p-distribution.ipynb")).cells.map(sourceOf).find((t) => t.includes("D_{cs}"))!;
const FORMULAS = CELL.match(/\$\$[^$]+\$\$|\$[^$]+\$/g) ?? [];

let dir: string;
let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "applayer-math-"));
  const slide = { slideshow: { slide_type: "slide" } };
  const path = join(dir, "97-math.ipynb");
  writeFileSync(path, JSON.stringify({
    cells: [
      { cell_type: "markdown", metadata: slide, source: "# 97 · Math: how long does distribution take?" },
      { cell_type: "markdown", metadata: slide, source: CELL },
    ],
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  }));
  copyAssets(dir, "page");
  copyAssets(dir, "slides");
  for (const made of [await exportPage(path, dir), await exportSlides(path, dir)]) expect(made.ok, made.log).toBe(true);
  ({ server, url: base } = await serveStatic(dir));
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  server?.close();
});

/** Waits until MathJax has typeset the page, then returns the assistive MathML of each formula, as text. */
async function typeset(page: Page): Promise<string[]> {
  await page.waitForFunction(`window.MathJax && MathJax.Hub && MathJax.isReady && MathJax.Hub.queue.pending === 0 && document.querySelectorAll(".MathJax_CHTML").length > 0`, undefined, { timeout: 30_000 });
  return page.evaluate(`[...document.querySelectorAll(".MJX_Assistive_MathML math")].map((m) => m.textContent)`) as Promise<string[]>;
}

describe("formulas in lesson pages and decks", () => {
  it.each([["page", "97-math.html"], ["deck", "97-math.slides.html"]])("the %s typesets every formula, each with MathML a screen reader reads", { timeout: 60_000 }, async (_kind, file) => {
    const { page, problems } = await visit(browser, `${base}${file}`);
    const maths = await typeset(page);
    expect(FORMULAS.length).toBeGreaterThanOrEqual(10); // the two bounds and the symbols the prose names
    expect(maths).toHaveLength(FORMULAS.length);
    // Our configuration ran (a slip in it would leave MathJax on its defaults, silently).
    expect(await page.evaluate(`[MathJax.Hub.config.extensions.includes("AssistiveMML.js"), MathJax.Hub.config.menuSettings.assistiveMML]`)).toEqual([true, true]);
    expect(maths.map((m) => m.replace(/\s/g, ""))).toContain("Dcs=max{NFus,Fdmin}");
    // The TeX source is gone from the text: MathJax replaced it.
    expect(await page.evaluate(`document.body.innerText.includes("\\\\frac")`)).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
