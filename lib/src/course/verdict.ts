import ts from "typescript";
import { isDeepStrictEqual, inspect } from "node:util";
import { deserialize } from "node:v8";
import { ERROR_CODES } from "../errors";
import { CheckReport, pastDeadline } from "../lab/check";
import { BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, gradeIdOf, isGrade, isSolution, regions } from "./format";
import { Cell, Notebook, sourceOf } from "./notebook";

/**
 * The verdict, decided outside the student's runtime. A submission's check cells
 * run in its sandbox with every expected value taken out ({@link observedParts}):
 * they only compute the student's answers to the given inputs and send them out.
 * The instructor's notebook runs the same cells whole ({@link referenceSource}),
 * which gives the expected values. {@link judgeCell} compares the two here, in
 * the grader. So whatever a submission tampers with inside its sandbox (the
 * checker, globals, the kernel's messages, the reports themselves) changes only
 * its own answers, and hidden tests' expected values never reach it.
 */

/** Limits on what a graded run may send and what feedback may show. */
export const VERDICT_LIMITS = {
  /** One encoded answer (base64 of v8's serialization), characters: larger ones fail their check. */
  maxAnswerChars: 1_000_000,
  /** A failure message as feedback shows it, characters. */
  maxMessageChars: 300,
  /** A run of this many characters (spaces folded) that also stands in a hidden test or a solution is scrubbed from messages. */
  scrubRunChars: 12,
} as const;

/** The calls whose second argument is the expected value. */
const EXPECTING = new Set(["expectEqual", "expectClose"]);

/** Rewrites a check cell's code: `expectEqual(a, b, w)` → `expectEqual(a, undefined, w)` (expectClose likewise), comments dropped. */
function withoutExpected(code: string): string {
  const file = ts.createSourceFile("check.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const strip: ts.TransformerFactory<ts.SourceFile> = (context) => {
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && EXPECTING.has(node.expression.text) && node.arguments.length >= 2) {
        const args = node.arguments.map((a, i) => (i === 1 ? ts.factory.createIdentifier("undefined") : (ts.visitNode(a, visit) as ts.Expression)));
        return ts.factory.updateCallExpression(node, node.expression, node.typeArguments, args);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return (sf) => ts.visitNode(sf, visit) as ts.SourceFile;
  };
  const result = ts.transform(file, [strip]);
  const printed = ts.createPrinter({ removeComments: true }).printFile(result.transformed[0]);
  result.dispose();
  return printed;
}

const binding = (cell: Cell, mode: "observe" | "reference") =>
  `const { check, expect, expectEqual, expectClose, throws, hidden } = require("applayer").checker({ gradeId: ${JSON.stringify(gradeIdOf(cell))}, mode: "${mode}" });`;

/**
 * A check cell as a submission's sandbox runs it: no expected value, no comment,
 * no hidden marker, and in two runs. `visible` holds the checks the student can
 * read; `hidden`, sent only once they are done, the hidden tests, after the
 * cell's own setup statements again (its declarations, not its checks). So no
 * hidden input is in the kernel while the cell's visible checks run, and
 * whatever those say can be shown to the student (see {@link judgeCell}).
 */
export function observedParts(cell: Cell): { visible: string; hidden?: string } {
  const lines = sourceOf(cell).split("\n");
  const hiddenLines = new Set<number>();
  for (const r of regions(lines.join("\n"), BEGIN_HIDDEN, END_HIDDEN).regions) for (let i = r.begin; i <= r.end; i++) hiddenLines.add(i);
  const visible = lines.filter((_, i) => !hiddenLines.has(i)).join("\n");
  const hidden = lines.filter((_, i) => hiddenLines.has(i)).join("\n");
  const wrap = (code: string) => `{ ${binding(cell, "observe")}\n${withoutExpected(code)}\n}`;
  return { visible: wrap(visible), ...(hiddenLines.size ? { hidden: wrap(`${setupOf(visible)}\n${hidden}`) } : {}) };
}

