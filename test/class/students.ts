/**
 * Workshop students for the hub's tests: a name's first login claims it with a
 * password of its own, later logins use that; each becomes the system account
 * jupyter-NAME, which the test removes when it is done.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { login, startServer, userToken } from "../../scripts/hub-client";

export const own = (name: string) => `${name}-own-password`;
export const account = (name: string) => `jupyter-${name}`;
export const uidOf = (name: string) => Number(execFileSync("id", ["-u", account(name)], { encoding: "utf8" }));

export function workshop(hub: () => { url: string; apiToken: string }, password: string) {
  const claimed = new Set<string>();
  return {
    /** Logs in through the form, starts the server, and returns a token for the student's kernels. */
    async arrive(name: string): Promise<{ token: string; spawnMs: number }> {
      const { url, apiToken } = hub();
      expect(await (claimed.has(name) ? login(url, name, own(name)) : login(url, name, password, own(name)))).toEqual({ ok: true });
      claimed.add(name);
      const spawnMs = await startServer(url, apiToken, name);
      return { token: await userToken(url, apiToken, name), spawnMs };
    },
    /** Removes the accounts the hub made for the names logged in here, and for `others` (logged in another way), once the hub has stopped. */
    removeAccounts(others: string[] = []): void {
      for (const name of [...claimed, ...others]) spawnSync("userdel", [account(name)], { stdio: "ignore" });
    },
  };
}

/** A notebook of one code cell per source, written into `dir` for a test. */
export function writeNotebook(dir: string, name: string, sources: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ cells: sources.map((s) => ({ cell_type: "code", metadata: {}, source: s, outputs: [], execution_count: null })), metadata: {}, nbformat: 4, nbformat_minor: 5 }));
  return path;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
