import * as net from "node:net";
import { Address } from "../net/address";
import { Closable, ListenOptions, bindTcp, closeTcpServer, releaseAddress, resolveListen, track, untrack } from "../net/lifecycle";
import { Trace, preview } from "../lab/trace";
import { IDLE_TIMEOUT_MS } from "./limits";
import { formatReply } from "./reply";
import { Envelope, SessionOutput, SmtpSession, SmtpSessionConfig } from "./session";

export interface SmtpServerOptions extends ListenOptions {
  session: SmtpSessionConfig;
  /** Stores a message; resolve only once it is durable (the server answers 250 after that, 451 if it throws). */
  store(envelope: Envelope, message: Buffer): Promise<void>;
  /** Checks a password for AUTH PLAIN (when session.auth is on). */
  checkPassword?(user: string, password: string): Promise<boolean>;
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
  const where = resolveListen(options);
  if (where.port !== 0) await releaseAddress("smtp", where);
  const stats = { connections: 0, accepted: 0, refused: 0 };
  const sockets = new Set<net.Socket>();
  const hostname = options.session.hostname;
  const trace = options.trace;

  // noDelay: each reply goes out at once; with Nagle's algorithm it would wait for the
  // client's delayed ACK (~40 ms), which dominated a pipelined dialogue's time.
  const server = net.createServer({ noDelay: true }, (socket) => {
    stats.connections++;
    sockets.add(socket);
    const peer = socket.remoteAddress ?? "?";
    const who = `${peer}:${socket.remotePort}`;
    const session = new SmtpSession(options.session);
    const send = (text: string) => {
      if (socket.writable) socket.write(text);
      if (trace) for (const line of text.split("\r\n").filter(Boolean)) trace.record(hostname, who, line);
    };
    const handle = (out: SessionOutput): void => {
      for (const r of out.replies) {
        if (r.code >= 500) stats.refused++;
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
          () => (stats.accepted++, handle(session.delivered(true))),
          () => handle(session.delivered(false)),
        );
      }
      if (out.authenticate) {
        const { user, password } = out.authenticate;
        (options.checkPassword ?? (async () => false))(user, password).then((ok) => handle(session.authenticated(ok)), () => handle(session.authenticated(false)));
      }
    };
    send(formatReply(session.greeting()));
    socket.setTimeout(options.idleTimeoutMs ?? IDLE_TIMEOUT_MS, () => {
      send(formatReply({ code: 421, enhanced: "4.4.2", lines: [`${hostname} idle too long; closing`] }));
      socket.end();
    });
    socket.on("data", (chunk) => {
      if (trace) trace.record(who, hostname, preview(chunk, 60));
      handle(session.feed(chunk));
    });
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  const address = await bindTcp(server, where);
  let closing: Promise<void> | undefined;
  const handle: SmtpServer = {
    address,
    stats,
    close() {
      untrack(handle);
      return (closing ??= closeTcpServer(server, sockets));
    },
  };
  return track(handle, "smtp", address);
}

