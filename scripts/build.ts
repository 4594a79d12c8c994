/**
 * The lecture builds, one command each (package.json):
 *   npm run lessons   build/lessons/: executed notebooks, one page each, captures/
 *   npm run slides    build/slides/: one reveal.js deck per notebook
 *   npm run site      build/site/: an index of every lesson with its page, deck and captures
 *
 * Each executes the notebooks it needs (an executed copy in build/lessons/ newer
 * than its notebook and the lib is reused; --fresh runs them all again), and exits
 * non-zero, naming the notebook and its failing cell, when a lesson fails. Lessons
 * run one kernel per core (--jobs N to say otherwise).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, relative } from "node:path";
import { Notebook, formatNotebook, readNotebook } from "../lib/src/course/notebook";
import { releaseNotebook } from "../lib/src/course/release";
import { ROOT, chartProblems, executeNotebook, listNotebooks } from "./notebooks";
import { withTempDir } from "../lib/src/lab/scratch";
import { pool } from "../lib/src/lab/pool";
import { LessonEntry, capturesOf, copyAssets, exportPage, exportSlides, indexPage, lessonHeading } from "./export";

/** Where a build writes: build/ for the commands, a temporary folder for the tests. */
export interface Layout {
  lessons: string;
  slides: string;
  site: string;
  captures: string;
}
export function layout(build = join(ROOT, "build")): Layout {
  const lessons = join(build, "lessons");
  return { lessons, slides: join(build, "slides"), site: join(build, "site"), captures: join(lessons, "captures") };
}

const show = (p: string) => relative(ROOT, p);

/** The newest modification time of the compiled lib: an executed notebook older than it is stale. */
function libTime(dir = join(ROOT, "lib", "dist")): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? libTime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** One notebook's result through the build. */
export interface Built {
  name: string;
  notebook: string;
  executed: string;
  ok: boolean;
  seconds: number;
  problems: string[];
}

/**
 * Executes one lesson into build/lessons/ (or reuses a fresh executed copy). The
 * kernel is told the notebook's name and where captures go, so a lesson's
 * capture.save("smtp") lands in build/lessons/captures/NN-topic-smtp.pcapng.
 */
export async function executeLesson(notebook: string, out: Layout, options: { fresh?: boolean; libTime?: number } = {}): Promise<Built> {
  mkdirSync(out.captures, { recursive: true });
  const name = basename(notebook, ".ipynb");
  const executed = join(out.lessons, `${name}.ipynb`);
  const newest = Math.max(statSync(notebook).mtimeMs, options.libTime ?? libTime());
  if (!options.fresh && existsSync(executed) && statSync(executed).mtimeMs >= newest) {
    console.log(`ok   ${show(executed)} (up to date)`);
    return { name, notebook, executed, ok: true, seconds: 0, problems: chartProblems(executed) };
  }
  for (const old of capturesOf(out.captures, name)) rmSync(join(out.captures, old));
  const ex = await executeNotebook(notebook, out.lessons, { APPLAYER_NOTEBOOK: name, APPLAYER_CAPTURE_DIR: out.captures });
  const problems = ex.ok ? chartProblems(ex.executed) : [ex.log];
  const ok = ex.ok && problems.length === 0;
  // A failed run leaves no executed copy behind to be mistaken for a good one.
  if (!ex.ok) rmSync(executed, { force: true });
  console.log(`${ok ? "ok  " : "FAIL"} ${show(executed)} (${ex.seconds.toFixed(1)} s)`);
  if (!ok) console.log(`${name}: ${problems.join("\n")}`);
  return { name, notebook, executed, ok, seconds: ex.seconds, problems };
}

/**
 * What pages and decks are made from: the executed lesson as a student gets it,
 * solutions stubbed and hidden tests removed, with the outputs of the run, and
 * each question to the room with its answer folded. A deck keeps the speaker notes
 * for its speaker view; a page, which would show them to everyone, does not.
 */
export function studentView(executed: string, kind: "page" | "deck"): Notebook {
  return releaseNotebook(readNotebook(executed), { keepOutputs: true, speakerNotes: kind === "deck" });
}

