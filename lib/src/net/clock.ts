import { performance } from "node:perf_hooks";

/** Time as protocol code sees it: real time on loopback, virtual time in the simulator. */
export interface Clock {
  /** Milliseconds since some fixed start (fractional). */
  now(): number;
  /** Calls `fn` after `ms` milliseconds of this clock's time. */
  setTimer(fn: () => void, ms: number): Timer;
  clearTimer(timer: Timer): void;
}

/** An opaque handle from {@link Clock.setTimer}. */
export interface Timer {
  readonly __timer: unique symbol;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms) as unknown as Timer,
  clearTimer: (t) => clearTimeout(t as unknown as NodeJS.Timeout),
};

/** Waits `ms` milliseconds of `clock` time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}
