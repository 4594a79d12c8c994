/**
 * The webmail's trust rules over plain HTTP (the browser walk-through is in
 * test/interop/webmail.test.ts): the login form's CSRF token, session expiry, and
 * the login throttle. Time is the test's own clock, moved by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapServer, serveImap } from "../../lib/src/imap/server";
import { Maildir } from "../../lib/src/mailstore/maildir";
import { Webmail, serveWebmail } from "../../lib/src/mail/webmail";
import { WEBMAIL_SESSION_IDLE_MS, WEBMAIL_SESSION_MAX_MS } from "../../lib/src/mail/limits";
import { throttled } from "../../lib/src/mailstore/users";
import { LOGIN_LOCKOUT_MS, MAX_LOGIN_FAILURES_PER_CLIENT, MAX_LOGIN_FAILURES_PER_USER } from "../../lib/src/mailstore/limits";

let now = 1_000_000;
let imap: ImapServer;
let web: Webmail;
const passwords: Record<string, string> = { bob: "bobpass", carol: "carolpass", dave: "davepass" };

beforeAll(async () => {
  const mailboxes = new Maildir(mkdtempSync(join(tmpdir(), "applayer-webmail-")));
  // erin is locked out by the IMAP server's own throttle (as Users.check would have her after failures over POP3 or SMTP).
  const checkPassword = async (u: string, p: string) => (u === "erin" ? Promise.reject(throttled(LOGIN_LOCKOUT_MS)) : passwords[u] === p);
  imap = await serveImap({ port: 0, access: { hostname: "mail.umass.edu", mailboxes, checkPassword } });
  web = await serveWebmail({ port: 0, domain: "umass.edu", imap: imap.address, submission: { host: "127.0.0.1", port: 9 }, now: () => now });
});
afterAll(async () => {
  await web?.close();
  await imap?.close();
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from `from` (a loopback address: each is another client to the throttle). */
function request(method: string, path: string, options: { cookie?: string; form?: Record<string, string>; from?: string; origin?: string } = {}): Promise<Reply> {
  const body = options.form ? new URLSearchParams(options.form).toString() : "";
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: web.address.port, method, path, localAddress: options.from ?? "127.0.0.1", headers: {
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.form ? { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
    } });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const cookieOf = (r: Reply, name: string) => r.headers["set-cookie"]?.map((c) => c.split(";")[0]).find((c) => c.startsWith(`${name}=`));

/** What a browser does: open the login page (a cookie, a token in the form), then post it. */
async function logIn(user: string, password: string, from = "127.0.0.1", cookie = "") {
  const page = await request("GET", "/", { from, cookie });
  const loginCookie = cookieOf(page, "webmail-login") ?? cookie;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1];
  const r = await request("POST", "/login", { from, cookie: [loginCookie, cookie].filter(Boolean).join("; "), form: { csrf, user, password } });
  return { ...r, session: cookieOf(r, "webmail") };
}

describe("webmail: the login form's CSRF token", () => {
  it("refuses a cross-site POST to /login (no token, or a token without its cookie) and leaves the victim's session as it was", async () => {
    const victim = await logIn("bob", "bobpass");
    expect(victim.status).toBe(303);
    // What a page on another site can make Bob's browser send: the attacker's credentials, no Strict cookies.
    const forged = await request("POST", "/login", { form: { user: "carol", password: "carolpass" }, origin: "http://evil.example" });
    expect(forged.status).toBe(403);
    expect(forged.headers["set-cookie"]).toBeUndefined();
    // A token copied from the attacker's own visit does not go with another cookie.
    const attackerPage = await request("GET", "/");
    const csrf = /name="csrf" value="([^"]+)"/.exec(attackerPage.body)![1];
    const replayed = await request("POST", "/login", { cookie: `${victim.session}; webmail-login=someoneelse`, form: { csrf, user: "carol", password: "carolpass" } });
    expect(replayed.status).toBe(403);
    expect(replayed.headers["set-cookie"]).toBeUndefined();
    const inbox = await request("GET", "/compose", { cookie: victim.session });
    expect(inbox.status).toBe(200);
    expect(inbox.body).toMatch(/Log out bob/);
  });
});

describe("webmail: sending", () => {
  it("refuses a To that would inject SMTP commands with 400, before connecting to the submission port", async () => {
    const { session } = await logIn("bob", "bobpass");
    const token = /name="token" value="([^"]+)"/.exec((await request("GET", "/compose", { cookie: session })).body)![1];
    // The submission port (9, discard) is never reached: a connection attempt would end in 502, not 400.
    const r = await request("POST", "/send", { cookie: session, form: { token, to: "alice@umass.edu>\r\nDATA\r\nFrom: ceo@umass.edu", subject: "s", body: "b" } });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/recipient address .* is refused/);
  });
});