/** A check cell's top-level statements that are not `await check(…)`: what its hidden tests may use. */
function setupOf(code: string): string {
  const file = ts.createSourceFile("check.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const isCheck = (st: ts.Statement) =>
    ts.isExpressionStatement(st) && ts.isAwaitExpression(st.expression) && ts.isCallExpression(st.expression.expression) &&
    ts.isIdentifier(st.expression.expression.expression) && st.expression.expression.expression.text === "check";
  return file.statements.filter((st) => !isCheck(st)).map((st) => st.getFullText(file)).join("");
}

/** A check cell as the reference run executes it: whole, with its hidden tests marked. */
export function referenceSource(cell: Cell): string {
  const lines = sourceOf(cell).split("\n");
  for (const r of regions(lines.join("\n"), BEGIN_HIDDEN, END_HIDDEN).regions) {
    lines[r.begin] = lines[r.begin].replace(BEGIN_HIDDEN, "hidden(true);");
    lines[r.end] = lines[r.end].replace(END_HIDDEN, "hidden(false);");
  }
  return `{ ${binding(cell, "reference")}\n${lines.join("\n")}\n}`;
}

/** One check's outcome as the gradebook keeps it. */
export interface CheckOutcome {
  name: string;
  passed: boolean;
  hidden: boolean;
  /** Why it failed (never kept for a hidden check). */
  message?: string;
}

/** One check cell's score. */
export interface GradeCellResult {
  gradeId: string;
  points: number;
  maxPoints: number;
  /** Why points were lost, in a line. */
  reason: string;
  checks: CheckOutcome[];
}

/** What a run of one check cell produced, for scoring. */
export interface CellRecord {
  gradeId: string;
  maxPoints: number;
  /** How many checks the cell runs, as its source counts them. */
  checks: number;
  reports: CheckReport[];
  /** Why the cell did not run to its end (a hang, a dead kernel), if so: all its points are lost. */
  stopped?: string;
  /** The cell's first error line, if it failed. */
  failed?: string;
  /**
   * A submission's cell whose visible checks ran after hidden tests had been in
   * its kernel: what its code says (an error, its answer) may carry them, so
   * feedback shows the expected values only.
   */
  tainted?: boolean;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function decode(answer: string): { value?: unknown; bad?: string } {
  if (answer.length > VERDICT_LIMITS.maxAnswerChars) return { bad: `an answer over ${VERDICT_LIMITS.maxAnswerChars} characters encoded` };
  try {
    return { value: deserialize(Buffer.from(answer, "base64")) };
  } catch {
    return { bad: "an answer the grader could not read" };
  }
}

const show = (v: unknown) => inspect(v, { depth: 3, maxArrayLength: 10, maxStringLength: 80, breakLength: Infinity });

/** What feedback says in place of a submission's own words once hidden tests have been in its kernel. */
export const WITHHELD = "(your code's answer and errors are not shown here: hidden tests had run before this check)";

/**
 * The error codes a check may stop with that feedback explains in the grader's
 * own words, even where it withholds the code's: the system's for sockets and
 * child processes, and the lib's. A code carries a few bits at most, and only
 * one of these is shown.
 */
const KNOWN_ERRORS: Record<string, string> = {
  EADDRINUSE: "the port was already in use (a socket left open, or a fixed port?)",
  EACCES: "permission denied (a port below 1024?)",
  ECONNREFUSED: "nothing was listening where it connected",
  ECONNRESET: "the connection was reset",
  EPIPE: "it wrote to a connection the other side had closed",
  ERR_CHILD_PROCESS_STDIO_MAXBUFFER: "a peer's output ran over its limit (a flood?)",
  ...ERROR_CODES,
};

/** Why a check stopped, told from what the grader can trust once hidden tests have been in the kernel: its deadline (from the reference) and a known error code. */
function stoppedTainted(expected: CheckReport, answered: CheckReport): string {
  if (answered.late === true) return pastDeadline(typeof expected.within === "number" ? `${expected.within / 1000} s` : "its time");
  const code = answered.errorCode;
  const known = typeof code === "string" && Object.hasOwn(KNOWN_ERRORS, code);
  return known ? `the check stopped with ${code}: ${KNOWN_ERRORS[code]} ${WITHHELD}` : `the check stopped with an error ${WITHHELD}`;
}

/** Compares one check's answers with the reference's expected values; undefined when they agree, else why not. */
function compare(expected: CheckReport, answered: CheckReport | undefined, tainted = false): string | undefined {
  if (!answered) return undefined;
  if (answered.error !== undefined) return tainted ? stoppedTainted(expected, answered) : String(answered.error);
  const want = expected.expected ?? [];
  const got = Array.isArray(answered.answers) ? answered.answers : [];
  for (let i = 0; i < want.length; i++) {
    const label = expected.labels[i] ?? "value";
    if (i >= got.length) return `${label}: no answer`;
    if (typeof got[i] !== "string") return `${label}: an answer the grader could not read`;
    const a = decode(got[i]);
    if (a.bad) return `${label}: ${a.bad}`;
    const e = decode(want[i]).value;
    const tolerance = expected.tolerances?.[i];
    if (typeof tolerance === "number") {
      if (!(typeof a.value === "number" && Math.abs(a.value - (e as number)) <= tolerance)) return `${label}: expected ${show(e)} (± ${tolerance}), ${tainted ? WITHHELD : `got ${show(a.value)}`}`;
    } else if (!isDeepStrictEqual(a.value, e)) return `${label}: expected ${show(e)}, ${tainted ? WITHHELD : `got ${show(a.value)}`}`;
  }
  if (got.length > want.length) return `${got.length - want.length} answers more than the check asks for`;
  return undefined;
}

/**
 * Scores one check cell of a submission: each of the reference run's checks
 * passes when the submission's report of the same name carries the same answers
 * (deeply equal) and no error. Points are shared among the checks (partial
 * credit). Names, hidden flags and expected values come from the reference only.
 */
export function judgeCell(reference: CellRecord, student: CellRecord, scrub: (text: string) => string): GradeCellResult {
  const why = student.stopped ?? (student.tainted ? undefined : student.failed) ?? "the check cell stopped before it";
  const checks: CheckOutcome[] = reference.reports.map((r) => {
    const answered = student.reports.find((s) => s.name === r.name && s.gradeId === r.gradeId);
    const problem = answered ? compare(r, answered, student.tainted) : `did not run: ${why}`;
    const hidden = r.hidden === true;
    return { name: r.name, passed: problem === undefined && !student.stopped, hidden, ...(problem === undefined || hidden ? {} : { message: scrub(problem) }) };
  });
  return score(reference, checks, student.stopped, scrub);
}

/** Scores a reference-mode run on its own results (`course lint`, `validate`): the checks as they passed in it. */
export function scoreAsRun(record: CellRecord, scrub: (text: string) => string = (t) => t): GradeCellResult {
  const why = record.stopped ?? record.failed ?? "the check cell stopped before it";
  const checks: CheckOutcome[] = record.reports.map((r) => ({ name: r.name, passed: r.passed === true && !record.stopped, hidden: r.hidden === true, ...(r.passed ? {} : { message: scrub(r.error ?? "failed") }) }));
  for (let i = checks.length; i < record.checks; i++) checks.push({ name: `check ${i + 1}`, passed: false, hidden: false, message: `did not run: ${why}` });
  return score(record, checks, record.stopped, scrub);
}

function score(cell: CellRecord, checks: CheckOutcome[], stopped: string | undefined, scrub: (text: string) => string): GradeCellResult {
  const total = Math.max(checks.length, 1);
  const passed = checks.filter((c) => c.passed).length;
  const failed = checks.filter((c) => !c.passed);
  const visible = failed.find((c) => !c.hidden);
  const reason = stopped ? scrub(stopped) : failed.length === 0 ? "" : `${failed.length} of ${total} checks failed${visible ? `: ${visible.name}` : ""}`;
  return { gradeId: cell.gradeId, points: stopped ? 0 : round2((cell.maxPoints * passed) / total), maxPoints: cell.maxPoints, reason, checks };
}

const fold = (text: string) => text.replace(/\s+/g, " ");

/** The values of the string and template literals in a piece of code. */
function stringsIn(code: string): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) out.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile("code.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS));
  return out;
}

/**
 * A function that makes a message safe for feedback: any run of
 * {@link VERDICT_LIMITS.scrubRunChars} characters that also stands in a hidden
 * test or a solution of `source` becomes "[…]", and the whole is capped at
 * {@link VERDICT_LIMITS.maxMessageChars}.
 */
export function scrubber(source: Notebook): (text: string) => string {
  const n = VERDICT_LIMITS.scrubRunChars;
  const secret = new Set<string>();
  for (const cell of source.cells) {
    const text = sourceOf(cell);
    const marks = isGrade(cell) ? regions(text, BEGIN_HIDDEN, END_HIDDEN) : isSolution(cell) ? regions(text, BEGIN_SOLUTION, END_SOLUTION) : undefined;
    const lines = text.split("\n");
    for (const r of marks?.regions ?? []) {
      const code = lines.slice(r.begin + 1, r.end).join("\n");
      // The code as written, and its strings as they are at run time (escapes such as \r\n cooked).
      for (const body of [code, ...stringsIn(code)].map(fold)) for (let i = 0; i + n <= body.length; i++) secret.add(body.slice(i, i + n));
    }
  }
  return (text: string) => {
    const folded = fold(text).slice(0, 4 * VERDICT_LIMITS.maxMessageChars);
    const hit = new Uint8Array(folded.length);
    for (let i = 0; i + n <= folded.length; i++) if (secret.has(folded.slice(i, i + n))) hit.fill(1, i, i + n);
    let out = "";
    for (let i = 0; i < folded.length; i++) {
      if (!hit[i]) out += folded[i];
      else if (i === 0 || !hit[i - 1]) out += "[…]";
    }
    return out.length > VERDICT_LIMITS.maxMessageChars ? `${out.slice(0, VERDICT_LIMITS.maxMessageChars - 1)}…` : out;
  };
}
