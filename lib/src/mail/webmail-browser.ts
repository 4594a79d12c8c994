import { AppLayerError } from "../errors";

/**
 * What a browser does with the webmail, for a lesson or a test: it keeps the cookies,
 * reads each form's hidden token and posts the form back with it, as a person
 * clicking through the pages would. No JavaScript, no rendering: HTTP requests only.
 *
 * @example
 * const browser = await WebmailBrowser.login("http://127.0.0.1:8025", "alice", "alicepass");
 * await browser.compose({ to: "bob@umass.edu", subject: "Hi", body: "Hello Bob" }); // { status: 303, location: "/inbox?sent=1" }
 */
export class WebmailBrowser {
  private constructor(readonly url: string, private readonly cookie: string) {}

  /** Opens the login page (a cookie and a token), posts the user name and password, and keeps the session cookie. */
  static async login(url: string, user: string, password: string): Promise<WebmailBrowser> {
    const form = await fetch(url);
    const loginCookie = cookieOf(form);
    const csrf = hiddenField(await form.text(), "csrf");
    const reply = await fetch(`${url}/login`, { method: "POST", headers: { cookie: loginCookie }, body: new URLSearchParams({ csrf, user, password }), redirect: "manual" });
    const session = /^webmail=[^;]+/.exec(reply.headers.get("set-cookie") ?? "")?.[0];
    if (reply.status !== 303 || !session) throw new AppLayerError("WEBMAIL", `the webmail refused the login (HTTP ${reply.status})`, { status: reply.status });
    return new WebmailBrowser(url, session);
  }

  /** The HTML of a page of this session, such as "/inbox". */
  async page(path: string): Promise<string> {
    return (await fetch(`${this.url}${path}`, { headers: { cookie: this.cookie } })).text();
  }

  /** Opens Compose, fills in the form and presses Send: the webmail's answer (303 to the inbox once the mail server took the message). */
  async compose(message: { to: string; subject: string; body: string }): Promise<{ status: number; location?: string }> {
    const token = hiddenField(await this.page("/compose"), "token");
    const reply = await fetch(`${this.url}/send`, { method: "POST", headers: { cookie: this.cookie }, body: new URLSearchParams({ token, ...message }), redirect: "manual" });
    await reply.arrayBuffer();
    return { status: reply.status, ...(reply.headers.get("location") ? { location: reply.headers.get("location")! } : {}) };
  }
}

function cookieOf(reply: Response): string {
  return (reply.headers.get("set-cookie") ?? "").split(";")[0];
}

/** The value of the hidden input `name` in a page's form. */
function hiddenField(html: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];
  if (!value) throw new AppLayerError("WEBMAIL", `the page has no "${name}" field: is this the webmail, and is the session still open?`);
  return value;
}
