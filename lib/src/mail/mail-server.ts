import { Address } from "../net/address";
import { selfSignedCertificate } from "../net/certificate";
import { Closable, ListenOptions } from "../net/lifecycle";
import { Trace } from "../lab/trace";
import { SmtpServer, serveSmtp } from "../smtp/server";
import { Envelope } from "../smtp/session";
import { DeliveryEvent, MxLookup, OutgoingQueue } from "../smtp/queue";
import { join } from "node:path";
import { ImapServer, serveImap } from "../imap/server";
import { Pop3Server, servePop3 } from "../pop3/server";
import { MailAccess, Maildir } from "../mailstore/maildir";
import { Webmail, serveWebmail } from "./webmail";
import { Users } from "../mailstore/users";

/** One domain's mail server: its SMTP receiver and the mailboxes behind it. */
export interface MailServer extends Closable {
  readonly domain: string;
  readonly smtp: SmtpServer;
  /** The submission port for the domain's own users (AUTH required), if started. */
  readonly submission?: SmtpServer;
  /** Mail access for the domain's users, if started. */
  readonly imap?: ImapServer;
  readonly pop3?: Pop3Server;
  /** The webmail (HTTP), if started. */
  readonly http?: Webmail;
  /** Mail waiting to go to other domains' servers. */
  readonly queue: OutgoingQueue;
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
  /** Start a submission port (RFC 6409) for the domain's users; 0 = any free port. */
  submissionPort?: number;
  /** Start IMAP / POP3 for the domain's users; 0 = any free port. */
  imapPort?: number;
  pop3Port?: number;
  /** Start the webmail on HTTP (it also starts IMAP and submission, which it uses). */
  httpPort?: number;
  /** How to find other domains' mail servers (staticMx or dnsMx). Without it, mail to other domains bounces. */
  mx?: MxLookup;
  /** Called for every delivery attempt of the outgoing queue. */
  onDelivery?: (e: DeliveryEvent) => void;
  trace?: Trace;
  /** The clock (ms) of the login throttle and the webmail's sessions; tests move it instead of sleeping. */
  now?: () => number;
  /** Records what every service of this server sends and receives (see the lab's Capture). */
  capture?: ListenOptions["capture"];
}

/**
 * Starts one domain's mail server, as in the textbook's Alice → Bob story:
 *  - an SMTP receiver that accepts mail for its domain's users only (no open
 *    relay) and stores each message durably in the recipient's Maildir before 250;
 *  - a submission port where the domain's own users (after AUTH) hand in mail for
 *    anyone; mail for other domains waits in the outgoing queue, on disk, until
 *    the recipient's server (found by MX lookup) takes it.
 *
 * @example
 * const umass = await startMailServer({ domain: "umass.edu", dataDir: "/tmp/umass", users: ["bob:bobpass"] });
 */
export async function startMailServer(options: MailServerOptions): Promise<MailServer> {
  const users = await Users.from(options.users, { now: options.now });
  const mailboxes = new Maildir(options.dataDir);
  const domain = options.domain.toLowerCase();
  const localPart = (address: string) => address.split("@")[0].toLowerCase();
  const isLocal = (address: string) => address.split("@")[1]?.toLowerCase() === domain;
  const hostname = `mail.${domain}`;
  // Every port offers STARTTLS (POP3: STLS) with a certificate made on the fly; the submission port
  // takes passwords only once TLS is on.
  const certificate = await selfSignedCertificate(hostname);
  const session = { hostname, localDomains: [domain], isLocalUser: (a: string) => users.has(localPart(a)), tls: true };
  let self: Address | undefined;
  // Our own domain is us; any other goes through the MX lookup.
  const mx: MxLookup = async (d) => (d === domain && self ? [self] : options.mx ? options.mx(d) : []);
  const queue = await OutgoingQueue.open({ dir: join(options.dataDir, ".queue"), hostname, mx, onEvent: options.onDelivery });
  const deliverLocal = async (envelope: Envelope, message: Buffer) => {
    for (const rcpt of new Set(envelope.rcptTo.filter(isLocal).map(localPart))) await mailboxes.deliver(rcpt, message);
  };
  const smtp = await serveSmtp({ host: options.host, port: options.smtpPort ?? 0, trace: options.trace, capture: options.capture, session, certificate, store: deliverLocal });
  self = smtp.address;
  const wantsWeb = options.httpPort !== undefined;
  const submission = options.submissionPort === undefined && !wantsWeb ? undefined : await serveSmtp({
    host: options.host,
    port: options.submissionPort ?? 0,
    trace: options.trace,
    capture: options.capture,
    session: { ...session, auth: true, requireAuth: true, authNeedsTls: true },
    certificate,
    checkPassword: (user, password, client) => users.check(user.split("@")[0], password, client),
    async store(envelope, message) {
      await deliverLocal(envelope, message);
      const remote = envelope.rcptTo.filter((r) => !isLocal(r));
      if (remote.length) await queue.enqueue(envelope.mailFrom, remote, message); // on disk before the 250
    },
  });
  const access: MailAccess = { hostname, mailboxes, checkPassword: (user, password, client) => users.check(user, password, client) };
  const imap = options.imapPort === undefined && !wantsWeb ? undefined : await serveImap({ host: options.host, port: options.imapPort ?? 0, access, certificate, trace: options.trace, capture: options.capture });
  const pop3 = options.pop3Port === undefined ? undefined : await servePop3({ host: options.host, port: options.pop3Port, access, certificate, trace: options.trace, capture: options.capture });
  const http = wantsWeb ? await serveWebmail({ host: options.host, port: options.httpPort, capture: options.capture, now: options.now, domain, imap: imap!.address, submission: submission!.address }) : undefined;
  const services = { smtp, submission, imap, pop3, http };
  return {
    domain,
    smtp,
    submission,
    imap,
    pop3,
    http,
    queue,
    mailboxes,
    users,
    services: Object.entries(services).flatMap(([name, s]) => (s ? [{ name, address: s.address }] : [])),
    async close() {
      await Promise.all([...Object.values(services).map((s) => s?.close()), queue.close()]);
    },
  };
}
