import * as net from "node:net";
import { Address } from "../net/address";
import { Certificate } from "../net/certificate";
import { starttlsContext, upgradeToTls } from "../net/starttls";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { LineSplitter } from "../net/framing";
import { Trace, preview } from "../lab/trace";
import { MAX_POP3_LINE, POP3_IDLE_TIMEOUT_MS } from "./limits";
import { MailAccess } from "../mailstore/maildir";
import { Pop3Session } from "./session";

export interface Pop3ServerOptions extends ListenOptions {
  access: MailAccess;
  idleTimeoutMs?: number;
  trace?: Trace;
  /** Key and certificate for STLS (RFC 2595 §4), offered when given; see selfSignedCertificate. */
  certificate?: Certificate;
  /** Take USER and PASS only once TLS is on; needs `certificate`. */
  requireTls?: boolean;
}

export interface Pop3Server extends Closable {
  readonly address: Address;
}

/**
 * Serves POP3 on TCP: one {@link Pop3Session} per connection, commands handled
 * one at a time in order (a pipelining client may send several at once).
 *
 * @example
 * const pop = await servePop3({ port: 0, access: { hostname: "mail.umass.edu", mailboxes, checkPassword } });
 */
export async function servePop3(options: Pop3ServerOptions): Promise<Pop3Server> {
  const { trace, access } = options;
  const context = starttlsContext(options.certificate, options.requireTls);
  const service = await serveTcp("pop3", options, (plain) => {
    let socket: net.Socket = plain;
    const who = `${plain.remoteAddress}:${plain.remotePort}`;
    // The login throttle counts failures per client address too: the session does not know the peer, the adapter does.
    const session = new Pop3Session({ hostname: access.hostname, mailboxes: access.mailboxes, checkPassword: (user, password) => access.checkPassword(user, password, plain.remoteAddress) }, { stls: context !== undefined, requireTls: options.requireTls });
    // Room for the longest line we accept plus slack, so an over-long one still gets -ERR, not a cut.
    // RFC 1939 §3: commands end in CRLF; a bare LF or CR stays in its line, and the session refuses it.
    let splitter = new LineSplitter(MAX_POP3_LINE * 4, true);
    let chain = Promise.resolve();
    const send = (text: string) => {
      if (socket.writable) socket.write(text, "latin1");
      trace?.record(access.hostname, who, preview(text, 60));
    };
    send(session.greeting());
    socket.setTimeout(options.idleTimeoutMs ?? POP3_IDLE_TIMEOUT_MS, () => {
      send("-ERR idle too long; closing\r\n");
      session.release();
      socket.end();
    });
    // Bumped by STLS: lines that came after it in plaintext are dropped, not run (RFC 2595 §4: the client must not
    // pipeline past STLS; a man in the middle could otherwise inject commands that would run as if sent over TLS).
    let generation = 0;
    const startTls = () => {
      generation++;
      splitter = new LineSplitter(MAX_POP3_LINE * 4, true);
      socket = upgradeToTls(plain, context, onData, () => session.tlsStarted());
      trace?.note(access.hostname, "TLS handshake");
    };
    const onData = (chunk: Buffer) => {
      let lines: Buffer[];
      try {
        lines = splitter.push(chunk);
      } catch {
        send(`-ERR line longer than ${MAX_POP3_LINE} octets; closing\r\n`);
        session.release();
        socket.end();
        return;
      }
      const framed = generation;
      for (const line of lines) {
        const text = line.toString("latin1");
        trace?.record(who, access.hostname, text.startsWith("PASS ") ? "PASS ••••" : text);
        chain = chain
          .then(async () => {
            if (framed !== generation) return;
            const out = await session.handle(text);
            send(out.text);
            if (out.close) socket.end();
            if (out.startTls) startTls();
          })
          .catch((e) => send(`-ERR the server failed (${(e as Error).message}); try again\r\n`));
      }
    };
    plain.on("data", onData);
    plain.on("close", () => session.release());
  });
  return { address: service.address, close: () => service.close() };
}
