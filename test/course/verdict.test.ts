/**
 * What feedback says of a check that stopped, once hidden tests have been in the
 * submission's kernel (a "tainted" cell): never the code's own words, which may
 * carry hidden inputs, but the facts the grader can vouch for — the check ran
 * past its deadline (the reference's), or stopped with an error code it knows.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CHECK_MIME, CheckReport, checker, pastDeadline } from "../../lib/src/lab/check";
import { CellRecord, WITHHELD, judgeCell, scrubber } from "../../lib/src/course/verdict";
import { readNotebook } from "../../lib/src/course/notebook";
import { ROOT } from "../helpers";

const displayed: Array<Record<string, unknown>> = [];
const jupyter = createRequire(import.meta.url)("tslab/dist/jupyter") as { lastWriteDisplayData?: unknown };
beforeEach(() => void (jupyter.lastWriteDisplayData = (content: { data: Record<string, unknown> }) => void displayed.push(content.data)));
afterEach(() => void (jupyter.lastWriteDisplayData = null));
const reports = () => displayed.splice(0).map((d) => d[CHECK_MIME] as CheckReport);

const SECRET = "WWW.Amazon.COM";
const never = () => new Promise(() => undefined);
/** Stops with the error a socket gives, carrying what the code saw. */
const failsWith = (code: string) => () => {
  throw Object.assign(new Error(`listen ${code}: ${SECRET}`), { code });
};

/** Runs each check in `mode`, as a check cell would, and returns its reports. */
async function run(mode: "observe" | "reference", checks: Array<[string, () => unknown]>): Promise<CheckReport[]> {
  const { check } = checker({ gradeId: "server-check", mode });
  for (const [name, fn] of checks) await check(name, fn, { within: 40 });
  return reports();
}

const cell = (reports: CheckReport[], tainted: boolean): CellRecord => ({ gradeId: "server-check", maxPoints: 4, checks: reports.length, reports, tainted });
const messages = async (student: Array<[string, () => unknown]>, tainted: boolean) => {
  const reference = await run("reference", student.map(([name]) => [name, () => undefined]));
  const judged = judgeCell(cell(reference, false), cell(await run("observe", student), tainted), (t) => t);
  return judged.checks.map((c) => c.message);
};

describe("a stopped check's reason, in a cell that ran after hidden tests", () => {
  it("says that the check ran past its deadline, the reference's, and no word of the code's", async () => {
    const [late] = await messages([["hangs", never]], true);
    expect(late).toBe("did not finish within 0.04 s (still running: an endless loop, or still waiting for a reply?)");
  });

  it("explains an error code it knows, and withholds the error's text", async () => {
    const [inUse, tooLong] = await messages([["port taken", failsWith("EADDRINUSE")], ["flooded", failsWith("LINE_TOO_LONG")]], true);
    expect(inUse).toBe(`the check stopped with EADDRINUSE: the port was already in use (a socket left open, or a fixed port?) ${WITHHELD}`);
    expect(tooLong).toMatch(/^the check stopped with LINE_TOO_LONG: /);
    expect(tooLong).not.toContain(SECRET);
  });

  it("shows nothing of a code it does not know: the code itself could carry a hidden input", async () => {
    const shown = await messages([["own code", failsWith(SECRET)], ["inherited name", failsWith("constructor")], ["no code", () => { throw new Error(SECRET); }]], true);
    expect(shown).toEqual([0, 1, 2].map(() => `the check stopped with an error ${WITHHELD}`));
  });

  it("keeps the deadline's words whole in every lesson: no run of them stands in a hidden test or a solution, which would scrub them", () => {
    const said = `${pastDeadline("10 s")} ${WITHHELD}`;
    const lessons = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));
    expect(lessons.length).toBeGreaterThan(10);
    expect(lessons.filter((f) => scrubber(readNotebook(join(ROOT, "notebooks", f)))(said) !== said)).toEqual([]);
  });

  it("before any hidden test ran, shows the code's own words as they were", async () => {
    const [late, inUse] = await messages([["hangs", never], ["port taken", failsWith("EADDRINUSE")]], false);
    expect([late, inUse]).toEqual(["did not finish within 0.04 s (still running: an endless loop, or still waiting for a reply?)", `Error: listen EADDRINUSE: ${SECRET}`]);
  });
});
