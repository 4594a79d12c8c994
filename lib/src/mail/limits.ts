/** Named limits of the mail server as a role. */

/** The largest form (a composed message) the webmail accepts. */
export const MAX_WEBMAIL_BODY = 1024 * 1024;

/**
 * A webmail session ends after this long without a request (idle timeout), and
 * after WEBMAIL_SESSION_MAX_MS in any case (absolute timeout), so a cookie left in a
 * shared browser or stolen stops working. Figures: OWASP's Session Management Cheat
 * Sheet (15–30 min idle for low-risk applications; 4–8 h absolute).
 */
export const WEBMAIL_SESSION_IDLE_MS = 30 * 60_000;
export const WEBMAIL_SESSION_MAX_MS = 8 * 3_600_000;
