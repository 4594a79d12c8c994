/**
 * The class hub, started from Debian's JupyterHub on loopback as `applayer hub`
 * starts it (workshop password): a wrong password gets the login error; six
 * students log in and spawn at once and run lesson 34 (a DNS world on real
 * sockets each) through their own kernels at the same moment, while a seventh
 * student's server is stopped mid-run; a student in headless Chromium sees the
 * seeded lessons and a live kernel; a restart (with a short idle timeout) keeps
 * every home; then a memory bomb dies at its cap and an endless loop is culled
 * (and gone) while others work; and a looping kernel whose student's server is
 * killed ends itself, and a stopped hub leaves no kernel running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hub, startHub } from "../../lib/src/class/hub";
import { login, runNotebook, stopServer } from "../../scripts/hub-client";
import { own, sleep, workshop, writeNotebook } from "./students";
import { CLI, ROOT, isAlive, run, startCli } from "../helpers";
import { ARTIFACTS, launchChromium } from "../lectures";
import { takeHeavySuiteTurn } from "../heavy";

const PASSWORD = "tcp-ip-class";
const state = mkdtempSync(join(tmpdir(), "applayer-hub-"));
// The Notebook's culler counts a kernel that is still starting as idle. Seven tslab kernels starting at once on two cores
// (beside the rest of the suite) have taken over 10 s, and once over 20 s, so the class runs with a timeout no start reaches.
const OPTIONS = { root: ROOT, state, workshopPassword: PASSWORD, kernelMemoryMb: 512, idleTimeoutS: 120, cullIntervalS: 2 };
// After the restart, the hub culls after 20 s, so that an endless loop is culled within the test; three kernels start then.
const CULLING = { ...OPTIONS, idleTimeoutS: 20 };
let hub: Hub;

// Many kernels at once: this suite takes its turn among the heavy ones (see test/heavy.ts).
takeHeavySuiteTurn("waits");

beforeAll(async () => {
  hub = await startHub(OPTIONS);
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  students.removeAccounts(["gus"]); // gus logs in through Chromium
});

const notebook = (name: string, sources: string[]) => writeNotebook(state, name, sources);

/** Kernels of this hub still running: every kernel's connection file lives in its student's home. */
const kernelsLeft = () => readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(join(state, "homes"));
  } catch {
    return false; // gone while we looked
  }
});

const students = workshop(() => hub, PASSWORD);
const arrive = students.arrive;

