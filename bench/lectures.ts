/**
 * `npm run bench:lectures`: what the lecture builds cost on top of executing the
 * lessons. In one run, on the same notebooks:
 *   - the baseline: every notebook executed headless, nothing else;
 *   - `npm run lessons`: executed again, plus a page each;
 *   - `npm run slides` right after: the executed copies are reused, so only decks;
 *   - `npm run site` right after: pages and decks again, plus the index.
 * Each build writes into a temporary folder, so build/ is left alone.
 */
import { performance } from "node:perf_hooks";
import { listNotebooks, executeNotebook } from "../scripts/notebooks";
import { scratchDir } from "../lib/src/lab/scratch";
import { Built, buildPages, buildSite, buildSlides, executeLesson, layout } from "../scripts/build";

async function timed<T>(what: string, work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = performance.now();
  const result = await work();
  const seconds = (performance.now() - start) / 1000;
  console.log(`${what}: ${seconds.toFixed(1)} s`);
  return { result, seconds };
}

async function main(): Promise<void> {
  const notebooks = listNotebooks();
  const scratch = scratchDir("applayer-bench-exec");
  const alone = await timed(`executing ${notebooks.length} notebooks alone`, async () => {
    for (const nb of notebooks) {
      const ex = await executeNotebook(nb, scratch);
      if (!ex.ok) throw new Error(`${nb} failed:\n${ex.log}`);
    }
  });
  const out = layout(scratchDir("applayer-bench-build"));
  const lessons = await timed("npm run lessons (execute + pages + captures)", async () => {
    const built: Built[] = [];
    for (const nb of notebooks) built.push(await executeLesson(nb, out, { fresh: true }));
    await buildPages(built, out);
    return built;
  });
  const slides = await timed("npm run slides (after lessons: decks only)", async () => {
    const built: Built[] = [];
    for (const nb of notebooks) built.push(await executeLesson(nb, out));
    await buildSlides(built, out);
    return built;
  });
  const site = await timed("npm run site (after both: pages, decks and the index)", async () => {
    await buildPages(slides.result, out);
    await buildSlides(slides.result, out);
    buildSite(slides.result, out);
  });
  const pct = (s: number) => `${((s / alone.seconds) * 100).toFixed(0)}%`;
  console.log("");
  console.log(`baseline, executing alone:       ${alone.seconds.toFixed(1)} s`);
  console.log(`lessons adds over the baseline:  ${(lessons.seconds - alone.seconds).toFixed(1)} s (${pct(lessons.seconds - alone.seconds)})`);
  console.log(`slides adds (executions reused): ${slides.seconds.toFixed(1)} s (${pct(slides.seconds)})`);
  console.log(`site adds (executions reused):   ${site.seconds.toFixed(1)} s (${pct(site.seconds)})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
