/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same
 * experiment, so a lesson's "random" loss or a swarm run can be reproduced exactly.
 *
 * @example
 * const rng = new Random(42);
 * rng.next();        // a float in [0, 1)
 * rng.int(6) + 1;    // a die roll
 */
export class Random {
  private state: number;
  constructor(seed = 1) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
  /** An exponentially distributed value with the given mean (Poisson inter-arrival times). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}
