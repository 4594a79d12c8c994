import * as net from "node:net";
import { Address } from "../net/address";
import { Certificate } from "../net/certificate";
import { starttlsContext, upgradeToTls } from "../net/starttls";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { Trace, preview } from "../lab/trace";
import { IMAP_IDLE_TIMEOUT_MS } from "./limits";
import { MailAccess } from "../mailstore/maildir";
import { ImapSession } from "./session";
import { FrameEvent, ImapFramer } from "./syntax";

/** While a client IDLEs, the folder is also looked at this often, for mail delivered by other programs. */
export const IDLE_POLL_MS = 2000;

export interface ImapServerOptions extends ListenOptions {
  access: MailAccess;
  idleTimeoutMs?: number;
  trace?: Trace;
  /** Key and certificate for STARTTLS (RFC 9051 §6.2.1), offered when given; see selfSignedCertificate. */
  certificate?: Certificate;
  /** Take passwords only once TLS is on (LOGINDISABLED before it); needs `certificate`. */
  requireTls?: boolean;
}

export interface ImapServer extends Closable {
  readonly address: Address;
}

/**
 * Serves IMAP on TCP: an {@link ImapFramer} cuts the stream into lines and
 * literals (answering "+" when a literal may come), one {@link ImapSession} per
 * connection handles them in order. During IDLE, new mail is pushed as it is
 * delivered (and checked every IDLE_POLL_MS).
 *
 * @example
 * const imap = await serveImap({ port: 0, access: { hostname: "mail.umass.edu", mailboxes, checkPassword } });
 */
export async function serveImap(options: ImapServerOptions): Promise<ImapServer> {
  const { trace, access } = options;
  const context = starttlsContext(options.certificate, options.requireTls);
  const service = await serveTcp("imap", options, (plain) => {
    let socket: net.Socket = plain;
    const who = `${plain.remoteAddress}:${plain.remotePort}`;
    // The login throttle counts failures per client address too: the session does not know the peer, the adapter does.
    const session = new ImapSession({ hostname: access.hostname, mailboxes: access.mailboxes, checkPassword: (user, password) => access.checkPassword(user, password, plain.remoteAddress) }, { starttls: context !== undefined, requireTls: options.requireTls });
    const newFramer = () => new ImapFramer(undefined, undefined, true); // commands: CRLF only, no control bytes outside literals
    let framer = newFramer();
    let chain = Promise.resolve();
    let closed = false;
    const send = (text: string) => {
      if (!text || !socket.writable) return;
      socket.write(text, "latin1");
      trace?.record(access.hostname, who, preview(text, 70));
    };
    const run = (work: () => Promise<void>) => {
      chain = chain.then(work).catch((e) => send(`* BAD the server failed: ${(e as Error).message}\r\n`));
    };
    // IDLE: push what changed when mail is delivered, and now and then in any case.
    const push = () => run(async () => send(await session.idleUpdates()));
    const unwatch = access.mailboxes.watch(push);
    const poll = setInterval(() => session.isIdle && push(), IDLE_POLL_MS);
    send(session.greeting());
    socket.setTimeout(options.idleTimeoutMs ?? IMAP_IDLE_TIMEOUT_MS, () => {
      send("* BYE autologout; idle for too long\r\n");
      socket.end();
    });
    // Bumped by STARTTLS: commands framed before it (plaintext pipelined after STARTTLS) are dropped, not run.
    let generation = 0;
    const handle = (event: FrameEvent, framed: number) =>
      run(async () => {
        if (closed || framed !== generation) return;
        const out = await session.handle(event);
        send(out.text);
        if (out.close) {
          closed = true;
          socket.end();
        }
        if (out.startTls) startTls();
      });
    // STARTTLS: the OK went in the clear; from here the same TCP connection carries TLS records. Commands that came
    // after STARTTLS in plaintext are dropped, and so is the old framer (RFC 9051 §6.2.1 / RFC 3501 §11.1: else a man in the middle
    // could inject commands that would run as if sent over TLS).
    const startTls = () => {
      generation++;
      framer = newFramer();
      socket = upgradeToTls(plain, context, onData, () => session.tlsStarted());
      trace?.note(access.hostname, "TLS handshake");
    };
    const onData = (chunk: Buffer) => {
      if (closed) return;
      for (const event of framer.push(chunk)) {
        if (event.kind === "line") trace?.record(who, access.hostname, /^\S+ LOGIN /i.test(event.text) ? event.text.replace(/^(\S+ LOGIN \S+).*/i, "$1 ••••") : preview(event.text, 70));
        handle(event, generation);
      }
    };
    plain.on("data", onData);
    plain.on("close", () => {
      closed = true;
      unwatch();
      clearInterval(poll);
    });
  });
  return { address: service.address, close: () => service.close() };
}
