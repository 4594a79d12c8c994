/**
 * The webmail in a real browser: Debian's Chromium driven headless by
 * playwright-core. Bob logs in, reads Alice's message, and writes one back; every
 * page he sees passes axe-core's WCAG 2.0/2.1 A and AA rules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser, chromium } from "playwright-core";
import { MailServer, startMailServer } from "../../lib/src/mail/mail-server";
import { composeMessage } from "../../lib/src/message/message";
import { MAX_WEBMAIL_BODY } from "../../lib/src/mail/limits";
import { sendMail } from "../../lib/src/smtp/client";
import { axeViolations } from "../lectures";

let server: MailServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  server = await startMailServer({ domain: "umass.edu", dataDir: mkdtempSync(join(tmpdir(), "applayer-webmail-")), users: ["bob:bobpass"], httpPort: 0 });
  base = `http://127.0.0.1:${server.http!.address.port}`;
  await sendMail({ server: server.smtp.address, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: composeMessage({ from: { name: "Alice", address: "alice@cs.umass.edu" }, to: ["bob@umass.edu"], subject: "Lunch <today>?", text: "At noon, by the pond." }) });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A new browser tab that has submitted the login form as bob. */
async function logIn(password: string) {
  const page = await browser.newPage();
  await page.goto(base);
  await page.fill("input[name=user]", "bob");
  await page.fill("input[name=password]", password);
  await page.click("button");
  return page;
}

describe("webmail in headless Chromium", () => {
  it("refuses a wrong password", async () => {
    const page = await logIn("guess");
    expect(await page.textContent(".error")).toMatch(/Wrong user name or password/);
    await page.close();
  });

  it("logs in, lists the inbox, shows a message (escaped), and sends a reply that arrives", async () => {
    const page = await logIn("bobpass");
    await page.waitForURL(/\/inbox$/);
    expect(await page.textContent("h1")).toBe("Inbox (1)");
    expect(await page.textContent("tr.unseen")).toMatch(/Alice\s*Lunch <today>\?/);
    await page.click("text=Lunch <today>?");
    expect((await page.textContent("pre"))?.trim()).toBe("At noon, by the pond.");
    await page.click("text=Inbox");
    expect(await page.locator("tr.unseen").count()).toBe(0); // reading it marked it \Seen, on the IMAP server
    await page.click("text=Compose");
    await page.fill("input[name=to]", "bob@umass.edu");
    await page.fill("input[name=subject]", "Note to self");
    await page.fill("textarea[name=body]", "Sent from the browser.");
    await page.click("text=Send");
    await page.waitForURL(/sent=1/);
    expect(await page.textContent(".note")).toBe("Message sent.");
    expect(await page.textContent("h1")).toBe("Inbox (2)");
    expect(await page.textContent("tr.unseen")).toMatch(/Note to self/);
    await page.close();
  });

  it("refuses a form without the session's token (CSRF) and a form over the size limit", async () => {
    const page = await logIn("bobpass");
    await page.waitForURL(/\/inbox$/);
    const forged = await page.request.post(`${base}/send`, { form: { to: "bob@umass.edu", subject: "forged", body: "x" } });
    expect(forged.status()).toBe(403);
    const huge = await page.request.post(`${base}/send`, { form: { body: "x".repeat(MAX_WEBMAIL_BODY + 1) } });
    expect(huge.status()).toBe(413);
    await page.close();
  });
});

describe("webmail pages pass axe (WCAG 2.1 AA)", () => {
  it("the login page, and the login page with its error", async () => {
    const page = await browser.newPage();
    await page.goto(base);
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
    const refused = await logIn("guess");
    await refused.waitForSelector(".error");
    expect(await axeViolations(refused)).toEqual([]);
    await refused.close();
  });

  it("the inbox, a message, and the compose form", async () => {
    const page = await logIn("bobpass");
    await page.waitForURL(/\/inbox$/);
    expect(await axeViolations(page)).toEqual([]);
    await page.click("tbody a >> nth=0");
    await page.waitForSelector("pre");
    expect(await axeViolations(page)).toEqual([]);
    await page.click("text=Compose");
    await page.waitForSelector("textarea");
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });
});
