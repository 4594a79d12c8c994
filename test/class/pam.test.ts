/**
 * The hub for a real class: PAM, one system account per student. The test makes
 * a throwaway account (it runs as root, as CI does), logs in with its password,
 * and runs a lesson in a server that runs as that student, in a home the student
 * owns and alone may open (useradd -m makes it 0755 here; the hub closes it);
 * then removes the account.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hub, startHub } from "../../lib/src/class/hub";
import { login, runNotebook, startServer, userToken } from "../../scripts/hub-client";
import { ROOT } from "../helpers";
import { takeHeavySuiteTurn } from "../heavy";

const STUDENT = `applayer-s${process.pid}`;
const PASSWORD = "pam-class-pass-1";
let hub: Hub;

// A hub and a student's kernel: this suite takes its turn among the heavy ones (see test/heavy.ts).
takeHeavySuiteTurn("waits");

beforeAll(async () => {
  execFileSync("useradd", ["--create-home", "--shell", "/usr/sbin/nologin", STUDENT]);
  execFileSync("chpasswd", [], { input: `${STUDENT}:${PASSWORD}\n` });
  hub = await startHub({ root: ROOT, state: mkdtempSync(join(tmpdir(), "applayer-pam-hub-")) });
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  execFileSync("userdel", ["--remove", STUDENT], { stdio: "ignore" });
});

describe("the hub with PAM", () => {
  it("a wrong password is refused; the right one starts a server as the student, in a 0700 home the student owns, that runs a lesson", { timeout: 120_000 }, async () => {
    expect(await login(hub.url, STUDENT, "not-it")).toEqual({ ok: false, error: "Invalid username or password" });
    expect(await login(hub.url, STUDENT, PASSWORD)).toEqual({ ok: true });
    await startServer(hub.url, hub.apiToken, STUDENT);
    const home = execFileSync("getent", ["passwd", STUDENT], { encoding: "utf8" }).split(":")[5];
    const uid = Number(execFileSync("id", ["-u", STUDENT], { encoding: "utf8" }));
    expect(statSync(join(home, "34-dns-messages.ipynb")).uid).toBe(uid);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const user = (await (await fetch(`${hub.url}/hub/api/users/${STUDENT}`, { headers: { authorization: `token ${hub.apiToken}` } })).json()) as { servers: Record<string, { state: { pid: number } }> };
    expect(statSync(`/proc/${user.servers[""].state.pid}`).uid).toBe(uid);
    const run = await runNotebook(hub.url, STUDENT, await userToken(hub.url, hub.apiToken, STUDENT), join(hub.release, "34-dns-messages.ipynb"));
    expect(run, run.error).toMatchObject({ ok: true });
  });
});
