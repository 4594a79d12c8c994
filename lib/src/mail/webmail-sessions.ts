import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { WEBMAIL_SESSION_IDLE_MS, WEBMAIL_SESSION_MAX_MS } from "./limits";

/** One logged-in browser: who, the password the webmail logs in to IMAP and SMTP with, and its forms' token. */
export interface WebmailSession {
  user: string;
  password: string;
  /** Every form of the session carries it; a POST without it is not from our page (CSRF). */
  token: string;
  created: number;
  lastSeen: number;
}

/**
 * The webmail's sessions and its login form's CSRF token, apart from HTTP.
 *
 * Sessions: a random id (the cookie) → a {@link WebmailSession}, which ends after
 * WEBMAIL_SESSION_IDLE_MS without a request or WEBMAIL_SESSION_MAX_MS after login.
 *
 * The login form has no session yet, so its token is tied to a random nonce in a
 * SameSite=Strict cookie: token = HMAC(server secret, nonce). A page on another site
 * can make the browser POST to /login, but the browser sends no Strict cookie with it,
 * and the other site cannot compute a token for a nonce it does not know — so it
 * cannot log the victim into the attacker's account ("login CSRF").
 *
 * @example
 * const sessions = new WebmailSessions(() => Date.now());
 * const nonce = sessions.newNonce(); // cookie webmail-login=nonce; hidden field csrf=sessions.loginToken(nonce)
 * sessions.checkLoginToken(nonce, token); // true only for the pair
 */
export class WebmailSessions {
  private readonly byId = new Map<string, WebmailSession>();
  private readonly secret = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh random value for the login cookie. */
  newNonce(): string {
    return randomBytes(18).toString("base64url");
  }

  /** The login form's token for this nonce. */
  loginToken(nonce: string): string {
    return createHmac("sha256", this.secret).update(`login ${nonce}`).digest("base64url");
  }

  /** Does the form's token belong to the cookie's nonce? (Compared in constant time.) */
  checkLoginToken(nonce: string | undefined, token: string | null): boolean {
    if (!nonce || !token) return false;
    const want = Buffer.from(this.loginToken(nonce));
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** Starts a session; returns its id, for the cookie. Expired sessions are dropped on the way. */
  create(user: string, password: string): string {
    this.sweep();
    const now = this.now();
    const id = randomBytes(18).toString("base64url");
    this.byId.set(id, { user, password, token: randomBytes(16).toString("base64url"), created: now, lastSeen: now });
    return id;
  }

  /** The session of this id, if it has not expired; a request through it counts as activity. */
  get(id: string | undefined): WebmailSession | undefined {
    const s = id === undefined ? undefined : this.byId.get(id);
    if (!s) return undefined;
    if (this.expired(s)) {
      this.byId.delete(id!);
      return undefined;
    }
    s.lastSeen = this.now();
    return s;
  }

  /** Ends a session (log out). */
  delete(id: string): void {
    this.byId.delete(id);
  }

  /** How many sessions are open (expired ones not yet swept included). */
  get size(): number {
    return this.byId.size;
  }

  private expired(s: WebmailSession): boolean {
    const now = this.now();
    return now - s.lastSeen > WEBMAIL_SESSION_IDLE_MS || now - s.created > WEBMAIL_SESSION_MAX_MS;
  }

  private sweep(): void {
    for (const [id, s] of this.byId) if (this.expired(s)) this.byId.delete(id);
  }
}
