import { Address } from "../net/address";
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
  const service = await serveTcp("imap", options, (socket) => {
    const who = `${socket.remoteAddress}:${socket.remotePort}`;
    // The login throttle counts failures per client address too: the session does not know the peer, the adapter does.
    const session = new ImapSession({ hostname: access.hostname, mailboxes: access.mailboxes, checkPassword: (user, password) => access.checkPassword(user, password, socket.remoteAddress) });
    const framer = new ImapFramer(undefined, undefined, true); // commands: CRLF only, no control bytes outside literals
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
    const handle = (event: FrameEvent) =>
      run(async () => {
        if (closed) return;
        const out = await session.handle(event);
        send(out.text);
        if (out.close) {
          closed = true;
          socket.end();
        }
      });
    socket.on("data", (chunk) => {
      if (closed) return;
      for (const event of framer.push(chunk)) {
        if (event.kind === "line") trace?.record(who, access.hostname, /^\S+ LOGIN /i.test(event.text) ? event.text.replace(/^(\S+ LOGIN \S+).*/i, "$1 ••••") : preview(event.text, 70));
        handle(event);
      }
    });
    socket.on("close", () => {
      closed = true;
      unwatch();
      clearInterval(poll);
    });
  });
  return { address: service.address, close: () => service.close() };
}
