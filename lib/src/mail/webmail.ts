import * as http from "node:http";
import { AppLayerError, isAppLayerError } from "../errors";
import { Address } from "../net/address";
import { Closable, ListenOptions, serveTcp } from "../net/lifecycle";
import { ImapClient } from "../imap/client";
import { sendMail } from "../smtp/client";
import { MAX_WEBMAIL_BODY, WEBMAIL_SESSION_MAX_MS } from "./limits";
import { WebmailSession, WebmailSessions } from "./webmail-sessions";
import { LoginThrottle } from "../mailstore/login-throttle";
import { decodeWords } from "../message/header";
import { composeMessage, parseMessage } from "../message/message";
import { Trace } from "../lab/trace";

/**
 * Webmail: mail read and sent through a web page. The browser speaks only HTTP to
 * this server; this server is an IMAP client (to read Bob's folders) and an SMTP
 * client (to submit what he writes). "HTTP on top of IMAP and SMTP", as the
 * textbook puts it — Bob's browser never talks to a mail server itself.
 *
 * Sessions: after LOGIN succeeds over IMAP, the browser gets a random session id in
 * an HttpOnly, SameSite=Strict cookie; each form also carries a per-session token,
 * so another site cannot submit it (CSRF) — the login form too, with a token tied to
 * a cookie (see {@link WebmailSessions}). Sessions expire (WEBMAIL_SESSION_IDLE_MS
 * idle, WEBMAIL_SESSION_MAX_MS in all). Failed logins are counted per client address
 * and per user ({@link LoginThrottle}); past the limit the form answers 429 for a
 * while, even to the right password. Everything shown is HTML-escaped.
 */
export interface WebmailOptions extends ListenOptions {
  /** The domain's name, shown on the page and appended to user names for From. */
  domain: string;
  /** The IMAP server the webmail reads from. */
  imap: Address;
  /** The submission port the webmail sends through (STARTTLS + AUTH PLAIN). */
  submission: Address;
  /** The clock (ms) of sessions and the login throttle; tests move it instead of sleeping. */
  now?: () => number;
  /**
   * Records what the webmail says on both of its sides: each HTTP request and the
   * status it answered (lifelines "browser HOST:PORT" and "webmail"), and the SMTP
   * dialogue of each message it submits (its lifeline "webmail" again). Its IMAP
   * reads are left out.
   */
  trace?: Trace;
}

