/**
 * Named limits of the mail store's logins, shared by every way in (IMAP, POP3,
 * SMTP AUTH, webmail). Each is tested at the cap and one past it.
 *
 * Lockout figures are fail2ban's defaults (maxretry 5, findtime 10 min, bantime
 * 10 min); NIST SP 800-63B §5.2.2 asks a verifier to limit failed attempts.
 */

/** Failed logins for one user, within LOGIN_FAILURE_WINDOW_MS, after which the user is locked out (even with the right password). */
export const MAX_LOGIN_FAILURES_PER_USER = 5;

/**
 * Failed logins from one client address, within the window, before it is locked out: higher, since several people
 * may share one (a NAT, a webmail). The webmail is one client to the IMAP server: this many failures through it lock
 * its address out of IMAP for all its users, though it counts its browsers' addresses itself first. Real servers
 * take the browser's address from a trusted proxy instead (Dovecot: login_trusted_networks and IMAP ID's
 * x-originating-ip); this one does not yet.
 */
export const MAX_LOGIN_FAILURES_PER_CLIENT = 20;

/** Failures older than this are forgotten. */
export const LOGIN_FAILURE_WINDOW_MS = 10 * 60_000;

/** How long a locked-out user or client is refused. */
export const LOGIN_LOCKOUT_MS = 10 * 60_000;
