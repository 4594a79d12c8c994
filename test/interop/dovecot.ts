/**
 * A real Dovecot (Debian's dovecot-imapd + dovecot-pop3d) on loopback for the
 * interop tests and the benchmark: the lib's startDovecot (the judge lessons
 * start too) with POP3 added, users named with their domain ("bob@umass.edu").
 */
import { startDovecot as startLibDovecot } from "../../lib/src/mail/dovecot";

export interface Dovecot {
  imap: { host: string; port: number };
  pop3: { host: string; port: number };
  /** The Maildir Dovecot reads for user@domain. */
  maildir(user: string, domain: string): string;
  stop(): Promise<void>;
}

/** Starts Dovecot with `users` ("bob@umass.edu:bobpass"); resolves once IMAP answers. */
export async function startDovecot(users: string[]): Promise<Dovecot> {
  const dovecot = await startLibDovecot({ users, pop3: true });
  return {
    imap: dovecot.imap,
    pop3: dovecot.pop3!,
    maildir: (user, domain) => dovecot.maildir(`${user}@${domain}`),
    stop: () => dovecot.close(),
  };
}
