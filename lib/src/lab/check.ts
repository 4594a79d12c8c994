import { isDeepStrictEqual, inspect } from "node:util";
import { serialize } from "node:v8";
import { AsyncLocalStorage } from "node:async_hooks";
import { displayBundle } from "./kernel";
import { withDeadline } from "../net/lifecycle";

/**
 * The display type of a graded check's report, the only thing a graded run
 * sends the grader: what the student's code answered, never a verdict. The
 * grader compares the answers with the instructor's run, outside the sandbox.
 */
export const CHECK_MIME = "application/vnd.applayer.check+json";

/** One check's report from a check cell the grader restored (see {@link checker}). */
export interface CheckReport {
  gradeId: string;
  name: string;
  /** Each expectEqual's actual value, v8-serialized and base64: the student's answers. */
  answers: string[];
  /** The third argument of each expectEqual ("value" when none). */
  labels: string[];
  /** Reference runs only: each expectEqual's expected value, encoded the same way. */
  expected?: string[];
  /** Reference runs only: each answer's tolerance (expectClose), or null for an exact one. */
  tolerances?: Array<number | null>;
  /** Reference runs only: from the hidden tests. */
  hidden?: boolean;
  /** Reference runs only: whether the check passed in that run. */
  passed?: boolean;
  /** Why the check stopped before its end (an exception), as the code said it. */
  error?: string;
  /** The check stopped at its deadline: a fact the grader may show even when it withholds the code's own words. */
  late?: boolean;
  /** The `code` of the error it stopped with (EADDRINUSE, TIMEOUT…): the grader explains the codes it knows and ignores the rest. */
  errorCode?: string;
  /** Reference runs only: the check's deadline, ms. */
  within?: number;
}

/** The outcome of one self-check. */
export interface CheckResult {
  name: string;
  passed: boolean;
  /** Why it failed, in words a student can act on. */
  reason?: string;
}

const LOG_KEY = Symbol.for("applayer.checks");
/** Every check run in this process, in order: what a grader collects after running a notebook. */
export function checkLog(): CheckResult[] {
  const g = globalThis as unknown as Record<symbol, CheckResult[] | undefined>;
  return (g[LOG_KEY] ??= []);
}

/** Thrown by {@link expectEqual} and {@link expect}; check() prints its message as the reason. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailure";
  }
}

/** Fails the surrounding check unless `actual` deeply equals `expected`. */
export function expectEqual<T>(actual: T, expected: T, what = "value"): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new CheckFailure(`${what}: expected ${inspect(expected, { depth: 4 })}, got ${inspect(actual, { depth: 4 })}`);
  }
}

/** Fails the surrounding check unless the number `actual` is within `tolerance` of `expected`. */
export function expectClose(actual: number, expected: number, tolerance: number, what = "value"): void {
  if (!(typeof actual === "number" && Math.abs(actual - expected) <= tolerance)) {
    throw new CheckFailure(`${what}: expected ${expected} (± ${tolerance}), got ${inspect(actual)}`);
  }
}

/** What a released exercise's stub throws until the student writes the answer. */
export const NOT_IMPLEMENTED = "not implemented yet";

/**
 * How long one check may run before it fails, unless it names its own
 * `within`: half a graded cell's time, so that a student's server that never
 * answers costs that check, not the cell.
 */
export const CHECK_DEADLINE_MS = 60_000;

/** What a check may say of itself: `within`, its deadline in ms. */
export interface CheckOptions {
  within?: number;
}

/**
 * What a check that ran past its deadline says, here and in the grader's
 * feedback: the check cannot tell a loop from a wait, so it names both.
 */
export const pastDeadline = (within: string) => `did not finish within ${within} (still running: an endless loop, or still waiting for a reply?)`;

/** A check that ran past its deadline. */
export class CheckDeadline extends CheckFailure {
  constructor(readonly within: number) {
    super(pastDeadline(`${within / 1000} s`));
    this.name = "CheckDeadline";
  }
}

/**
 * The running checks, each as the way to stop it, innermost last; and the one
 * whose code is running, as its async context carries it.
 */
const liveChecks = new Set<(e: unknown) => void>();
const liveCheckHere = new AsyncLocalStorage<(e: unknown) => void>();

/**
 * An error nobody caught, raised while checks run (a socket's 'error' event
 * with no listener, a rejection nobody awaits): it stops the check whose code
 * raised it, or, when its context names none, the innermost check running.
 * Without this a kernel's own handler (tslab's) logs it and goes on, and the
 * check waits for its deadline, blind to why.
 */
function stopCheck(e: unknown): void {
  const stop = liveCheckHere.getStore() ?? [...liveChecks].at(-1);
  stop?.(e);
}

/**
 * Runs `fn` so that an error it raises and nobody catches stops it (see
 * {@link stopCheck}), until it settles or `signal` (its deadline) aborts. The
 * listeners are there only while a check runs, so a process with none of its
 * own still stops at an uncaught error between checks.
 */
function guarded(fn: () => unknown, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const release = () => {
      liveChecks.delete(stop);
      if (liveChecks.size === 0) process.off("uncaughtException", stopCheck).off("unhandledRejection", stopCheck);
    };
    const stop = (e: unknown) => {
      release();
      reject(e);
    };
    if (liveChecks.size === 0) process.on("uncaughtException", stopCheck).on("unhandledRejection", stopCheck);
    liveChecks.add(stop);
    signal.addEventListener("abort", () => stop(signal.reason), { once: true });
    liveCheckHere.run(stop, async () => fn()).then((value) => {
      release();
      resolve(value);
    }, stop);
  });
}

