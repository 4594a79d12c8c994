import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { AppLayerError } from "../errors";
import { LoginThrottle } from "./login-throttle";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** After each wrong password for a user, the next check waits this much longer (capped below). */
export const FAILED_LOGIN_DELAY_MS = 250;
export const MAX_FAILED_LOGIN_DELAY_MS = 4000;

/** A password as stored: scrypt(password, salt), never the password itself. */
export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

/** Hashes a password with scrypt and a random salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, hash: await scryptAsync(password, salt, 32) };
}

/**
 * A mail server's users: names with scrypt-hashed passwords. Wrong passwords are
 * slowed down, more with each failure in a row, so guessing is expensive; and a
 * {@link LoginThrottle} locks out a user or a client address after too many
 * failures (MAX_LOGIN_FAILURES_PER_USER / _PER_CLIENT). Every login path — IMAP,
 * POP3, SMTP AUTH — comes through `check`, so they share one count.
 *
 * @example
 * const users = await Users.from(["bob:bobpass"]);
 * await users.check("bob", "bobpass"); // true
 */
export class Users {
  private readonly failures = new Map<string, number>();
  private constructor(
    private readonly hashes: Map<string, PasswordHash>,
    /** The lockout count shared by every login path. */
    readonly throttle: LoginThrottle,
  ) {}

  /** From "name:password" pairs (the CLI's --user). `now` is the throttle's clock (tests move it). */
  static async from(pairs: string[], options: { now?: () => number } = {}): Promise<Users> {
    const map = new Map<string, PasswordHash>();
    for (const p of pairs) {
      const i = p.indexOf(":");
      if (i < 1) throw new Error(`--user wants NAME:PASSWORD, not "${p}"`);
      map.set(p.slice(0, i).toLowerCase(), await hashPassword(p.slice(i + 1)));
    }
    return new Users(map, new LoginThrottle({}, options.now));
  }

  /** Is there such a user (name without domain)? */
  has(name: string): boolean {
    return this.hashes.has(name.toLowerCase());
  }

  /**
   * Checks a password in constant time; after failures, answers only after a growing
   * delay. For a locked-out user or `client` (the peer's address) it rejects at once
   * with `LOGIN_THROTTLED` (detail `retryAfterMs`), even for the right password, and
   * tries no password: each protocol answers that with its own "try later" reply.
   */
  async check(name: string, password: string, client?: string): Promise<boolean> {
    const key = name.toLowerCase();
    const who = { user: key, client };
    const wait = this.throttle.retryAfter(who);
    if (wait > 0) throw throttled(wait);
    const failed = this.failures.get(key) ?? 0;
    if (failed) await new Promise((r) => setTimeout(r, Math.min(FAILED_LOGIN_DELAY_MS * 2 ** (failed - 1), MAX_FAILED_LOGIN_DELAY_MS)));
    const stored = this.hashes.get(key);
    const hash = await scryptAsync(password, stored?.salt ?? Buffer.alloc(16), 32);
    const ok = stored !== undefined && timingSafeEqual(hash, stored.hash);
    if (ok) this.failures.delete(key), this.throttle.succeeded(who);
    else this.failures.set(key, failed + 1), this.throttle.failed(who);
    return ok;
  }
}

/** The error a locked-out login gets (the throttle's verdict, with how long to wait). */
export function throttled(retryAfterMs: number): AppLayerError {
  const minutes = Math.ceil(retryAfterMs / 60_000);
  return new AppLayerError("LOGIN_THROTTLED", `too many failed logins for this user or from this address; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`, { retryAfterMs });
}
