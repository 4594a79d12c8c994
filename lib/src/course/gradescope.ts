import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eachSubmission } from "./gradebook";

/** Gradescope's autograder results.json (its "Autograder Specifications"): the fields we fill. */
export interface GradescopeResults {
  score: number;
  max_score: number;
  output?: string;
  tests: Array<{ name: string; score: number; max_score: number; status: "passed" | "failed"; output?: string; visibility: "visible" | "after_published" }>;
}

/**
 * `applayer course export --gradescope`: OUT/gradescope/<student>/<notebook>/results.json
 * for every submission. A hidden check becomes a test shown only after the grades
 * are published, without its message.
 */
export function exportGradescope(out: string): number {
  return eachSubmission(out, (s) => {
    const tests = s.checks.map((c) => ({
      name: `${c.grade_id}: ${c.check_name}`,
      score: c.points,
      max_score: c.max_points,
      status: c.passed ? ("passed" as const) : ("failed" as const),
      ...(c.hidden || c.passed || !c.reason ? {} : { output: c.reason }),
      visibility: c.hidden ? ("after_published" as const) : ("visible" as const),
    }));
    const results: GradescopeResults = {
      score: s.rows.reduce((x, r) => x + r.points, 0),
      max_score: s.rows.reduce((x, r) => x + r.max_points, 0),
      ...(s.status === "error" ? { output: `not graded: ${s.reason}` } : {}),
      tests,
    };
    const dir = join(out, "gradescope", s.student, s.notebook);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  });
}