function withStudentView<T>(executed: string, kind: "page" | "deck", work: (path: string) => Promise<T>): Promise<T> {
  // In a folder of its own, removed afterwards: a build left one folder per lesson and output in /tmp.
  return withTempDir("applayer-public", (dir) => {
    const path = join(dir, basename(executed));
    writeFileSync(path, formatNotebook(studentView(executed, kind)));
    return work(path);
  });
}

/** Writes a page per executed lesson into build/lessons/, with its assets: one nbconvert per core at a time. */
export async function buildPages(lessons: Built[], out: Layout): Promise<number> {
  copyAssets(out.lessons, "page");
  let failed = 0;
  await pool(lessons.filter((x) => x.ok), availableParallelism(), async (l) => {
    const page = await withStudentView(l.executed, "page", (path) => exportPage(path, out.lessons));
    console.log(`${page.ok ? "ok  " : "FAIL"} ${show(page.path)}`);
    if (!page.ok) (failed++, console.log(`${l.name}: ${page.log}`));
  });
  return failed;
}

/** Writes a deck per executed lesson into build/slides/, with its assets: one nbconvert per core at a time. */
export async function buildSlides(lessons: Built[], out: Layout): Promise<number> {
  mkdirSync(out.slides, { recursive: true });
  copyAssets(out.slides, "slides");
  let failed = 0;
  await pool(lessons.filter((x) => x.ok), availableParallelism(), async (l) => {
    const deck = await withStudentView(l.executed, "deck", (path) => exportSlides(path, out.slides));
    for (const w of deck.warnings) console.warn(`warning: ${w}`);
    console.log(`${deck.ok ? "ok  " : "FAIL"} ${show(deck.path)}`);
    if (!deck.ok) (failed++, console.log(`${l.name}: ${deck.log}`));
  });
  return failed;
}

/** Writes build/site/: the index, and copies of the pages, decks and captures it links to. */
export function buildSite(lessons: Built[], out: Layout): void {
  rmSync(out.site, { recursive: true, force: true });
  cpSync(out.lessons, join(out.site, "lessons"), { recursive: true });
  cpSync(out.slides, join(out.site, "slides"), { recursive: true });
  const entries: LessonEntry[] = lessons.map((l) => ({
    name: l.name,
    ...lessonHeading(l.notebook),
    page: l.ok ? `lessons/${l.name}.html` : undefined,
    slides: l.ok ? `slides/${l.name}.slides.html` : undefined,
    captures: capturesOf(out.captures, l.name).map((c) => `lessons/captures/${c}`),
  }));
  writeFileSync(join(out.site, "index.html"), indexPage(entries));
  console.log(`ok   ${show(join(out.site, "index.html"))}`);
}

async function main(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  const fresh = rest.includes("--fresh");
  const jobsAt = rest.indexOf("--jobs");
  const jobs = jobsAt < 0 ? availableParallelism() : Number(rest[jobsAt + 1]);
  const only = rest.filter((a, i) => !a.startsWith("--") && (jobsAt < 0 || i !== jobsAt + 1));
  if (!["lessons", "slides", "site"].includes(what) || !Number.isInteger(jobs) || jobs < 1) {
    console.error(!Number.isInteger(jobs) || jobs < 1 ? `--jobs needs a whole number of at least 1, not ${JSON.stringify(rest[jobsAt + 1] ?? "")}` : "usage: build.ts lessons|slides|site [--fresh] [--jobs N] [NN …]");
    return 2;
  }
  const out = layout();
  const lib = libTime();
  // One kernel per core (--jobs), each lesson in its own; the list keeps the lessons' order.
  const notebooks = listNotebooks().filter((n) => !only.length || only.some((o) => basename(n).startsWith(o)));
  const lessons: Built[] = new Array(notebooks.length);
  await pool([...notebooks.keys()], jobs, async (i) => void (lessons[i] = await executeLesson(notebooks[i], out, { fresh, libTime: lib })));
  let failed = lessons.filter((l) => !l.ok).length;
  if (what !== "slides") failed += await buildPages(lessons, out);
  if (what !== "lessons") failed += await buildSlides(lessons, out);
  if (what === "site") buildSite(lessons, out);
  console.log(failed ? `${failed} lesson(s) failed: see above` : `built ${show(out[what as "lessons" | "slides" | "site"])}/`);
  return failed ? 1 : 0;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
