import { LOGIN_FAILURE_WINDOW_MS, LOGIN_LOCKOUT_MS, MAX_LOGIN_FAILURES_PER_CLIENT, MAX_LOGIN_FAILURES_PER_USER } from "./limits";

/** Who is logging in: the user name and the client's address, as far as each is known. */
export interface LoginAttempt {
  user?: string;
  client?: string;
}

/** The throttle's limits (defaults from limits.ts). */
export interface LoginThrottleLimits {
  maxPerUser: number;
  maxPerClient: number;
  windowMs: number;
  lockoutMs: number;
}

interface Count {
  failures: number;
  since: number;
  lockedUntil: number;
}

/**
 * Counts failed logins per user and per client address, and locks either out for a
 * while once it reaches its limit: password guessing gets a few tries per window,
 * not millions. Pure (no timers): time comes from `now`, so a test moves it instead
 * of sleeping. One module for every login path — IMAP, POP3 and SMTP AUTH (through
 * Users.check) and the webmail's form.
 *
 * A success clears only that user's count: never another user's, and not the
 * client's, or a guesser could reset its count with its own account.
 *
 * @example
 * const t = new LoginThrottle();
 * t.retryAfter({ user: "bob", client: "127.0.0.1" }); // 0: go ahead
 * t.failed({ user: "bob", client: "127.0.0.1" });      // after 5 of these: bob is locked for 10 minutes
 */
export class LoginThrottle {
  private readonly counts = new Map<string, Count>();
  readonly limits: LoginThrottleLimits;

  constructor(limits: Partial<LoginThrottleLimits> = {}, private readonly now: () => number = Date.now) {
    this.limits = { maxPerUser: MAX_LOGIN_FAILURES_PER_USER, maxPerClient: MAX_LOGIN_FAILURES_PER_CLIENT, windowMs: LOGIN_FAILURE_WINDOW_MS, lockoutMs: LOGIN_LOCKOUT_MS, ...limits };
  }

  /** Milliseconds until this attempt may be made; 0 if it may be made now. */
  retryAfter(who: LoginAttempt): number {
    const now = this.now();
    return Math.max(0, ...keys(who).map(([key]) => (this.counts.get(key)?.lockedUntil ?? 0) - now));
  }

  /** Records a failed attempt; the user or client that reaches its limit is locked out. */
  failed(who: LoginAttempt): void {
    const now = this.now();
    this.forgetStale(now);
    for (const [key, kind] of keys(who)) {
      let c = this.counts.get(key);
      if (!c || now - c.since > this.limits.windowMs) c = { failures: 0, since: now, lockedUntil: c?.lockedUntil ?? 0 };
      c.failures++;
      if (c.failures >= (kind === "user" ? this.limits.maxPerUser : this.limits.maxPerClient)) {
        c.lockedUntil = now + this.limits.lockoutMs;
        c.failures = 0;
        c.since = now;
      }
      this.counts.set(key, c);
    }
  }

  /** A successful login clears the user's count (only the user's: see the class comment). */
  succeeded(who: LoginAttempt): void {
    if (who.user !== undefined) this.counts.delete(userKey(who.user));
  }

  /** Drops counts whose window and lockout are both over, so memory stays bounded by recent failures. */
  private forgetStale(now: number): void {
    for (const [key, c] of this.counts) if (now - c.since > this.limits.windowMs && now >= c.lockedUntil) this.counts.delete(key);
  }
}

const userKey = (user: string) => `user ${user.toLowerCase()}`;

function keys(who: LoginAttempt): Array<[string, "user" | "client"]> {
  const out: Array<[string, "user" | "client"]> = [];
  if (who.user !== undefined) out.push([userKey(who.user), "user"]);
  if (who.client !== undefined) out.push([`client ${who.client}`, "client"]);
  return out;
}
