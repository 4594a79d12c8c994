/**
 * Turns executed lesson notebooks into what a lecture shows: lesson pages (charts
 * drawn live by vega-embed over the kernel's SVG) and reveal.js decks, each folder
 * with its own assets/ so it works offline, opened from disk or served over HTTP.
 *
 * Debian's nbconvert needs three things undone, all done here:
 *  - its templates strip every <path> from SVG outputs: our templates
 *    (scripts/templates/) show the kernel's outputs as they are;
 *  - it points require.js, jQuery and MathJax at file:///usr/share/javascript/…,
 *    which a page served over HTTP may not load: they are copied beside the page
 *    from npm and given relative URLs;
 *  - reveal.js comes from a CDN by default: npm's reveal.js 5 is copied instead
 *    (its template loads dist/reveal.js and plugin/notes/notes.js; reveal.js 6
 *    moved the notes plugin).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT, jupyter, readNotebook } from "./notebooks";

const TEMPLATES = join(ROOT, "scripts", "templates");
const NODE_MODULES = join(ROOT, "node_modules");

/** What each kind of output folder copies into its assets/: [from under node_modules or templates/assets, to]. */
const MATHJAX = ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff", "localization/en"];
const COMMON_ASSETS: Array<[string, string]> = [
  ["requirejs/require.js", "require.js"],
  ["jquery/dist/jquery.min.js", "jquery.min.js"],
  ...MATHJAX.map((p): [string, string] => [`mathjax/${p}`, `mathjax/${p}`]),
];
const PAGE_ASSETS: Array<[string, string]> = [
  ...COMMON_ASSETS,
  ["vega/build/vega.min.js", "vega.min.js"],
  ["vega-lite/build/vega-lite.min.js", "vega-lite.min.js"],
  ["vega-embed/build/vega-embed.min.js", "vega-embed.min.js"],
];
const SLIDE_ASSETS: Array<[string, string]> = [
  ...COMMON_ASSETS,
  ["reveal.js/dist", "reveal.js/dist"],
  ["reveal.js/plugin/notes", "reveal.js/plugin/notes"],
];
const OWN_ASSETS = { page: ["applayer-page.js", "applayer-page.css", "applayer-code.css"], slides: ["applayer-slides.css", "applayer-code.css"] };

/** Copies the scripts, styles and fonts a page or deck loads into `dir`/assets. */
export function copyAssets(dir: string, kind: "page" | "slides"): void {
  const assets = join(dir, "assets");
  for (const [from, to] of kind === "page" ? PAGE_ASSETS : SLIDE_ASSETS) {
    cpSync(join(NODE_MODULES, from), join(assets, to), { recursive: true });
  }
  for (const f of OWN_ASSETS[kind]) cpSync(join(TEMPLATES, "assets", f), join(assets, f));
}

/** nbconvert's settings for our templates and the copied assets (URLs relative to the output). */
function exporterArgs(exporter: "HTMLExporter" | "SlidesExporter"): string[] {
  return [
    `--TemplateExporter.extra_template_basedirs=${TEMPLATES}`,
    // …and the folder itself, where the macros both templates import live.
    `--TemplateExporter.extra_template_paths=${TEMPLATES}`,
    `--${exporter}.require_js_url=assets/require.js`,
    `--${exporter}.jquery_url=assets/jquery.min.js`,
    `--${exporter}.mathjax_url=assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe`,
  ];
}

export interface Exported {
  ok: boolean;
  path: string;
  log: string;
  warnings: string[];
}

/** Writes `outDir`/NN-topic.html from an executed notebook (assets: see {@link copyAssets}). */
export async function exportPage(executed: string, outDir: string): Promise<Exported> {
  const name = basename(executed, ".ipynb");
  const args = ["nbconvert", "--to", "html", "--template", "applayer-page", ...exporterArgs("HTMLExporter"), "--output-dir", outDir, "--output", name, executed];
  const { code, output } = await jupyter(args);
  return { ok: code === 0, path: join(outDir, `${name}.html`), log: output, warnings: [] };
}

/** True when some cell of the notebook says how it appears in a slideshow. */
export function hasSlideMetadata(path: string): boolean {
  return readNotebook(path).cells.some((c) => (c.metadata as { slideshow?: unknown }).slideshow !== undefined);
}

/**
 * Writes `outDir`/NN-topic.slides.html from an executed notebook. A notebook with
 * no slideshow metadata would become one endless slide: it is exported with every
 * cell a slide instead, and a warning that names it.
 */
