import { Address } from "../net/address";
import * as net from "node:net";
import * as tls from "node:tls";
import { AppLayerError, isAppLayerError } from "../errors";
import { Certificate } from "../net/certificate";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { Trace, preview } from "../lab/trace";
import { IDLE_TIMEOUT_MS } from "./limits";
import { formatReply } from "./reply";
import { Envelope, SessionOutput, SmtpSession, SmtpSessionConfig } from "./session";

export interface SmtpServerOptions extends ListenOptions {
  session: SmtpSessionConfig;
  /** Stores a message; resolve only once it is durable (the server answers 250 after that, 451 if it throws). */
  store(envelope: Envelope, message: Buffer): Promise<void>;
  /** Key and certificate for STARTTLS (when session.tls is on); see selfSignedCertificate. */
  certificate?: Certificate;
  /** Checks a password for AUTH PLAIN (when session.auth is on); `client` is the peer's address, for a login throttle, which rejects with LOGIN_THROTTLED (454). */
  checkPassword?(user: string, password: string, client?: string): Promise<boolean>;
  idleTimeoutMs?: number;
  trace?: Trace;
}

/** A running SMTP server. */
export interface SmtpServer extends Closable {
  readonly address: Address;
  readonly stats: { connections: number; accepted: number; refused: number };
}

/**
 * The RFC 5321 §4.4 trace line a receiving server prepends: who handed the
 * message over, to whom, when. Each hop adds one, so headers show the path.
 */
export function receivedHeader(envelope: Envelope, peer: string, hostname: string, now = new Date()): string {
  const to = envelope.rcptTo.length === 1 ? `\r\n\tfor <${envelope.rcptTo[0]}>` : "";
  return `Received: from ${envelope.helo} ([${peer}])\r\n\tby ${hostname} (applayer) with ${envelope.authenticatedAs ? "ESMTPA" : "ESMTP"}${to};\r\n\t${now.toUTCString().replace("GMT", "+0000")}\r\n`;
}

/**
 * Serves SMTP on TCP: one {@link SmtpSession} per connection, its replies written
 * back, each accepted message handed to `store` with a Received: line on top.
 * A client idle for `idleTimeoutMs` gets 421 and is disconnected; errors of one
 * connection never touch another.
 *
 * @example
 * const server = await serveSmtp({ port: 0, session: { hostname: "mail.umass.edu", localDomains: ["umass.edu"] },
 *   store: (env, msg) => maildir.deliver(env.rcptTo[0].split("@")[0], msg) });
 */
export async function serveSmtp(options: SmtpServerOptions): Promise<SmtpServer> {
  const counts = { accepted: 0, refused: 0 };
  const hostname = options.session.hostname;
  const trace = options.trace;
  if (options.session.tls && !options.certificate) throw new AppLayerError("BAD_ARGUMENT", "session.tls needs a certificate: pass certificate: await selfSignedCertificate(hostname)");
  const context = options.certificate && tls.createSecureContext(options.certificate);
  const service = await serveTcp("smtp", options, (plain) => {
    let socket: net.Socket = plain;
    const peer = plain.remoteAddress ?? "?";
    const who = `${peer}:${plain.remotePort}`;
    const session = new SmtpSession(options.session);
    const send = (text: string) => {
      if (socket.writable) socket.write(text);
      if (trace) for (const line of text.split("\r\n").filter(Boolean)) trace.record(hostname, who, line);
    };
    const handle = (out: SessionOutput): void => {
      for (const r of out.replies) {
        if (r.code >= 500) counts.refused++;
        send(formatReply(r));
      }
      if (out.close) {
        socket.end();
        return;
      }
      if (out.deliver) {
        const { envelope, message } = out.deliver;
        const stamped = Buffer.concat([Buffer.from(receivedHeader(envelope, peer, hostname)), message]);
        options.store(envelope, stamped).then(
          () => (counts.accepted++, handle(session.delivered(true))),
          () => handle(session.delivered(false)),
        );
      }
      if (out.startTls) {
        // The 220 is on its way; from here on the same TCP connection carries TLS records.
        plain.removeListener("data", onData);
        socket = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
        socket.on("error", () => plain.destroy());
        socket.once("secure", () => handle(session.tlsStarted()));
        socket.on("data", onData);
        trace?.note(hostname, "TLS handshake");
      }
      if (out.authenticate) {
        const { user, password } = out.authenticate;
        (options.checkPassword ?? (async () => false))(user, password, peer).then(
          (ok) => handle(session.authenticated(ok)),
          (e) => handle(session.authenticated(isAppLayerError(e, "LOGIN_THROTTLED") ? e.message : false)),
        );
      }
    };
    send(formatReply(session.greeting()));
    plain.setTimeout(options.idleTimeoutMs ?? IDLE_TIMEOUT_MS, () => {
      send(formatReply({ code: 421, enhanced: "4.4.2", lines: [`${hostname} idle too long; closing`] }));
      socket.end();
    });
    const onData = (chunk: Buffer) => {
      if (trace) trace.record(who, hostname, preview(chunk, 60));
      handle(session.feed(chunk));
    };
    plain.on("data", onData);
  });
  return {
    address: service.address,
    stats: {
      get connections() {
        return service.stats.connections;
      },
      get accepted() {
        return counts.accepted;
      },
      get refused() {
        return counts.refused;
      },
    },
    close: () => service.close(),
  };
}
