import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { AppLayerError } from "../errors";
import { autograde, gradeSubmission } from "../course/autograde";
import { writeFeedback } from "../course/feedback";
import { GradingLimits } from "../course/grade";
import { exportGradescope } from "../course/gradescope";
import { lintNotebook } from "../course/lint";
import { readNotebook } from "../course/notebook";
import { lessonNotebooks, releaseFolder } from "../course/release";
import { changedLockedCells, gradeAsIs, selfTest } from "../course/selftest";
import { seedHome } from "../class/seed";
import { Command, intOption } from "./command";

const USAGE = [
  "lint [NOTEBOOK.ipynb …] [--no-run]",
  "release --source DIR --out DIR [--solutions]",
  "validate NOTEBOOK.ipynb",
  "autograde --source DIR --submissions DIR --out DIR [--jobs N | --queue redis://H:P/] [--student S] [--force] [--cell-timeout S] [--notebook-timeout S] [--memory MIB]",
  "worker --queue redis://H:P/ [--jobs N] [--notebook-timeout S]",
  "feedback --out DIR",
  "export --out DIR --gradescope",
  "seed --release DIR --home DIR [--modules DIR] [--owner USER]",
].join("\n       applayer course ");

const need = (v: unknown, flag: string): string => {
  if (typeof v !== "string" || !v) throw new AppLayerError("BAD_ARGUMENT", `--${flag} is required`);
  return v;
};

/** The lesson notebooks of a folder (NN-topic.ipynb). */
const notebooksIn = lessonNotebooks;

function limitsFrom(v: Record<string, unknown>): Partial<GradingLimits> {
  const limits: Partial<GradingLimits> = {};
  if (v["cell-timeout"] !== undefined) limits.cellTimeoutMs = intOption(v["cell-timeout"], "cell-timeout") * 1000;
  if (v["notebook-timeout"] !== undefined) limits.notebookTimeoutMs = intOption(v["notebook-timeout"], "notebook-timeout") * 1000;
  if (v.memory !== undefined) limits.memoryMb = intOption(v.memory, "memory");
  return limits;
}

async function lint(paths: string[], run: boolean): Promise<number> {
  let bad = 0;
  for (const path of paths) {
    const nb = readNotebook(path);
    const { problems, exercises, totalPoints } = lintNotebook(nb);
    const lines = problems.map((p) => `  ${p.cell ? `cell ${p.cell}: ` : ""}${p.problem}`);
    if (run && !problems.length) lines.push(...(await selfTest(nb)).map((p) => `  ${p}`));
    console.log(`${lines.length ? "✗" : "✓"} ${basename(path)}: ${exercises.length} exercises, ${totalPoints} points${run && !problems.length ? ", self-test run" : ""}`);
    if (lines.length) console.log(lines.join("\n"));
    if (lines.length) bad++;
  }
  return bad ? 1 : 0;
}

async function validate(path: string): Promise<number> {
  const nb = readNotebook(path);
  for (const id of changedLockedCells(nb)) console.log(`warning: the check cell "${id}" was changed; the grader will put back the original and run that`);
  const graded = await gradeAsIs(nb);
  for (const g of graded.grades) {
    console.log(`${g.points === g.maxPoints ? "✓" : "✗"} ${g.gradeId}: ${g.points} / ${g.maxPoints}${g.reason ? ` (${g.reason})` : ""}`);
    for (const c of g.checks) console.log(`    ${c.passed ? "✓" : "✗"} ${c.name}${c.passed || !c.message ? "" : ` — ${c.message}`}`);
  }
  for (const e of graded.errors) console.log(`error in cell ${e.cell}: ${e.message}`);
  for (const l of graded.log) console.log(l);
  const total = graded.grades.reduce((s, g) => s + g.points, 0);
  const max = graded.grades.reduce((s, g) => s + g.maxPoints, 0);
  console.log(`${total} / ${max} points on the public checks (the grader also runs hidden tests)`);
  return total === max && !graded.errors.length && !graded.log.length ? 0 : 1;
}

/** A system account's uid and gid, as `id` reports them. */
function ownerOf(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, user], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new AppLayerError("BAD_ARGUMENT", `--owner ${user}: no such system account`);
  }
}

