/**
 * The suites that run many kernels at once (the lessons, the grader over every
 * lesson, the class hub, the grading queue) take turns. On a 2-core machine, two
 * of them together starve each other's cells past their timeouts; the light
 * suites keep running beside whichever holds the turn.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LOCK = join(tmpdir(), "applayer-heavy-suite.lock");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits for the turn (a lock folder holding the owner's pid; a dead owner's lock is taken over) and returns its release. */
export async function heavySuiteTurn(): Promise<() => void> {
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
      if (owner && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** How long a heavy suite may wait for its turn: the others' whole runs. */
export const TURN_TIMEOUT_MS = 20 * 60_000;