export async function exportSlides(executed: string, outDir: string): Promise<Exported> {
  const name = basename(executed, ".ipynb");
  const warnings: string[] = [];
  let source = executed;
  if (!hasSlideMetadata(executed)) {
    warnings.push(`${name}: no slideshow metadata in any cell, so every cell is a slide (set View → Cell Toolbar → Slideshow in Jupyter)`);
    const nb = readNotebook(executed);
    for (const c of nb.cells) (c.metadata as Record<string, unknown>).slideshow = { slide_type: "slide" };
    source = join(mkdtempSync(join(tmpdir(), "applayer-slides-")), `${name}.ipynb`);
    writeFileSync(source, JSON.stringify(nb));
  }
  const args = [
    "nbconvert", "--to", "slides", "--template", "applayer-slides", ...exporterArgs("SlidesExporter"),
    "--SlidesExporter.reveal_url_prefix=assets/reveal.js", "--SlidesExporter.reveal_theme=white",
    "--SlidesExporter.reveal_scroll=True", "--SlidesExporter.reveal_transition=none",
    "--output-dir", outDir, "--output", name, source,
  ];
  const { code, output } = await jupyter(args);
  return { ok: code === 0, path: join(outDir, `${name}.slides.html`), log: output, warnings };
}

/** A lesson as the site's index lists it. */
export interface LessonEntry {
  name: string;
  title: string;
  question: string;
  page?: string;
  slides?: string;
  captures: string[];
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The title and question of a lesson: its first cell's heading, and the sentence there that asks. */
export function lessonHeading(path: string): { title: string; question: string } {
  const first = readNotebook(path).cells[0];
  const text = Array.isArray(first.source) ? first.source.join("") : first.source;
  const title = /^#\s+(.+)$/m.exec(text)?.[1].trim() ?? basename(path, ".ipynb");
  const plain = text.replace(/^#.*$/gm, "").replace(/[*_`]/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
  return { title, question: firstQuestion(plain) };
}

/**
 * The first sentence of `text` that asks. A sentence ends at `.`, `!` or `?`
 * before a space or the end of a line, so the dots inside `cs.umass.edu` or
 * `3.2` end none.
 *
 * @example firstQuestion("The question. What does cs.umass.edu send?") // "What does cs.umass.edu send?"
 */
export function firstQuestion(text: string): string {
  const sentences = text.split("\n").flatMap((line) => line.match(/\S(?:[^.!?]|[.!?](?!\s|$))*[.!?]?/g) ?? []);
  return sentences.find((s) => s.endsWith("?"))?.trim() ?? "";
}

/** The site's index page: the lesson table with each lesson's question, page, slides and captures. */
export function indexPage(lessons: LessonEntry[]): string {
  const rows = lessons.map((l) => {
    const links = [l.page && `<a href="${escapeHtml(l.page)}">lesson page</a>`, l.slides && `<a href="${escapeHtml(l.slides)}">slides</a>`].filter(Boolean).join(" · ");
    const captures = l.captures.map((c) => `<a href="${escapeHtml(c)}">${escapeHtml(basename(c, ".pcapng").replace(`${l.name}-`, ""))}</a>`).join(" ");
    return `<tr><td class="n">${escapeHtml(l.name.slice(0, 2))}</td><td><b>${escapeHtml(l.title)}</b><br><span class="q">${escapeHtml(l.question)}</span></td><td>${links}</td><td>${captures || "—"}</td></tr>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>applayer: the application layer, by running it</title>
<style>
body { font: 16px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; vertical-align: top; padding: 0.6em 0.5em; border-bottom: 1px solid #e4e4e4; }
th { font-size: 0.85em; color: #666; font-weight: normal; text-transform: uppercase; letter-spacing: 0.04em; }
td.n { color: #4c78a8; font-weight: bold; } .q { color: #555; } a { color: #2a5a8a; }
footer { margin-top: 2em; font-size: 0.85em; color: #595959; }
</style></head>
<body>
<h1>applayer</h1>
<p class="lead">The Internet's application layer, taught by running it: e-mail, DNS, P2P and sockets, real protocols on real sockets.</p>
<table><thead><tr><th>#</th><th>lesson and the question it answers</th><th>read or present</th><th>captures (Wireshark)</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
<footer>Slides: press <kbd>s</kbd> for the speaker view with notes, <kbd>→</kbd> to advance. Captures are pcapng files: open them in Wireshark, or <code>tshark -r FILE</code>.</footer>
</body></html>
`;
}

/** A lesson's captures in `dir` (NN-topic-WHAT.pcapng), by file name. */
export function capturesOf(dir: string, name: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith(".pcapng")).sort() : [];
}