/** `applayer course …`: the instructor's and the student's side of graded exercises. */
export const courseCommands: Command[] = [
  {
    name: "course",
    summary: "graded exercises: lint, release, validate, autograde (here or through a Redis queue), worker, feedback, export, seed",
    usage: USAGE,
    positionals: true,
    options: {
      source: { type: "string" }, out: { type: "string" }, submissions: { type: "string" }, solutions: { type: "boolean" },
      jobs: { type: "string" }, student: { type: "string" }, force: { type: "boolean" }, gradescope: { type: "boolean" },
      "no-run": { type: "boolean" }, queue: { type: "string" }, release: { type: "string" }, home: { type: "string" }, modules: { type: "string" }, owner: { type: "string" }, "cell-timeout": { type: "string" }, "notebook-timeout": { type: "string" }, memory: { type: "string" },
    },
    async run(v, [action, ...paths]) {
      switch (action) {
        case "lint": {
          // A folder stands for the lesson notebooks in it, as --source does.
          const files = (paths.length ? paths : ["notebooks"]).flatMap((p) => (statSync(p, { throwIfNoEntry: false })?.isDirectory() ? notebooksIn(p) : [p]));
          return lint(files, !v["no-run"]);
        }
        case "release": {
          const source = need(v.source, "source");
          for (const path of releaseFolder(source, need(v.out, "out"), { solutions: Boolean(v.solutions) })) console.log(`wrote ${path}${v.solutions ? " (with solutions)" : ""}`);
          return 0;
        }
        case "validate": {
          if (paths.length !== 1 || !existsSync(paths[0])) throw new AppLayerError("BAD_ARGUMENT", "validate takes one notebook file: applayer course validate 21-email-smtp.ipynb");
          return validate(paths[0]);
        }
        case "autograde": {
          const jobs = v.jobs === undefined ? undefined : intOption(v.jobs, "jobs");
          if (jobs === 0) throw new AppLayerError("BAD_ARGUMENT", "--jobs must be at least 1");
          if (jobs !== undefined && v.queue !== undefined) throw new AppLayerError("BAD_ARGUMENT", "--jobs sizes the local pool; with --queue, give each worker its --jobs: applayer course worker --queue URL --jobs N");
          const source = need(v.source, "source");
          if (!existsSync(source) || !statSync(source).isDirectory()) throw new AppLayerError("BAD_ARGUMENT", `--source ${source} is not a folder`);
          const s = await autograde({
            source, submissions: need(v.submissions, "submissions"), out: need(v.out, "out"),
            jobs, student: typeof v.student === "string" ? v.student : undefined, force: Boolean(v.force), limits: limitsFrom(v),
            queue: typeof v.queue === "string" ? v.queue : undefined,
          });
          console.log(`${s.graded} graded, ${s.failed} could not be graded, ${s.skipped} already graded (--force regrades) in ${s.seconds.toFixed(1)} s; grades in ${join(String(v.out), "grades.csv")}`);
          return s.failed ? 1 : 0;
        }
        case "feedback": {
          const out = need(v.out, "out");
          console.log(`wrote ${writeFeedback(out)} feedback pages in ${join(out, "feedback")}`);
          return 0;
        }
        case "export": {
          const out = need(v.out, "out");
          if (!v.gradescope) throw new AppLayerError("BAD_ARGUMENT", "export needs a format: --gradescope");
          console.log(`wrote ${exportGradescope(out)} results.json files in ${join(out, "gradescope")}`);
          return 0;
        }
        case "worker": {
          const jobs = intOption(v.jobs, "jobs", 1);
          if (jobs === 0) throw new AppLayerError("BAD_ARGUMENT", "--jobs must be at least 1");
          const url = need(v.queue, "queue");
          const { startWorker, lockMsFor } = await import("../course/queue.js");
          const limits = limitsFrom(v);
          const worker = startWorker(url, { jobs, limits, grade: gradeSubmission });
          await worker.waitUntilReady();
          console.log(`grading from ${url} (queue applayer-grading), ${jobs} at a time; a job's lock lasts ${lockMsFor(limits) / 1000} s`);
          await new Promise<void>((resolve) => {
            process.once("SIGINT", () => resolve());
            process.once("SIGTERM", () => resolve());
          });
          await worker.close(); // lets the jobs in hand finish; the rest stay queued for other workers
          console.error("closed, bye");
          return 0;
        }
        case "seed": {
          const owner = typeof v.owner === "string" ? ownerOf(v.owner) : undefined;
          const r = seedHome({ release: need(v.release, "release"), home: need(v.home, "home"), modules: v.modules as string | undefined, owner });
          console.log(`added ${r.added.length}, updated ${r.updated.length}, kept ${r.kept.length} edited by the student${r.kept.length ? ` (${r.kept.join(", ")})` : ""}, ${r.unchanged.length} unchanged`);
          return 0;
        }
        default:
          throw new AppLayerError("BAD_ARGUMENT", `course wants lint, release, validate, autograde, worker, feedback, export or seed, not "${action ?? ""}"`);
      }
    },
  },
];

