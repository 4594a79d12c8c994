/**
 * Every lesson notebook executes headless through Jupyter with the project's tslab
 * kernel (self-checks strict), every chart carries its SVG and PNG, and every
 * notebook has at least two graded exercises marked the nbgrader way and is
 * curated for slides. Then the lecture builds of those executed notebooks (the
 * lesson pages, the decks and the site, as `npm run site` makes them) are opened
 * in headless Chromium, served over HTTP, and decks from disk too, and checked
 * with axe-core against WCAG 2.0/2.1 A and AA, every chart with a text alternative.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import type { Server } from "node:http";
import { listNotebooks, readCells, sourceOf } from "../scripts/notebooks";
import { Built, buildPages, buildSite, buildSlides, executeLesson, layout } from "../scripts/build";
import { serveStatic } from "../scripts/static-server";
import { STEPS_MIME } from "../lib/src/charts/steps";
import { axeViolations, chartsWithoutAlternative, currentSlide, launchChromium, overflowingCode, saveChartShot, showAllSlides, undrawnCharts, visit } from "./lectures";
import { captureProblems, dissect } from "./tshark";
import { capturesOf } from "../scripts/export";
import { takeHeavySuiteTurn } from "./heavy";
import { lessonsUnderTest } from "./helpers";
import { pool } from "../lib/src/lab/pool";

// Many kernels at once: this suite takes its turn among the heavy ones (see test/heavy.ts).
takeHeavySuiteTurn("computes");

const notebooks = lessonsUnderTest(listNotebooks());
/** The lessons whose exchanges are saved as Wireshark captures (41 runs no protocol: it computes). */
const CAPTURED = ["01", "21", "22", "23", "31", "32", "33", "34", "35", "36", "42"].filter((n) => notebooks.some((p) => basename(p).startsWith(n)));
const names = notebooks.map((p) => basename(p, ".ipynb"));
const out = layout(mkdtempSync(join(tmpdir(), "applayer-build-")));
const built: Built[] = [];
const slideType = (c: ReturnType<typeof readCells>[number]) => c.metadata.slideshow?.slide_type;
/**
 * Every lesson's execution, one kernel per core as `npm run lessons` runs them:
 * started all together at the first test that asks, each awaited by its own test.
 */
let executions: Map<string, Promise<Built>> | undefined;
function executed(path: string): Promise<Built> {
  if (!executions) {
    const settle = new Map<string, [(b: Built) => void, (e: unknown) => void]>();
    executions = new Map(notebooks.map((p) => [p, new Promise<Built>((resolve, reject) => settle.set(p, [resolve, reject]))]));
    void pool(notebooks, availableParallelism(), (p) => executeLesson(p, out, { fresh: true }).then(...settle.get(p)!));
  }
  return executions.get(path)!;
}