describe("the class hub", () => {
  it("a wrong password gets the hub's login error, and no server", async () => {
    expect(await login(hub.url, "mallory", "not-the-password")).toEqual({ ok: false, error: "Invalid username or password" });
    const user = await fetch(`${hub.url}/hub/api/users/mallory`, { headers: { authorization: `token ${hub.apiToken}` } });
    expect(user.status).toBe(404);
  });

  it("six students at once run lesson 34 through their own kernels; a seventh's server stopped mid-run leaves them running", { timeout: 300_000 }, async () => {
    const names = ["ada", "bo", "cy", "di", "ed", "flo"];
    const students = await Promise.all([...names, "dropout"].map(arrive));
    const lesson = join(hub.release, "34-dns-messages.ipynb");
    const runs = [...names, "dropout"].map((n, i) => runNotebook(hub.url, n, students[i].token, lesson));
    await new Promise((r) => setTimeout(r, 1500));
    await stopServer(hub.url, hub.apiToken, "dropout");
    const results = await Promise.all(runs);
    const logTail = () => readFileSync(hub.log, "utf8").split("\n").slice(-40).join("\n");
    for (const [i, n] of names.entries()) expect(results[i], `${n}: ${results[i].error}\n${logTail()}`).toMatchObject({ ok: true });
    expect(results[6].ok).toBe(false);
    expect(results[6].error).toMatch(/closed|died|went away|failed/);
    // Each home got the release, and each run wrote its capture into its own home, not a shared folder.
    for (const n of names) {
      const home = join(hub.homes, n);
      expect(readdirSync(home).filter((f) => f.endsWith(".ipynb")).length).toBe(readdirSync(hub.release).length);
      expect(readdirSync(join(home, "captures")).some((f) => f.endsWith("-dns.pcapng"))).toBe(true);
    }
  });

  it("a failing cell is reported with the cell's error, not taken for success", { timeout: 60_000 }, async () => {
    const { token } = await arrive("ada");
    const r = await runNotebook(hub.url, "ada", token, notebook("broken.ipynb", ["const y = 1;", "throw new Error(\"cell two breaks\");", "const z = 3;"]));
    expect(r).toMatchObject({ ok: false, cells: 1 });
  });

  it("a student in Chromium logs in through the form, sees the released lessons, and opens one on a live TypeScript kernel", { timeout: 120_000 }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${hub.url}/hub/login`);
      await page.fill("#username_input", "gus");
      await page.fill("#password_input", PASSWORD);
      await page.fill("#new_password_input", own("gus"));
      await page.click("#login_submit");
      await page.waitForURL(/\/user\/gus\/tree/, { timeout: 90_000 });
      await page.waitForSelector("text=35-dns-attacks.ipynb", { timeout: 30_000 });
      await page.goto(`${hub.url}/user/gus/notebooks/01-sockets.ipynb`);
      await page.waitForFunction(`document.querySelector("#kernel_indicator_icon")?.className.includes("kernel_idle_icon")`, undefined, { timeout: 60_000 });
      expect(await page.textContent(".kernel_indicator_name")).toBe("TypeScript");
      await page.screenshot({ path: join(ARTIFACTS, "hub-student-notebook.png") });
    } finally {
      await browser.close();
    }
  });

  it("a restart loses nothing in any home: edited notebooks stay, a new release adds, the student works on", { timeout: 180_000 }, async () => {
    const mine = join(hub.homes, "bo", "21-email-smtp.ipynb");
    appendFileSync(mine, "\n");
    const edited = readFileSync(mine, "utf8");
    await hub.stop();
    hub = await startHub(CULLING);
    writeFileSync(join(hub.release, "99-extra.ipynb"), readFileSync(join(hub.release, "01-sockets.ipynb")));
    const { token } = await arrive("bo");
    expect(readFileSync(mine, "utf8")).toBe(edited);
    expect(existsSync(join(hub.homes, "bo", "99-extra.ipynb"))).toBe(true);
    const r = await runNotebook(hub.url, "bo", token, notebook("after.ipynb", ["const again = 1;"]));
    expect(r.ok).toBe(true);
  });

  it("a memory bomb dies at its heap cap and an endless loop is culled, while another student's notebook runs", { timeout: 180_000 }, async () => {
    const [greedy, spinner, calm] = await Promise.all(["greedy", "spinner", "calm"].map(arrive));
    const bomb = notebook("bomb.ipynb", ["const hoard: number[][] = [];\nfor (;;) hoard.push(new Array(1_000_000).fill(7));"]);
    const loop = notebook("loop.ipynb", ["for (;;) {}"]);
    const fine = notebook("fine.ipynb", ["const x = 6 * 7;", "if (x !== 42) throw new Error(\"arithmetic\");"]);
    const [bombRun, loopRun, fineRun] = await Promise.all([
      runNotebook(hub.url, "greedy", greedy.token, bomb),
      runNotebook(hub.url, "spinner", spinner.token, loop),
      new Promise((r) => setTimeout(r, 3000)).then(() => runNotebook(hub.url, "calm", calm.token, fine)),
    ]);
    // The kernel dies at its heap cap (the server restarts it); the reply, when one comes first, is an error.
    expect(bombRun).toMatchObject({ ok: false, cells: 0, error: expect.stringMatching(/died|closed|cell 1: error/) });
    // The culler stops the loop once it has been silent for the idle timeout (20 s here).
    expect(loopRun).toMatchObject({ ok: false, cells: 0, error: expect.stringMatching(/died|closed|cell 1: error/) });
    expect(loopRun.ms).toBeGreaterThan(CULLING.idleTimeoutS * 1000);
    expect(fineRun).toMatchObject({ ok: true, cells: 2 });
    // Culled means gone: the server lists the kernel no more (it killed it once it would not shut down).
    const listed = async () => ((await (await fetch(`${hub.url}/user/spinner/api/kernels`, { headers: { authorization: `token ${spinner.token}` } })).json()) as Array<{ id: string }>).map((k) => k.id);
    const deadline = Date.now() + 30_000;
    while ((await listed()).includes(loopRun.kernelId!) && Date.now() < deadline) await sleep(500);
    expect(await listed()).not.toContain(loopRun.kernelId);
  });

  it("a kernel whose student's server dies (kill -9) in the middle of an endless loop ends itself; a stopped hub leaves no kernel", { timeout: 90_000 }, async () => {
    const { token } = await arrive("looper");
    const before = new Set(kernelsLeft());
    void runNotebook(hub.url, "looper", token, notebook("looper.ipynb", ["for (;;) {}"]));
    const deadline = Date.now() + 60_000;
    let kernel: string | undefined;
    while (!(kernel = kernelsLeft().find((p) => !before.has(p))) && Date.now() < deadline) await sleep(200);
    expect(kernel).toBeDefined();
    await sleep(2000); // its cell is looping
    // Its parent is the student's Notebook server: killed with no chance to stop its kernels, as a crash would.
    const server = Number(readFileSync(`/proc/${kernel}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
    process.kill(server, "SIGKILL");
    const until = Date.now() + 10_000;
    while (isAlive(Number(kernel)) && Date.now() < until) await sleep(200);
    expect(isAlive(Number(kernel))).toBe(false); // the orphan guard, preloaded by the kernelspec, ended it
    await hub.stop();
    const stopped = Date.now() + 15_000;
    while (kernelsLeft().length && Date.now() < stopped) await sleep(250);
    expect(kernelsLeft()).toEqual([]);
  });
});

describe("applayer hub", () => {
  it("refuses a workshop password too short to keep anyone out, naming the flag", async () => {
    const e = await run(process.execPath, [CLI, "hub", "--workshop-password", "abc"]).catch((x: Error) => x.message);
    expect(e).toContain("--workshop-password must be at least 6 characters");
  });
  it("prints listening on 127.0.0.1:N once the hub answers, and exits 0 on SIGTERM", { timeout: 90_000 }, async () => {
    const cli = await startCli(["hub", "--port", "0", "--workshop-password", "cli-class-pass", "--state", mkdtempSync(join(tmpdir(), "applayer-hub-cli-"))]);
    expect(cli.address.host).toBe("127.0.0.1");
    expect((await fetch(`http://127.0.0.1:${cli.address.port}/hub/health`)).ok).toBe(true);
    expect(await cli.stop()).toBe(0);
  });
});
