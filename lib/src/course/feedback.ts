import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckRow, eachSubmission } from "./gradebook";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * One student's feedback on one notebook, as a self-contained HTML page: the score
 * per exercise, and each check with ✓ or ✗. A visible check that failed shows its
 * message; a hidden check shows only its name and outcome (its code and its
 * message never leave the gradebook, since they would give the tests away).
 */
export function feedbackPage(student: string, notebook: string, rows: Array<{ grade_id: string; points: number; max_points: number; reason: string }>, checks: CheckRow[], status: { status: string; reason: string }): string {
  const total = rows.reduce((s, r) => s + r.points, 0);
  const max = rows.reduce((s, r) => s + r.max_points, 0);
  const sections = rows.map((r) => {
    const items = checks.filter((c) => c.grade_id === r.grade_id).map((c) => {
      const mark = c.passed ? '<span class="ok">✓</span>' : '<span class="no">✗</span>';
      const detail = c.hidden ? ' <span class="hidden">(hidden test)</span>' : !c.passed && c.reason ? `<div class="why">${escape(c.reason)}</div>` : "";
      return `<li>${mark} ${escape(c.check_name)}${detail}</li>`;
    });
    return `<section><h2>${escape(r.grade_id)} <span class="pts">${r.points} / ${r.max_points}</span></h2>${r.reason ? `<p class="reason">${escape(r.reason)}</p>` : ""}<ul>${items.join("")}</ul></section>`;
  });
  const problem = status.status === "error" ? `<p class="error">This submission could not be graded: ${escape(status.reason)}</p>` : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(notebook)}: feedback for ${escape(student)}</title>
<style>
body { font: 15px/1.5 "DejaVu Sans", Arial, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.05em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.pts { float: right; color: #4c78a8; } .ok { color: #2a8a3a; } .no { color: #c0392b; } .hidden { color: #888; font-size: 0.9em; }
.why { margin: 0.2em 0 0.4em 1.5em; font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; color: #555; white-space: pre-wrap; }
.reason { color: #666; } .error { background: #fdecea; padding: 0.6em; border-radius: 4px; } ul { list-style: none; padding-left: 0.5em; }
</style></head><body>
<h1>${escape(notebook)}: ${total} / ${max}</h1>
<p>Feedback for <b>${escape(student)}</b>.</p>
${problem}${sections.join("\n")}
</body></html>
`;
}

/** `applayer course feedback`: writes OUT/feedback/<student>/<notebook>.html for every graded submission. */
export function writeFeedback(out: string): number {
  return eachSubmission(out, (s) => {
    const dir = join(out, "feedback", s.student);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${s.notebook}.html`), feedbackPage(s.student, s.notebook, s.rows, s.checks, s));
  });
}