export interface Webmail extends Closable {
  readonly address: Address;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#222}header{background:#1f4e79;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header a,header button{color:#fff;background:none;border:0;font:inherit;cursor:pointer;text-decoration:underline}main{padding:16px 20px;max-width:900px}
table{border-collapse:collapse;width:100%}td,th{padding:6px 8px;border-bottom:1px solid #ddd;text-align:left}tr.unseen td{font-weight:600}
label{display:block;margin:8px 0 2px}input,textarea{width:100%;box-sizing:border-box;padding:6px;font:inherit}pre{white-space:pre-wrap;background:#f6f6f6;padding:12px}
.note{background:#e8f4e8;padding:8px 12px}.error{background:#fbe9e9;padding:8px 12px}`;

function page(title: string, body: string, session?: WebmailSession, domain = ""): string {
  const nav = session
    ? `<a href="/inbox">Inbox</a><a href="/compose">Compose</a><form method="post" action="/logout" style="margin-left:auto"><input type="hidden" name="token" value="${session.token}"><button>Log out ${escape(session.user)}</button></form>`
    : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body><header><strong>${escape(domain)} webmail</strong>${nav}</header><main>${body}</main></body></html>`;
}

/** Reads a form body (application/x-www-form-urlencoded), refusing more than MAX_WEBMAIL_BODY bytes. */
function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const tooBig = new AppLayerError("BAD_ARGUMENT", `the form is larger than ${MAX_WEBMAIL_BODY} bytes (MAX_WEBMAIL_BODY)`);
    if (Number(req.headers["content-length"] ?? 0) > MAX_WEBMAIL_BODY) return reject(tooBig);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_WEBMAIL_BODY) chunks.push(c); // past the limit: read on, keep nothing
    });
    req.on("end", () => (size > MAX_WEBMAIL_BODY ? reject(tooBig) : resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8")))));
    req.on("error", reject);
  });
}

/**
 * Starts the webmail on HTTP. Pages: / (log in), /inbox, /message/UID, /compose.
 *
 * @example
 * const web = await serveWebmail({ port: 0, domain: "umass.edu", imap: server.imap!.address, submission: server.submission!.address });
 * // open http://127.0.0.1:PORT/ and log in as bob / bobpass
 */
export async function serveWebmail(options: WebmailOptions): Promise<Webmail> {
  const sessions = new WebmailSessions(options.now);
  const throttle = new LoginThrottle({}, options.now);
  const imapFor = async (s: { user: string; password: string }) => {
    const c = await ImapClient.connect({ server: options.imap });
    await c.login(s.user, s.password);
    return c;
  };
  const cookie = (req: http.IncomingMessage, name: string) => new RegExp(`(?:^|;\\s*)${name}=([A-Za-z0-9_-]+)`).exec(req.headers.cookie ?? "")?.[1];
  const send = (res: http.ServerResponse, status: number, html: string, headers: http.OutgoingHttpHeaders = {}) => {
    // After 413 the unread body is still coming: close rather than read it as the next request.
    const close = status === 413 ? { connection: "close" } : {};
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY", ...close, ...headers });
    res.end(html);
  };
  const redirect = (res: http.ServerResponse, to: string, cookie?: string) => {
    // Set, not passed to writeHead, so that the trace can read where it points.
    res.setHeader("location", to);
    res.writeHead(303, cookie ? { "set-cookie": cookie } : {});
    res.end();
  };
  /** The login form, its CSRF token tied to the nonce in the webmail-login cookie (a new one if the browser has none). */
  const showLogin = (req: http.IncomingMessage, res: http.ServerResponse, status: number, message = "", headers: http.OutgoingHttpHeaders = {}) => {
    const old = cookie(req, "webmail-login");
    const nonce = old ?? sessions.newNonce();
    const setCookie = old ? {} : { "set-cookie": `webmail-login=${nonce}; HttpOnly; SameSite=Strict; Path=/` };
    const note = message ? `<p class="${status === 200 ? "note" : "error"}">${escape(message)}</p>` : "";
    const form = `<form method="post" action="/login"><input type="hidden" name="csrf" value="${sessions.loginToken(nonce)}"><label>User<input name="user" autofocus></label><label>Password<input name="password" type="password"></label><p><button>Log in</button></p></form>`;
    return send(res, status, page("Log in", note + form, undefined, options.domain), { ...setCookie, ...headers });
  };

  /** POST /login: the form's token, then the throttle, then LOGIN over IMAP; a session on success. */
  async function logIn(req: http.IncomingMessage, res: http.ServerResponse, form: URLSearchParams): Promise<void> {
    if (!sessions.checkLoginToken(cookie(req, "webmail-login"), form.get("csrf"))) {
      // A cross-site POST (no SameSite=Strict cookie, no token): nothing changes, the browser's session included.
      return send(res, 403, page("Forbidden", `<p class="error">This login form is not from this site, or it is stale. <a href="/">Open the login page</a> again.</p>`, undefined, options.domain));
    }
    const user = (form.get("user") ?? "").trim().toLowerCase();
    const password = form.get("password") ?? "";
    const who = { user: user.split("@")[0], client: req.socket.remoteAddress };
    const wait = throttle.retryAfter(who);
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60_000);
      return showLogin(req, res, 429, `Too many failed logins for this user or from this address. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, { "retry-after": String(Math.ceil(wait / 1000)) });
    }
    try {
      await (await imapFor({ user, password })).logout();
    } catch (e) {
      if (!isAppLayerError(e, "IMAP_REPLY")) throw e;
      // The IMAP server's own throttle (shared with POP3 and SMTP AUTH) said "later": pass that on, it is no wrong password.
      if (/^\[LIMIT\]/.test(String(e.detail.text))) return showLogin(req, res, 429, "Too many failed logins for this user or from this address. Try again later.");
      throttle.failed(who);
      return showLogin(req, res, 401, "Wrong user name or password.");
    }
    throttle.succeeded(who);
    const old = cookie(req, "webmail");
    if (old) sessions.delete(old); // a new login replaces the browser's old session
    const id = sessions.create(user, password);
    return redirect(res, "/inbox", `webmail=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${WEBMAIL_SESSION_MAX_MS / 1000}`);
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://webmail");
    const sessionId = cookie(req, "webmail");
    const session = sessions.get(sessionId);
    if (req.method === "POST") {
      const form = await readForm(req);
      if (url.pathname === "/login") return logIn(req, res, form);
      if (!session || form.get("token") !== session.token) return send(res, 403, page("Forbidden", `<p class="error">This form is not from your session. <a href="/">Log in</a> again.</p>`, undefined, options.domain));
      if (url.pathname === "/logout") {
        sessions.delete(sessionId!);
        return redirect(res, "/", "webmail=; Max-Age=0; Path=/");
      }
      if (url.pathname === "/send") {
        const from = `${session.user}@${options.domain}`;
        const to = (form.get("to") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
        if (!to.length) return send(res, 400, page("Compose", `<p class="error">Say who the message is for.</p>`, session, options.domain));
        const message = composeMessage({ from, to, subject: form.get("subject") ?? "", text: form.get("body") ?? "" });
        try {
          await sendMail({ server: options.submission, from, to, message, auth: { user: session.user, password: session.password }, trace: options.trace, traceName: "webmail" });
        } catch (e) {
          if (isAppLayerError(e, "MAIL_ADDRESS")) return send(res, 400, page("Not sent", `<p class="error">${escape(e.message)}</p>`, session, options.domain));
          if (!isAppLayerError(e, "SMTP_REPLY")) throw e;
          return send(res, 502, page("Not sent", `<p class="error">The mail server refused it: ${escape(e.message)}</p>`, session, options.domain));
        }
        return redirect(res, "/inbox?sent=1");
      }
      return send(res, 404, page("Not found", "<p>No such page.</p>", session, options.domain));
    }
    if (req.method !== "GET") return send(res, 405, page("Method not allowed", "<p>Use GET or POST.</p>"));
    if (!session) {
      // A cookie of a session that has expired (or ended): back to the login page, saying why, and forget the cookie.
      if (url.pathname !== "/") return sessionId ? redirect(res, "/?expired=1", "webmail=; Max-Age=0; Path=/") : redirect(res, "/");
      return showLogin(req, res, 200, url.searchParams.has("expired") ? "Your session has expired. Please log in again." : "");
    }
    if (url.pathname === "/") return redirect(res, "/inbox");
    if (url.pathname === "/inbox") {
      const imap = await imapFor(session);
      try {
        const box = await imap.select("INBOX", true);
        const rows = box.exists ? await imap.fetch("1:*", "(UID FLAGS ENVELOPE)") : [];
        const list = rows.reverse().map((m) => {
          const env = m.items.ENVELOPE as Array<unknown>;
          const from = (env[2] as Array<Array<unknown>> | null)?.[0];
          const who = from ? decodeWords(String(from[0] ?? `${from[2]}@${from[3]}`)) : "";
          const unseen = !(m.items.FLAGS as string[]).includes("\\Seen");
          const subject = decodeWords(String(env[1] ?? "")) || "(no subject)";
          return `<tr class="${unseen ? "unseen" : ""}"><td>${escape(who)}</td><td><a href="/message/${m.items.UID}">${escape(subject)}</a></td><td>${escape(String(env[0] ?? ""))}</td></tr>`;
        });
        const note = url.searchParams.has("sent") ? `<p class="note">Message sent.</p>` : "";
        return send(res, 200, page("Inbox", `${note}<h1>Inbox (${box.exists})</h1><table><tr><th>From</th><th>Subject</th><th>Date</th></tr>${list.join("")}</table>`, session, options.domain));
      } finally {
        await imap.logout();
      }
    }
    const m = /^\/message\/(\d+)$/.exec(url.pathname);
    if (m) {
      const imap = await imapFor(session);
      try {
        await imap.select("INBOX");
        const [r] = await imap.fetch(m[1], "BODY[]", { uid: true }); // not PEEK: reading marks it \Seen
        if (!r) return send(res, 404, page("Not found", "<p>No such message.</p>", session, options.domain));
        const msg = parseMessage(r.items["BODY[]"] as Buffer);
        const header = (["From", "To", "Date", "Subject"] as const).map((h) => `<tr><th>${h}</th><td>${escape(msg.header(h) ?? "")}</td></tr>`).join("");
        const files = msg.attachments.map((a) => `<li>${escape(a.filename || "(unnamed)")} — ${escape(a.contentType)}, ${a.content.length} bytes</li>`).join("");
        return send(res, 200, page(msg.subject, `<table>${header}</table><pre>${escape(msg.text ?? "(no plain-text part)")}</pre>${files ? `<ul>${files}</ul>` : ""}`, session, options.domain));
      } finally {
        await imap.logout();
      }
    }
    if (url.pathname === "/compose") {
      return send(res, 200, page("Compose", `<form method="post" action="/send"><input type="hidden" name="token" value="${session.token}"><label>To<input name="to"></label><label>Subject<input name="subject"></label><label>Message<textarea name="body" rows="10"></textarea></label><p><button>Send</button></p></form>`, session, options.domain));
    }
    return send(res, 404, page("Not found", "<p>No such page.</p>", session, options.domain));
  }

  const server = http.createServer((req, res) => {
    if (options.trace) traceExchange(options.trace, req, res);
    route(req, res).catch((e) => {
      if (!res.headersSent) send(res, isAppLayerError(e, "BAD_ARGUMENT") ? 413 : 502, page("Error", `<p class="error">${escape((e as Error).message)}</p>`, undefined, options.domain));
    });
  });
  // The TCP side is the lib's, like every other server's; node:http parses the requests.
  const service = await serveTcp("http", options, (socket) => server.emit("connection", socket));
  return { address: service.address, close: () => service.close() };
}

/** Records an HTTP request line and, once it is sent, the status that answered it (and where a redirect points). */
function traceExchange(trace: Trace, req: http.IncomingMessage, res: http.ServerResponse): void {
  const browser = `browser ${req.socket.remoteAddress}:${req.socket.remotePort}`;
  trace.record(browser, "webmail", `${req.method} ${req.url}`);
  res.once("finish", () => {
    const location = res.getHeader("location");
    trace.record("webmail", browser, `${res.statusCode} ${res.statusMessage}${location ? ` → ${location}` : ""}`);
  });
}
