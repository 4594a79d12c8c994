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

/** The WCAG levels a lecture's pages are held to: 2.0 and 2.1, A and AA (axe-core's tags). */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const AXE_SOURCE = join(ROOT, "node_modules", "axe-core", "axe.min.js");

/** One rule a page breaks, as axe-core reports it: the rule, and where (up to three elements). */
export interface AxeViolation {
  id: string;
  nodes: number;
  where: string[];
}

/**
 * Runs axe-core in the page, on the rules of {@link WCAG_TAGS}, and returns what
 * it breaks (an empty list when it passes). Frames are checked too: a sandboxed
 * iframe (showHtml's) runs no script, so axe judges it from outside.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  return page.evaluate(`axe.run(document, { runOnly: { type: "tag", values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ["violations"] })
    .then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.length, where: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary.split("\\n").slice(1, 2).join("")) })))`) as Promise<AxeViolation[]>;
}

/**
 * The chart pictures on a page without a text alternative: each SVG of a chart or
 * exchange must be one image (role="img") with a name and a description, read the
 * way assistive technology reads them (aria-labelledby / aria-describedby, or
 * aria-label and a <title>/<desc> child).
 */
export async function chartsWithoutAlternative(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll(".applayer-chart svg, .applayer-steps svg")].filter((svg) => !svg.parentElement.closest("svg")).flatMap((svg, i) => {
    const byIds = (attr) => (svg.getAttribute(attr) || "").split(/\\s+/).filter(Boolean).map((id) => document.getElementById(id)?.textContent || "").join(" ").trim();
    const child = (tag) => svg.querySelector(":scope > " + tag)?.textContent.trim() || "";
    const name = byIds("aria-labelledby") || (svg.getAttribute("aria-label") || "").trim() || child("title");
    const description = byIds("aria-describedby") || (svg.getAttribute("aria-description") || "").trim() || child("desc");
    const missing = [svg.getAttribute("role") !== "img" && "role=img", !name && "a name", !description && "a description"].filter(Boolean);
    return missing.length ? ["chart " + (i + 1) + " (" + (name || svg.textContent.slice(0, 40)) + ") has no " + missing.join(", no ")] : [];
  })`) as Promise<string[]>;
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

/**
 * Shows every slide of a deck at once, stacked, fragments included: axe then checks
 * the whole deck in one run (it skips what is hidden, and reveal.js hides every
 * slide but one). For checking only; the deck is no longer a slideshow after it.
 */
export async function showAllSlides(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const style = document.createElement("style");
    style.textContent = ".reveal .slides, .reveal .slides section { display: block !important; position: static !important; transform: none !important; opacity: 1 !important; visibility: visible !important; height: auto !important; overflow: visible !important; }" +
      " .reveal .slides .fragment { opacity: 1 !important; visibility: visible !important; }";
    document.head.append(style);
    const sections = [...document.querySelectorAll(".reveal .slides section")];
    for (const s of sections) {
      s.hidden = false;
      s.removeAttribute("aria-hidden");
    }
    return sections.filter((s) => s.checkVisibility()).length;
  })()`) as Promise<number>;
}
