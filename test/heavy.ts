/**
 * The suites that run many kernels at once (the lessons, the grader over every
 * lesson, the class hub, the grading queue) take turns. On a 2-core machine, two
 * of them together starve each other's cells past their timeouts; the light
 * suites keep running beside whichever holds the turn.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { isAlive } from "./helpers";

const LOCK = join(tmpdir(), "applayer-heavy-suite.lock");

/** How long a heavy suite may wait for its turn: the others' whole runs. */
const TURN_TIMEOUT_MS = 20 * 60_000;

/** Makes the calling suite wait for its turn before its other hooks run, and give it back after them. */
export function takeHeavySuiteTurn(): void {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await heavySuiteTurn();
  }, TURN_TIMEOUT_MS);
  afterAll(() => release?.());
}

/** Waits for the turn (a lock folder holding the owner's pid; a dead owner's lock is taken over) and returns its release. */
async function heavySuiteTurn(): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, "pid"), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(LOCK, "pid"), "utf8"));
      } catch {
        // the owner has not written its pid yet, or has just let go
      }
      if (owner && !isAlive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}
