import { isDeepStrictEqual, inspect } from "node:util";
import { displayBundle } from "./kernel";

/**
 * The display type of a check's result, sent beside its printed ✓ or ✗: what the
 * course grader reads (it counts only results from the check cells it restored
 * itself, recognized by the nonce it put in them).
 */
export const CHECK_MIME = "application/vnd.applayer.check+json";

/** A check's result as sent out of band (see {@link CHECK_MIME}). */
export interface CheckReport extends CheckResult {
  gradeId?: string;
  nonce?: string;
  /** From the grader's hidden tests: feedback shows its name and outcome, never its message. */
  hidden?: boolean;
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
export async function check(name: string, fn: () => unknown | Promise<unknown>): Promise<void> {
  return runCheck(name, fn, {});
}

async function runCheck(name: string, fn: () => unknown | Promise<unknown>, context: Omit<CheckReport, keyof CheckResult>): Promise<void> {
  let result: CheckResult;
  try {
    const value = await fn();
    result = value === false ? { name, passed: false, reason: "the check returned false" } : { name, passed: true };
  } catch (e) {
    const reason = e instanceof CheckFailure ? e.message : `${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? String(e)}`;
    result = { name, passed: false, reason };
  }
  console.log(result.passed ? `✓ ${name}` : `✗ ${name} — ${result.reason}`);
  checkLog().push(result);
  displayBundle({ [CHECK_MIME]: { ...context, ...result } satisfies CheckReport });
  if (!result.passed && process.env.APPLAYER_STRICT_CHECKS === "1") {
    throw new CheckFailure(`check failed: ${name} — ${result.reason}`);
  }
}

/**
 * The check functions as the grader binds them in each check cell it restores:
 * every result carries the cell's grade id and the run's nonce, and `hidden(true)`
 * marks the results of the hidden tests that follow. Bound fresh in the cell, so
 * a student's redefinition of `check` or `expect` does not reach them.
 *
 * @example const { check, expect, expectEqual, hidden } = checker({ gradeId: "stuff-check", nonce });
 */
export function checker(context: { gradeId: string; nonce: string }) {
  let hidden = false;
  return {
    check: (name: string, fn: () => unknown | Promise<unknown>) => runCheck(name, fn, { ...context, hidden }),
    expect,
    expectEqual,
    hidden(on: boolean) {
      hidden = on;
    },
  };
}
