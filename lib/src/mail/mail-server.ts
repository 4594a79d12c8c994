import { Address } from "../net/address";
import { Closable } from "../net/lifecycle";
import { Trace } from "../lab/trace";
import { SmtpServer, serveSmtp } from "../smtp/server";
import { Maildir } from "./maildir";
import { Users } from "./users";

/** One domain's mail server: its SMTP receiver and the mailboxes behind it. */
export interface MailServer extends Closable {
  readonly domain: string;
  readonly smtp: SmtpServer;
  readonly mailboxes: Maildir;
  readonly users: Users;
  /** Every listening service, by name ("smtp" …), for printing. */
  readonly services: Array<{ name: string; address: Address }>;
}

export interface MailServerOptions {
  domain: string;
  /** Where the mailboxes live (one Maildir per user). */
  dataDir: string;
  /** "name:password" pairs; passwords are kept only as scrypt hashes. */
  users: string[];
  host?: string;
  smtpPort?: number;
  trace?: Trace;
}

/**
 * Starts Bob's (or Alice's) mail server: an SMTP receiver that accepts mail for
 * its domain's users only — no open relay — and stores each message durably in
 * the recipient's Maildir before answering 250.
 *
 * @example
 * const umass = await startMailServer({ domain: "umass.edu", dataDir: "/tmp/umass", users: ["bob:bobpass"] });
 */
export async function startMailServer(options: MailServerOptions): Promise<MailServer> {
  const users = await Users.from(options.users);
  const mailboxes = new Maildir(options.dataDir);
  const domain = options.domain.toLowerCase();
  const localPart = (address: string) => address.split("@")[0].toLowerCase();
  const smtp = await serveSmtp({
    host: options.host,
    port: options.smtpPort ?? 0,
    trace: options.trace,
    session: { hostname: `mail.${domain}`, localDomains: [domain], isLocalUser: (a) => users.has(localPart(a)) },
    async store(envelope, message) {
      for (const rcpt of new Set(envelope.rcptTo.map(localPart))) await mailboxes.deliver(rcpt, message);
    },
  });
  return {
    domain,
    smtp,
    mailboxes,
    users,
    services: [{ name: "smtp", address: smtp.address }],
    close: () => smtp.close(),
  };
}
