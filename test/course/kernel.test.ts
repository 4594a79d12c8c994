/**
 * A grading kernel's temporary folder lies inside the kernel's own folder, so
 * whatever a submission leaves in it goes when the grader shuts the kernel down.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Kernel } from "../../lib/src/course/kernel";
import { ROOT } from "../helpers";

describe("a grading kernel", () => {
  it("keeps its temporary files in its own folder, and shutdown removes them", { timeout: 60_000 }, async () => {
    const kernel = await Kernel.start({});
    const run = await kernel.execute(`import { scratchDir } from "applayer";\nimport { writeFileSync } from "node:fs";\nconst d = scratchDir("lesson22");\nwriteFileSync(d + "/mail", "kept");\nconsole.log(d);`, 30_000);
    const folder = run.outputs.map((o) => (o as { text?: string }).text ?? "").join("").trim();
    expect(run.status).toBe("ok");
    expect(folder.startsWith(join(ROOT, ".grading", "kernel-"))).toBe(true);
    expect(existsSync(join(folder, "mail"))).toBe(true);
    await kernel.shutdown();
    expect(existsSync(folder)).toBe(false);
  });
});
