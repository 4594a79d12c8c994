/**
 * Every lesson notebook as a graded assignment: its release holds no solution
 * line and no hidden test; through `autograde`, the source earns full marks
 * (hidden tests included) and the untouched release runs to its end with every
 * exercise failing on its stub, and nothing else going wrong; a partly correct
 * submission earns exactly the points meant for it. The socket assignments'
 * attacks (./socket-attacks.ts) are graded in the same process, so that each
 * lesson's reference run serves them all, by a second autograde run beside the
 * first, with the untouched releases: the attacks mostly wait on deadlines, and
 * the two runs take about as long (measured: the attacks alone finished 130 s
 * before the rest, leaving the machine half idle).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { autograde } from "../../lib/src/course/autograde";
import { BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, regions } from "../../lib/src/course/format";
import { CheckRow, Gradebook, GradeRow } from "../../lib/src/course/gradebook";
import { formatNotebook, readNotebook, sourceOf } from "../../lib/src/course/notebook";
import { releaseNotebook } from "../../lib/src/course/release";
import { lintNotebook } from "../../lib/src/course/lint";
import { NOTEBOOK_DIR, listNotebooks } from "../../scripts/notebooks";
import { takeHeavySuiteTurn } from "../heavy";
import { lessonsUnderTest } from "../helpers";
import { PartialSubmission, applyPartial, hasPartial, partialOf } from "./partials";
import { attackSubmission, attacks, describeSocketAttacks, markedProcesses } from "./socket-attacks";

const notebooks = lessonsUnderTest(listNotebooks());
const names = notebooks.map((p) => basename(p, ".ipynb"));
const root = mkdtempSync(join(tmpdir(), "applayer-course-"));
const rows: GradeRow[] = [];
const submissions: Array<{ student: string; notebook: string; status: string; reason: string; seconds: number }> = [];
const checks = new Map<string, CheckRow[]>();
const partials = new Map<string, PartialSubmission>();
/** The attacks on the lessons under test, each a student of the run named by the attack. */
const attacked = Object.keys(attacks).filter((a) => names.includes(attacks[a].lesson));
const leftBehind = new Set<string>();

/** The lines a region hides, trimmed, that would give the answer away (not braces or blank lines). */
function secretLines(text: string, begin: string, end: string): string[] {
  const lines = text.split("\n");
  return regions(text, begin, end).regions.flatMap((r) => lines.slice(r.begin + 1, r.end)).map((l) => l.trim()).filter((l) => l.length > 3);
}

// Many kernels at once: this suite takes its turn among the heavy ones (see test/heavy.ts).
takeHeavySuiteTurn("computes");

beforeAll(async () => {
  for (const path of notebooks) {
    mkdirSync(join(root, "submitted", "reference"), { recursive: true });
    mkdirSync(join(root, "beside", "untouched"), { recursive: true });
    cpSync(path, join(root, "submitted", "reference", basename(path)));
    writeFileSync(join(root, "beside", "untouched", basename(path)), formatNotebook(releaseNotebook(readNotebook(path))));
    const partial = await partialOf(basename(path, ".ipynb"));
    if (!partial) continue;
    partials.set(basename(path, ".ipynb"), partial);
    mkdirSync(join(root, "submitted", "partial"), { recursive: true });
    writeFileSync(join(root, "submitted", "partial", basename(path)), formatNotebook(applyPartial(readNotebook(path), partial)));
  }
  for (const student of attacked) {
    mkdirSync(join(root, "beside", student), { recursive: true });
    writeFileSync(join(root, "beside", student, `${attacks[student].lesson}.ipynb`), formatNotebook(attackSubmission(attacks[student])));
  }
  // The processes the attacks leave, seen while their submissions are graded: so that none afterwards means something.
  const watch = setInterval(() => markedProcesses().forEach((p) => leftBehind.add(p)), 500);
  // Two runs at once, two kernels each, sharing each lesson's reference run (one per process): the attacks' kernels
  // spend most of their time waiting for deadlines they are meant to miss, the other kernels keep the cores busy.
  const runs = [join(root, "submitted"), join(root, "beside")];
  try {
    await Promise.all(runs.map((submitted, i) => autograde({ source: NOTEBOOK_DIR, submissions: submitted, out: join(root, `out-${i}`), jobs: 2 })));
  } finally {
    clearInterval(watch);
  }
  for (const i of runs.keys()) {
    const book = Gradebook.open(join(root, `out-${i}`, "gradebook.sqlite"));
    const graded = book.submissions();
    rows.push(...book.grades());
    submissions.push(...graded);
    for (const s of graded) checks.set(`${s.student}/${s.notebook}`, book.checks(s.student, s.notebook));
    book.close();
  }
  // How long each lesson takes to grade (for the README and the closing note): its reference solution, its release, its partial submission.
  const seconds = (student: string, notebook: string) => submissions.find((x) => x.student === student && x.notebook === notebook)?.seconds.toFixed(1) ?? "-";
  console.log(["grading seconds (reference, untouched, partial):", ...names.map((n) => `  ${n}: ${seconds("reference", n)}  ${seconds("untouched", n)}  ${seconds("partial", n)}`)].join("\n"));
}, 1_200_000);

