/** Named limits of the mail server as a role. */

/** The largest form (a composed message) the webmail accepts. */
export const MAX_WEBMAIL_BODY = 1024 * 1024;
