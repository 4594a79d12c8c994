import { Clock, Timer } from "../net/clock";

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time: a priority queue of events. Nothing happens until {@link runNext}
 * pops the earliest one and moves the clock to its time, so a simulated hour of
 * traffic costs only the work of its events.
 *
 * @example
 * const clock = new VirtualClock();
 * clock.setTimer(() => console.log("at", clock.now()), 1000);
 * while (clock.runNext()) {}   // prints "at 1000"
 */
export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private heap: Scheduled[] = [];

  now(): number {
    return this.time;
  }
  setTimer(fn: () => void, ms: number): Timer {
    const ev: Scheduled = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return ev as unknown as Timer;
  }
  clearTimer(timer: Timer): void {
    (timer as unknown as Scheduled).cancelled = true;
  }
  /** How many events wait (cancelled ones included until they surface). */
  get pending(): number {
    return this.heap.length;
  }
  /** The time of the next live event, or undefined when none is left. */
  peekTime(): number | undefined {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
    return this.heap[0]?.at;
  }
  /** Runs the earliest event; false when none is left. Ties run in scheduling order. */
  runNext(): boolean {
    while (this.heap.length) {
      const ev = this.pop();
      if (ev.cancelled) continue;
      this.time = ev.at;
      ev.fn();
      return true;
    }
    return false;
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(ev: Scheduled): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  private pop(): Scheduled {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