describe.each(names)("%s as an assignment", (name) => {
  it("passes course lint (cells, markers, points) and is worth at least 10 points", () => {
    const { problems, totalPoints } = lintNotebook(readNotebook(join(NOTEBOOK_DIR, `${name}.ipynb`)));
    expect(problems).toEqual([]);
    expect(totalPoints).toBeGreaterThanOrEqual(10);
  });

  it("its release holds no solution line and no hidden test", () => {
    const source = readNotebook(join(NOTEBOOK_DIR, `${name}.ipynb`));
    const released = releaseNotebook(source).cells.map(sourceOf).join("\n");
    // A line that also stands outside the regions (a close() both checks use) gives nothing away.
    const everywhere = new Set(source.cells.flatMap((c) => {
      const text = sourceOf(c);
      const inside = [BEGIN_SOLUTION, BEGIN_HIDDEN].flatMap((begin) => regions(text, begin, begin === BEGIN_SOLUTION ? END_SOLUTION : END_HIDDEN).regions);
      return text.split("\n").filter((_, i) => !inside.some((r) => i >= r.begin && i <= r.end)).map((l) => l.trim());
    }));
    const secrets = source.cells.flatMap((c) => [...secretLines(sourceOf(c), BEGIN_SOLUTION, END_SOLUTION), ...secretLines(sourceOf(c), BEGIN_HIDDEN, END_HIDDEN)]).filter((l) => !everywhere.has(l));
    expect(secrets.length).toBeGreaterThan(4);
    const shown = released.split("\n").map((l) => l.trim());
    expect(secrets.filter((s) => shown.includes(s))).toEqual([]);
    for (const m of [BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN]) expect(released).not.toContain(m);
  });

  it("its source earns full marks through autograde, hidden tests included", () => {
    const mine = rows.filter((r) => r.student === "reference" && r.notebook === name);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.map((r) => [r.grade_id, r.points, r.reason])).toEqual(mine.map((r) => [r.grade_id, r.max_points, ""]));
    expect(submissions.find((s) => s.student === "reference" && s.notebook === name)).toMatchObject({ status: "graded", reason: "" });
  });

  it("its release runs to its end, every exercise failing on its stub and nothing else", () => {
    const mine = rows.filter((r) => r.student === "untouched" && r.notebook === name);
    expect(mine.filter((r) => r.points !== 0).map((r) => [r.grade_id, r.points])).toEqual([]);
    expect(submissions.find((s) => s.student === "untouched" && s.notebook === name)).toMatchObject({ status: "graded", reason: "" });
    expect(checks.get(`untouched/${name}`)!.some((c) => /not implemented yet/.test(c.reason))).toBe(true);
  });
});

describe.each(names.filter(hasPartial))("%s, partly solved (test/course/partial/)", (name) => {
  it("earns exactly the partial points meant for it, some check cell neither nothing nor all", () => {
    const partial = partials.get(name)!;
    const mine = rows.filter((r) => r.student === "partial" && r.notebook === name);
    expect(mine.map((r) => [r.grade_id, r.points])).toEqual(mine.map((r) => [r.grade_id, partial.points[r.grade_id] ?? r.max_points]));
    expect(mine.some((r) => r.points > 0 && r.points < r.max_points)).toBe(true);
    expect(submissions.find((s) => s.student === "partial" && s.notebook === name)).toMatchObject({ status: "graded", reason: "" });
  });
});

describeSocketAttacks(attacked, () => ({ grades: rows, submissions, checks, leftBehind, pid: process.pid }));
