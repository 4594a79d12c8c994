import { describe, expect, it } from "vitest";
import { LoginThrottle } from "../../lib/src/mailstore/login-throttle";
import { LOGIN_FAILURE_WINDOW_MS, LOGIN_LOCKOUT_MS, MAX_LOGIN_FAILURES_PER_CLIENT, MAX_LOGIN_FAILURES_PER_USER } from "../../lib/src/mailstore/limits";

/** A throttle on a clock the test moves. */
function throttle() {
  const clock = { now: 1_000_000 };
  return { clock, t: new LoginThrottle({}, () => clock.now) };
}
const bob = { user: "bob", client: "127.0.0.1" };
const fail = (t: LoginThrottle, n: number, who: { user?: string; client?: string } = bob) => {
  for (let i = 0; i < n; i++) t.failed(who);
};

describe("LoginThrottle", () => {
  it(`counts failures within LOGIN_FAILURE_WINDOW_MS (${LOGIN_FAILURE_WINDOW_MS / 60_000} min): the last one at the window's end still counts, one ms later the count starts over`, () => {
    for (const [late, locked] of [[0, true], [1, false]] as const) {
      const { clock, t } = throttle();
      fail(t, MAX_LOGIN_FAILURES_PER_USER - 1);
      clock.now += LOGIN_FAILURE_WINDOW_MS + late;
      fail(t, 1);
      expect(t.retryAfter(bob) > 0).toBe(locked);
    }
  });
  it(`locks for LOGIN_LOCKOUT_MS (${LOGIN_LOCKOUT_MS / 60_000} min): 1 ms before its end still locked, at its end open, with a fresh count`, () => {
    const { clock, t } = throttle();
    fail(t, MAX_LOGIN_FAILURES_PER_USER);
    expect(t.retryAfter(bob)).toBe(LOGIN_LOCKOUT_MS);
    clock.now += LOGIN_LOCKOUT_MS - 1;
    expect(t.retryAfter(bob)).toBe(1);
    clock.now += 1;
    expect(t.retryAfter(bob)).toBe(0);
    fail(t, MAX_LOGIN_FAILURES_PER_USER - 1);
    expect(t.retryAfter(bob)).toBe(0);
  });
  it("keys users case-insensitively, and clients apart from users", () => {
    const { t } = throttle();
    fail(t, MAX_LOGIN_FAILURES_PER_USER, { user: "Bob" });
    expect(t.retryAfter({ user: "bob" })).toBe(LOGIN_LOCKOUT_MS);
    expect(t.retryAfter({ client: "bob" })).toBe(0);
    fail(t, MAX_LOGIN_FAILURES_PER_CLIENT - 1, { client: "127.0.0.9" });
    expect(t.retryAfter({ user: "carol", client: "127.0.0.9" })).toBe(0);
    fail(t, 1, { client: "127.0.0.9" });
    expect(t.retryAfter({ user: "carol", client: "127.0.0.9" })).toBe(LOGIN_LOCKOUT_MS);
  });
  it("a success clears the user's count, not the client's nor another user's", () => {
    const { t } = throttle();
    fail(t, MAX_LOGIN_FAILURES_PER_USER - 1, { user: "carol", client: "127.0.0.9" });
    fail(t, MAX_LOGIN_FAILURES_PER_CLIENT - MAX_LOGIN_FAILURES_PER_USER, { user: "bob", client: "127.0.0.9" });
    t.succeeded({ user: "bob", client: "127.0.0.9" });
    fail(t, 1, { user: "carol" });
    expect(t.retryAfter({ user: "carol" })).toBe(LOGIN_LOCKOUT_MS);
    fail(t, 1, { client: "127.0.0.9" });
    expect(t.retryAfter({ client: "127.0.0.9" })).toBe(LOGIN_LOCKOUT_MS);
  });
});
