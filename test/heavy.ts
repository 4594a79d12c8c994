/**
 * The suites that run many kernels at once (the lessons, the grader over every
 * lesson, the class hub, the grading queue) take turns. On a 2-core machine, two
 * of them together starve each other's cells past their timeouts; the light
 * suites keep running beside whichever holds the turn.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { isAlive } from "./helpers";

const LOCK = join(tmpdir(), "applayer-heavy-suite.lock");

/** How long a heavy suite may wait for its turn: the others' whole runs. */
const TURN_TIMEOUT_MS = 20 * 60_000;

/**
 * What a heavy suite spends its turn on: "computes" keeps both cores busy (many
 * kernels at once); "waits" mostly waits on deadlines, spawns and peers (a hub
 * starting, a cell meant to time out), so the run orders light suites beside it
 * (vitest.config.mts reads this argument in the suite's source).
 */
export type HeavySuiteKind = "computes" | "waits";

/**
 * Makes the calling suite wait for its turn before its other hooks run, and give
 * it back after them, saying how long it waited and held it (the run's timeline
 * of heavy suites, for keeping CI's time in sight).
 */
export function takeHeavySuiteTurn(kind: HeavySuiteKind): void {
  let release: (() => void) | undefined;
  let asked = 0;
  let taken = 0;
  let name = "";
  beforeAll(async () => {
    name = relative(process.cwd(), expect.getState().testPath ?? "");
    asked = Date.now();
    release = await heavySuiteTurn();
    taken = Date.now();
  }, TURN_TIMEOUT_MS);
  afterAll(() => {
    if (!release) return;
    release();
    console.log(`heavy suite ${name} (${kind}): waited ${((taken - asked) / 1000).toFixed(0)} s for its turn, held it ${((Date.now() - taken) / 1000).toFixed(0)} s`);
  });
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