/** Runs `fn`, failing with a {@link CheckDeadline} if it has not settled by then, and with any error it raises that nobody catches. */
function inTime(fn: () => unknown, within = CHECK_DEADLINE_MS): Promise<unknown> {
  return withDeadline("the check", { timeoutMs: within, timeoutError: () => new CheckDeadline(within) }, (signal) => guarded(fn, signal));
}

/**
 * True when `fn` throws: how a check asks whether bad input is refused. The
 * released stub's own error does not count: a stub refuses everything, and
 * must not pass a check that bad input is refused.
 */
export function throws(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return !(e instanceof Error && e.message.startsWith(NOT_IMPLEMENTED));
  }
}

/** Fails the surrounding check with `message` unless `condition` holds. */
export function expect(condition: unknown, message: string): void {
  if (!condition) throw new CheckFailure(message);
}

/**
 * Runs one self-check of an exercise and prints ✓ or ✗ with the reason. The test
 * runs `fn`; a thrown error or a `false` result fails it. A failing check does not
 * stop the notebook — unless APPLAYER_STRICT_CHECKS=1, which the test suite sets
 * so that the reference solutions must pass every check. The result also goes
 * out as a {@link CHECK_MIME} display, for the grader.
 *
 * @example
 * await check("the pinger reports 10 pings", async () => {
 *   const r = await ping({ target: server.address, count: 10 });
 *   expectEqual(r.pings.length, 10, "number of pings");
 * });
 */
export async function check(name: string, fn: () => unknown | Promise<unknown>, options: CheckOptions = {}): Promise<void> {
  let result: CheckResult;
  try {
    const value = await inTime(fn, options.within);
    result = value === false ? { name, passed: false, reason: "the check returned false" } : { name, passed: true };
  } catch (e) {
    result = { name, passed: false, reason: reasonOf(e) };
  }
  console.log(result.passed ? `✓ ${name}` : `✗ ${name} — ${result.reason}`);
  checkLog().push(result);
  if (!result.passed && process.env.APPLAYER_STRICT_CHECKS === "1") {
    throw new CheckFailure(`check failed: ${name} — ${result.reason}`);
  }
}

const reasonOf = (e: unknown) => (e instanceof CheckFailure ? e.message : `${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? String(e)}`);

/** A value as a graded report carries it: v8's serialization, base64 (a value v8 cannot copy becomes a string saying so). */
export function encodeAnswer(value: unknown): string {
  try {
    return serialize(value).toString("base64");
  } catch {
    return serialize(`[a ${typeof value} the grader cannot copy]`).toString("base64");
  }
}

/**
 * The check functions as the grader binds them in each check cell it restores,
 * fresh in the cell, so a student's redefinition of `check` does not reach them.
 *
 * - `"observe"` (a student's submission, in its sandbox): `expectEqual(actual, …)`
 *   and `expectClose(actual, …)` only record `actual`. The cell runs with its expected values taken out; the
 *   grader compares the answers with the reference run's, outside.
 * - `"reference"` (the instructor's notebook, or a student's own `validate`):
 *   `expectEqual` records both values and compares them here too, and
 *   `hidden(true)` marks the hidden tests' reports.
 *
 * @example const { check, expect, expectEqual, expectClose, throws, hidden } = checker({ gradeId: "stuff-check", mode: "observe" });
 */
export function checker(context: { gradeId: string; mode: "observe" | "reference" }) {
  let hidden = false;
  // Each check's answers go to its own report, even from a check that ran past
  // its deadline and answers late: its report is closed by then.
  const running = new AsyncLocalStorage<CheckReport>();
  const closed = new WeakSet<CheckReport>();
  const observe = context.mode === "observe";
  const record = (actual: unknown, expected: unknown, what: string, tolerance: number | null = null) => {
    const current = running.getStore();
    if (!current) throw new CheckFailure("expectEqual outside check()");
    if (closed.has(current)) throw new CheckFailure("this check had already ended (past its deadline)");
    current.answers.push(encodeAnswer(actual));
    current.labels.push(what);
    if (!observe) {
      current.expected!.push(encodeAnswer(expected));
      current.tolerances!.push(tolerance);
    }
  };
  return {
    async check(name: string, fn: () => unknown | Promise<unknown>, options: CheckOptions = {}): Promise<void> {
      const within = options.within ?? CHECK_DEADLINE_MS;
      const report: CheckReport = { gradeId: context.gradeId, name, answers: [], labels: [], ...(observe ? {} : { expected: [], tolerances: [], hidden, passed: true, within }) };
      try {
        await inTime(() => running.run(report, fn), within);
      } catch (e) {
        report.error = reasonOf(e);
        if (e instanceof CheckDeadline) report.late = true;
        const code = (e as { code?: unknown } | null)?.code;
        if (typeof code === "string" && code.length <= 40) report.errorCode = code;
        if (!observe) report.passed = false;
      }
      closed.add(report);
      if (!observe) console.log(report.passed ? `✓ ${name}` : `✗ ${name} — ${report.error}`);
      displayBundle({ [CHECK_MIME]: report });
    },
    expect(condition: unknown, message: string): void {
      record(Boolean(condition), true, message);
      if (!observe) expect(condition, message);
    },
    expectEqual<T>(actual: T, expected: T, what = "value"): void {
      record(actual, expected, what);
      if (!observe) expectEqual(actual, expected, what);
    },
    expectClose(actual: number, expected: number, tolerance: number, what = "value"): void {
      record(actual, expected, what, tolerance);
      if (!observe) expectClose(actual, expected, tolerance, what);
    },
    throws,
    hidden(on: boolean) {
      hidden = on;
    },
  };
}
