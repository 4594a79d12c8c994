import { AppLayerError } from "../errors";
import { Address, formatAddress } from "../net/address";
import { sleep } from "../net/clock";
import { Network, loopback } from "../net/network";
import { Trace } from "../lab/trace";

/** One ping: when it left, and its round-trip time if a reply came back in time. */
export interface PingResult {
  seq: number;
  sentAt: number;
  /** Undefined when the ping timed out. */
  rttMs?: number;
}

/** What a run of pings found, in the form `ping(8)` prints at the end. */
export interface PingReport {
  target: Address;
  pings: PingResult[];
  sent: number;
  received: number;
  /** Fraction of pings with no reply in time, in [0, 1]. */
  loss: number;
  /** Replies that arrived after their ping had timed out. */
  late: number;
  rtt?: { min: number; avg: number; max: number };
}

export interface PingOptions {
  target: Address;
  network?: Network;
  /** How many pings (default 10). */
  count?: number;
  /** How long to wait for each reply before calling it lost (default 1,000 ms). */
  timeoutMs?: number;
  /** Time from one ping to the next, at least (default 0: next one as soon as this one ends). */
  intervalMs?: number;
  /** Called after each ping, for printing as you go. */
  onPing?: (result: PingResult) => void;
  trace?: Trace;
  signal?: AbortSignal;
}

/** Summarises pings the way ping(8) does: counts, loss, and RTT min/avg/max. Pure. */
export function summarize(target: Address, pings: PingResult[], late = 0): PingReport {
  const rtts = pings.flatMap((p) => (p.rttMs === undefined ? [] : [p.rttMs]));
  return {
    target,
    pings,
    sent: pings.length,
    received: rtts.length,
    loss: pings.length ? 1 - rtts.length / pings.length : 0,
    late,
    rtt: rtts.length
      ? { min: Math.min(...rtts), avg: rtts.reduce((a, b) => a + b, 0) / rtts.length, max: Math.max(...rtts) }
      : undefined,
  };
}

/**
 * The UDP pinger of the classic assignment: send `ping SEQ TIME` to an (uppercase)
 * echo server, wait up to `timeoutMs` for the reply, record the RTT or a loss, and
 * go on to the next. It runs on any {@link Network}: real loopback (through a lossy
 * relay, for instance) or a SimNetwork with virtual time.
 *
 * @example
 * const report = await ping({ target: relay.address, count: 10, timeoutMs: 200, onPing: (p) => console.log(formatPing(p)) });
 * console.log(formatReport(report));
 */
export async function ping(options: PingOptions): Promise<PingReport> {
  const network = options.network ?? loopback;
  const clock = network.clock;
  const { target, count = 10, timeoutMs = 1000, intervalMs = 0 } = options;
  const socket = await network.openUdp();
  const me = formatAddress(socket.address);
  const them = `server ${formatAddress(target)}`;
  const pings: PingResult[] = [];
  let waiting: { seq: number; arrived: (at: number) => void } | undefined;
  let late = 0;
  socket.onMessage((data, from) => {
    if (from.host !== target.host || from.port !== target.port) return;
    options.trace?.record(them, me, data);
    const seq = Number(/^PING (\d+) /.exec(Buffer.from(data).toString("latin1"))?.[1]);
    if (waiting?.seq === seq) waiting.arrived(clock.now());
    else late++; // a reply to a ping we already gave up on
  });
  try {
    for (let seq = 1; seq <= count; seq++) {
      if (options.signal?.aborted) throw new AppLayerError("ABORTED", "ping: aborted by the caller");
      const sentAt = clock.now();
      const arrival = new Promise<number | undefined>((resolve) => {
        const timer = clock.setTimer(() => resolve(undefined), timeoutMs);
        waiting = { seq, arrived: (at) => { clock.clearTimer(timer); resolve(at); } };
      });
      const data = Buffer.from(`ping ${seq} ${sentAt.toFixed(3)}`);
      options.trace?.record(me, them, data);
      socket.send(data, target);
      const at = await arrival;
      waiting = undefined;
      if (at === undefined) options.trace?.note(me, `timeout, seq ${seq}`);
      const result: PingResult = { seq, sentAt, rttMs: at === undefined ? undefined : at - sentAt };
      pings.push(result);
      options.onPing?.(result);
      const wait = intervalMs - (clock.now() - sentAt);
      if (wait > 0 && seq < count) await sleep(clock, wait);
    }
  } finally {
    await socket.close();
  }
  return summarize(target, pings, late);
}

/** `seq=3 rtt=0.412 ms` or `seq=3 request timed out`. */
export function formatPing(p: PingResult): string {
  return p.rttMs === undefined ? `seq=${p.seq} request timed out` : `seq=${p.seq} rtt=${p.rttMs.toFixed(3)} ms`;
}

/** `10 sent, 8 received, 20.0% loss, rtt min/avg/max = 0.2/0.4/0.9 ms`. */
export function formatReport(r: PingReport): string {
  const rtt = r.rtt ? `, rtt min/avg/max = ${r.rtt.min.toFixed(3)}/${r.rtt.avg.toFixed(3)}/${r.rtt.max.toFixed(3)} ms` : "";
  return `${r.sent} sent, ${r.received} received, ${(r.loss * 100).toFixed(1)}% loss${rtt}`;
}
