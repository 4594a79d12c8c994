/**
 * Response rate limiting (as BIND's RRL): a spoofed flood aimed at a victim
 * through this server gets few answers. Each client /24 has a bucket of
 * `responsesPerSecond` tokens, refilled continuously; past it, responses are
 * dropped, except every `slip`-th, which goes out empty with TC=1, so a real
 * client (not a spoofed one) retries over TCP and still gets its answer. Pure:
 * the caller passes the time.
 */
export type RrlDecision = "send" | "drop" | "slip";

/** Every second limited response slips by default, as BIND's RRL does. */
export const RRL_DEFAULT_SLIP = 2;
/** Client /24s tracked at once: a flood from spoofed sources must not grow the table without end. */
export const MAX_RRL_BUCKETS = 100_000;

export interface RrlOptions {
  responsesPerSecond: number;
  /** Every slip-th limited response is sent truncated (0: never, 1: always). */
  slip?: number;
}

/** The /24 a client is limited as (IPv4). */
export const clientPrefix = (ip: string): string => ip.split(".").slice(0, 3).join(".");

export class ResponseRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; limited: number }>();
  readonly stats = { sent: 0, dropped: 0, slipped: 0 };

  constructor(private readonly options: RrlOptions) {
    if (!(options.responsesPerSecond > 0)) throw new RangeError("responsesPerSecond must be above 0");
  }

  /** Whether to send the response to `client` at time `nowMs`, drop it, or send it truncated. */
  decide(client: string, nowMs: number): RrlDecision {
    const rate = this.options.responsesPerSecond;
    const key = clientPrefix(client);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_RRL_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!); // the oldest
      b = { tokens: rate, at: nowMs, limited: 0 };
    }
    b.tokens = Math.min(rate, b.tokens + ((nowMs - b.at) / 1000) * rate);
    b.at = nowMs;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.stats.sent++;
      return "send";
    }
    b.limited++;
    const slip = this.options.slip ?? RRL_DEFAULT_SLIP;
    if (slip > 0 && b.limited % slip === 0) {
      this.stats.slipped++;
      return "slip";
    }
    this.stats.dropped++;
    return "drop";
  }
}
