/**
 * What a lecture looks like in a real browser (Debian's Chromium, headless, via
 * playwright-core): the checks behind test/notebooks.test.ts's browser tests.
 * A chart counts only when its marks are drawn in the page, never because an
 * .ipynb holds an SVG.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Browser, Page, chromium } from "playwright-core";
import { ROOT } from "./helpers";

export const ARTIFACTS = join(ROOT, "build", "test-artifacts");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}

/** A page opened and watched: every console error, uncaught exception and failed request. */
export interface Visit {
  page: Page;
  problems: string[];
}

export async function visit(browser: Browser, url: string): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed request: ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: "load" });
  return { page, problems };
}

/**
 * The charts on a page that are not drawn: no SVG, an SVG with no path holding a
 * drawing, or (if it is on screen: a deck hides the slides not shown) a chart that
 * takes no room. Lesson pages draw charts live with vega-embed: this waits until
 * each chart with a spec has been redrawn.
 */
export async function undrawnCharts(page: Page, options: { live: boolean }): Promise<string[]> {
  if (options.live) {
    await page.waitForFunction(
      `document.querySelectorAll(".applayer-chart-live").length === document.querySelectorAll(".applayer-chart script.applayer-vegalite").length`,
      undefined,
      { timeout: 30_000 },
    );
  }
  return page.evaluate(`[...document.querySelectorAll(".applayer-chart, .applayer-steps")].flatMap((box, i) => {
    const svg = box.querySelector("svg");
    if (!svg) return ["chart " + (i + 1) + ": no SVG"];
    const drawn = [...svg.querySelectorAll("path, line")].filter((p) => (p.getAttribute("d") || p.getAttribute("x2") || "").length > 0).length;
    const r = svg.getBoundingClientRect();
    if (drawn === 0) return ["chart " + (i + 1) + ": an SVG with no marks (" + svg.textContent.slice(0, 60) + ")"];
    const onScreen = svg.checkVisibility ? svg.checkVisibility() : true;
    if (onScreen && (r.width < 50 || r.height < 30)) return ["chart " + (i + 1) + ": drawn " + r.width + "x" + r.height + " px"];
    return [];
  })`) as Promise<string[]>;
}

/** Saves a screenshot of the first chart of a page as a test artifact (build/test-artifacts/NAME.png). */
export async function saveChartShot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const chart = page.locator(".applayer-chart svg, .applayer-steps svg").first();
  if ((await chart.count()) > 0) await chart.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Which top-level slide a deck shows now (reveal.js marks it `present`). */
export function currentSlide(page: Page): Promise<number> {
  return page.evaluate(`[...document.querySelectorAll(".reveal .slides > section")].findIndex((s) => s.classList.contains("present"))`) as Promise<number>;
}

/**
 * The code and text blocks of a deck that run past their slide's right edge with
 * no way to scroll to the rest, as "slide H/V: its first line". Each slide is
 * shown in turn (reveal.js lays out only the slides near the current one) and
 * each <pre> on it measured: it must fit, or scroll sideways, and stay inside
 * the slide.
 */
export async function overflowingCode(page: Page): Promise<string[]> {
  const slides = (await page.evaluate(`[...document.querySelectorAll(".reveal .slides > section")].map((top) => Math.max(1, top.querySelectorAll(":scope > section").length))`)) as number[];
  const slide = (h: number, v: number) => `(() => {
    const top = document.querySelectorAll(".reveal .slides > section")[${h}];
    const subs = top.querySelectorAll(":scope > section");
    return subs.length ? subs[${v}] : top;
  })()`;
  const found: string[] = [];
  for (const [h, count] of slides.entries()) {
    for (let v = 0; v < count; v++) {
      await page.evaluate(`location.hash = "#/${h}/${v}"`);
      await page.waitForFunction(`${slide(h, v)}.classList.contains("present")`);
      found.push(...((await page.evaluate(`(() => {
        const slide = ${slide(h, v)};
        const edge = slide.getBoundingClientRect().right;
        return [...slide.querySelectorAll("pre")].filter((pre) => !pre.closest("aside.notes")).flatMap((pre) => {
          const scrolls = ["auto", "scroll"].includes(getComputedStyle(pre).overflowX);
          const cut = (pre.scrollWidth > pre.clientWidth + 1 && !scrolls) || pre.getBoundingClientRect().right > edge + 1;
          return cut ? ["slide ${h}/${v}: " + JSON.stringify(pre.textContent.trim().split("\\n")[0].slice(0, 60))] : [];
        });
      })()`)) as string[]));
    }
  }
  return found;
}