describe("webmail: sessions expire", () => {
  it(`after WEBMAIL_SESSION_IDLE_MS (${WEBMAIL_SESSION_IDLE_MS / 60_000} min) without a request: at the limit still in, one ms past it sent to the login page`, async () => {
    const { session } = await logIn("bob", "bobpass");
    now += WEBMAIL_SESSION_IDLE_MS;
    expect((await request("GET", "/compose", { cookie: session })).status).toBe(200); // exactly the limit: still in (and active again)
    now += WEBMAIL_SESSION_IDLE_MS + 1;
    const stale = await request("GET", "/compose", { cookie: session });
    expect([stale.status, stale.headers.location]).toEqual([303, "/?expired=1"]);
    expect(cookieOf(stale, "webmail")).toBe("webmail="); // the stale cookie is dropped
    const login = await request("GET", stale.headers.location!, { cookie: session });
    expect(login.body).toMatch(/session has expired[\s\S]*name="password"/);
    expect((await request("POST", "/logout", { cookie: session, form: { token: "x" } })).status).toBe(403); // its forms are dead too
  });
  it(`after WEBMAIL_SESSION_MAX_MS (${WEBMAIL_SESSION_MAX_MS / 3_600_000} h) however active: at the limit still in, one ms past it out`, async () => {
    const { session } = await logIn("bob", "bobpass");
    const start = now;
    while (now + WEBMAIL_SESSION_IDLE_MS < start + WEBMAIL_SESSION_MAX_MS) {
      now += WEBMAIL_SESSION_IDLE_MS;
      expect((await request("GET", "/compose", { cookie: session })).status).toBe(200);
    }
    now = start + WEBMAIL_SESSION_MAX_MS;
    expect((await request("GET", "/compose", { cookie: session })).status).toBe(200);
    now += 1;
    expect((await request("GET", "/compose", { cookie: session })).headers.location).toBe("/?expired=1");
  });
});

describe("webmail: failed logins are throttled", () => {
  it(`per user: ${MAX_LOGIN_FAILURES_PER_USER - 1} failures then the right password logs in; ${MAX_LOGIN_FAILURES_PER_USER} lock the user out, even with the right password and from another address`, async () => {
    now += LOGIN_LOCKOUT_MS * 10; // a fresh start for every count
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_USER - 1; i++) expect((await logIn("carol", "guess")).status).toBe(401);
    expect((await logIn("carol", "carolpass")).status).toBe(303); // at the cap: still in, and the count starts over
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_USER; i++) expect((await logIn("carol", "guess")).status).toBe(401);
    const locked = await logIn("carol", "carolpass"); // attempt N+1, with the right password
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBe(LOGIN_LOCKOUT_MS / 1000);
    expect(locked.body).toMatch(/Too many failed logins[\s\S]*Try again in 10 minutes/);
    expect(locked.session).toBeUndefined();
    expect((await logIn("carol", "carolpass", "127.0.0.2")).status).toBe(429); // the user is locked, wherever from
    now += LOGIN_LOCKOUT_MS;
    expect((await logIn("carol", "carolpass")).status).toBe(303); // the lockout is over
  });
  it("passes on a lockout by the IMAP server's own throttle as 429, not as a wrong password", async () => {
    const r = await logIn("erin", "erinpass");
    expect(r.status).toBe(429);
    expect(r.body).toMatch(/Too many failed logins/);
  });
  it("a success does not reset another user's count", async () => {
    now += LOGIN_LOCKOUT_MS * 10;
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_USER - 1; i++) expect((await logIn("dave", "guess")).status).toBe(401);
    expect((await logIn("bob", "bobpass")).status).toBe(303);
    expect((await logIn("dave", "guess")).status).toBe(401); // dave's last try before the lock
    expect((await logIn("dave", "davepass")).status).toBe(429);
  });
  it(`per client address: ${MAX_LOGIN_FAILURES_PER_CLIENT} failures (any users) lock that address out, not the others`, async () => {
    now += LOGIN_LOCKOUT_MS * 10;
    const from = "127.0.0.3";
    // Different (unknown) users, so no user's own limit is reached.
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_CLIENT - 1; i++) expect((await logIn(`nobody${i}`, "guess", from)).status).toBe(401);
    expect((await logIn("bob", "bobpass", from)).status).toBe(303); // at the cap: a good login still works, and does not clear the address's count
    expect((await logIn("nobody-last", "guess", from)).status).toBe(401);
    expect((await logIn("bob", "bobpass", from)).status).toBe(429);
    expect((await logIn("bob", "bobpass", "127.0.0.4")).status).toBe(303);
  });
});