describe("lesson notebooks", () => {
  it("exist", () => expect(notebooks.length).toBeGreaterThan(0));

  describe.each(notebooks.map((p) => [basename(p), p]))("%s", (_name, path) => {
    it("opens with a question and has at least two graded exercises with solution markers", () => {
      const cells = readCells(path);
      expect(cells[0].cell_type).toBe("markdown");
      expect(sourceOf(cells[0])).toMatch(/\?/);
      const solutions = cells.filter((c) => c.metadata.nbgrader?.solution === true);
      const graded = cells.filter((c) => c.metadata.nbgrader?.grade === true);
      expect(solutions.length).toBeGreaterThanOrEqual(2);
      expect(graded.length).toBeGreaterThanOrEqual(2);
      for (const c of solutions) expect(sourceOf(c)).toMatch(/\/\/ BEGIN SOLUTION[\s\S]*\/\/ END SOLUTION/);
      for (const c of graded) expect(sourceOf(c)).toMatch(/\bcheck\(/);
    });

    it("is curated for a lecture: the question on the first slide, each exercise on its own, speaker notes, no solution shown", () => {
      const cells = readCells(path);
      expect(cells.every((c) => slideType(c) !== undefined)).toBe(true);
      expect(slideType(cells[0])).toBe("slide");
      for (const c of cells.filter((x) => /^## Exercise/.test(sourceOf(x)))) expect(slideType(c)).toBe("slide");
      for (const c of cells.filter((x) => x.metadata.nbgrader?.solution)) expect(slideType(c)).toBe("skip");
      const notes = cells.filter((c) => slideType(c) === "notes");
      expect(notes.length).toBeGreaterThanOrEqual(3);
      expect(notes.some((c) => /Ask/.test(sourceOf(c)))).toBe(true);
    });

    it("executes through Jupyter + tslab without a failing cell, every chart with its SVG and PNG", { timeout: 300_000 }, async () => {
      const lesson = await executed(path);
      built.push(lesson);
      expect(lesson.problems).toEqual([]);
      expect(lesson.ok).toBe(true);
    });
  });
});

describe("the lecture builds, in headless Chromium", () => {
  let browser: Browser;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    expect(await buildPages(built, out)).toBe(0);
    expect(await buildSlides(built, out)).toBe(0);
    buildSite(built, out);
    ({ server, url: base } = await serveStatic(out.site));
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it.each(names)("the lesson page of %s draws every chart, loads everything it asks for, steps through exchanges, and passes axe (WCAG 2.1 AA)", { timeout: 60_000 }, async (name) => {
    const { page, problems } = await visit(browser, `${base}lessons/${name}.html`);
    expect(await undrawnCharts(page, { live: true })).toEqual([]);
    // Every chart, redrawn live, is one image with a name and a description; the page breaks no WCAG 2.0/2.1 A or AA rule.
    expect(await chartsWithoutAlternative(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await saveChartShot(page, name);
    for (const box of await page.locator(".applayer-steps").all()) {
      expect(await box.getAttribute("data-shown")).toBe("1");
      await box.locator("button", { hasText: "next" }).click();
      await box.locator("button", { hasText: "next" }).click();
      expect(await box.getAttribute("data-shown")).toBe("3");
      expect(await box.locator('g.step:not([style*="hidden"])').count()).toBe(3);
    }
    // Its captures are linked from the page, and served.
    for (const href of (await page.evaluate(`[...document.querySelectorAll('a[href^="captures/"]')].map((a) => a.href)`)) as string[]) {
      expect((await page.request.get(href)).status(), href).toBe(200);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it.each(CAPTURED)("lesson %s offers captures, and tshark dissects every packet of them cleanly", async (n) => {
    const name = names.find((x) => x.startsWith(n))!;
    const files = capturesOf(out.captures, name);
    expect(files.length).toBeGreaterThanOrEqual(1);
    for (const file of files) {
      const frames = await dissect(join(out.captures, file));
      expect(frames.length, file).toBeGreaterThan(3);
      expect(captureProblems(frames), file).toEqual([]);
    }
  });

  it("with scripts turned off, a lesson page still draws every chart (the kernel's SVG)", { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}lessons/${names.find((n) => n.startsWith("33"))}.html`);
    expect(await page.locator(".applayer-chart").count()).toBeGreaterThanOrEqual(3);
    expect(await undrawnCharts(page, { live: false })).toEqual([]);
    expect(await chartsWithoutAlternative(page)).toEqual([]);
    await context.close();
  });

  it.each(["21", "32", "42"])("lesson %s has an exchange to step through (SMTP, iterated resolution, the BitTorrent wire)", (n) => {
    const lesson = built.find((b) => b.name.startsWith(n));
    expect(lesson?.ok).toBe(true);
    const outputs = readCells(lesson!.executed).flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.data?.[STEPS_MIME]).length).toBeGreaterThanOrEqual(1);
  });

  it.each(names)("the deck of %s starts, advances, has speaker notes and a speaker view, offline, cuts off no code, and passes axe (WCAG 2.1 AA) on every slide", { timeout: 90_000 }, async (name) => {
    const { page, problems } = await visit(browser, `${base}slides/${name}.slides.html`);
    await page.waitForFunction(`document.querySelector(".reveal.ready") !== null`, undefined, { timeout: 20_000 });
    expect(await undrawnCharts(page, { live: false })).toEqual([]);
    expect(await page.locator("aside.notes").count()).toBeGreaterThanOrEqual(3);
    expect(await currentSlide(page)).toBe(0);
    await page.keyboard.press("ArrowRight");
    expect(await currentSlide(page)).toBe(1);
    // Step-through exchanges: one message more per press.
    const fragments = page.locator("g.step.fragment");
    if ((await fragments.count()) > 0) {
      const where = (await page.evaluate(`(() => {
        const top = document.querySelector("g.step.fragment").closest(".slides > section");
        const sub = document.querySelector("g.step.fragment").closest("section");
        return [[...document.querySelectorAll(".slides > section")].indexOf(top), Math.max(0, [...top.querySelectorAll(":scope > section")].indexOf(sub))];
      })()`)) as [number, number];
      await page.evaluate(`location.hash = "#/${where[0]}/${where[1]}"`);
      await page.waitForFunction(`document.querySelector("g.step.fragment").closest("section").classList.contains("present")`);
      for (let i = 1; i <= 3; i++) {
        await page.keyboard.press("Space");
        expect(await page.locator("g.step.fragment.visible").count()).toBe(i);
      }
    }
    // Every code block and printout fits its slide, wrapping or scrolling: none runs off the edge mid-word.
    expect(await overflowingCode(page)).toEqual([]);
    // The speaker view opens in its own window, with the current slide's notes: the question slide's.
    await page.evaluate(`location.hash = "#/0"`);
    await page.waitForFunction(`document.querySelector(".reveal .slides > section").classList.contains("present")`);
    const popup = page.context().waitForEvent("page");
    await page.keyboard.press("s");
    const speaker = await popup;
    await speaker.waitForFunction(`document.querySelector(".speaker-controls-notes .value") && document.querySelector(".speaker-controls-notes .value").textContent.length > 20`, undefined, { timeout: 20_000 });
    expect(await speaker.locator(".speaker-controls-notes .value").textContent()).toMatch(/Ask/);
    await speaker.close();
    // Last, as it ends the slideshow: every chart has a text alternative, and axe finds nothing on any slide, all shown at once.
    expect(await chartsWithoutAlternative(page)).toEqual([]);
    expect(await showAllSlides(page)).toBe(await page.locator(".reveal .slides section").count());
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
    // Opened from disk too: every asset is beside the deck.
    const fromDisk = await visit(browser, pathToFileURL(join(out.slides, `${name}.slides.html`)).href);
    await fromDisk.page.waitForFunction(`document.querySelector(".reveal.ready") !== null`, undefined, { timeout: 20_000 });
    expect(fromDisk.problems).toEqual([]);
    await fromDisk.page.close();
  });

  it("the site's index lists every lesson with its question, every link it has is served, and it passes axe (WCAG 2.1 AA)", { timeout: 60_000 }, async () => {
    const { page, problems } = await visit(browser, base);
    expect(await axeViolations(page)).toEqual([]);
    const rows = page.locator("tbody tr");
    expect(await rows.count()).toBe(names.length);
    expect(await rows.first().textContent()).toMatch(/\?/);
    const links = (await page.evaluate(`[...document.querySelectorAll("tbody a")].map((a) => a.href)`)) as string[];
    expect(links.filter((l) => l.endsWith(".html")).length).toBe(2 * names.length);
    for (const link of links) expect((await page.request.get(link)).status(), link).toBe(200);
    expect(problems).toEqual([]);
    await page.close();
  });
});
