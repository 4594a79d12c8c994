/**
 * `npm run lessons`: executes every notebook headless and writes the executed
 * notebooks and one HTML page each (charts included) into build/lessons/.
 * Exits non-zero if any cell fails or a chart lacks its SVG.
 */
import { join } from "node:path";
import { ROOT, chartProblems, executeNotebook, listNotebooks, toHtml } from "./notebooks";

const OUT = join(ROOT, "build", "lessons");

async function main(): Promise<number> {
  let failed = 0;
  for (const nb of listNotebooks()) {
    const ex = await executeNotebook(nb, OUT);
    const problems = ex.ok ? chartProblems(ex.executed) : [];
    const html = ex.ok ? await toHtml(ex.executed) : { ok: false, log: "" };
    const ok = ex.ok && problems.length === 0 && html.ok;
    console.log(`${ok ? "ok  " : "FAIL"} ${ex.executed.replace(`${ROOT}/`, "")} (${ex.seconds.toFixed(1)} s)${ok ? ` + ${ex.executed.replace(`${ROOT}/`, "").replace(/\.ipynb$/, ".html")}` : ""}`);
    if (!ok) {
      failed++;
      console.log([ex.ok ? "" : ex.log, ...problems, html.ok ? "" : html.log].filter(Boolean).join("\n"));
    }
  }
  console.log(failed ? `${failed} notebook(s) failed` : `all lessons built in ${OUT.replace(`${ROOT}/`, "")}/`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code));
