/**
 * Interop: standard SMTP clients (swaks; Python's smtplib) deliver to the lib's
 * mail server, and the lib's client delivers to a standard server (aiosmtpd).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { CliServer, freePort, run, startCli } from "../helpers";
import { sendMail } from "../../lib/src/smtp/client";

let server: CliServer;
let data: string;
beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), "applayer-smtp-interop-"));
  server = await startCli(["mail-server", "--domain", "umass.edu", "--data", data, "--user", "bob:bobpass", "--submission-port", "0"], 2);
});
afterAll(() => server.stop());

const bobsMail = () => readdirSync(join(data, "bob", "new")).map((f) => readFileSync(join(data, "bob", "new", f), "utf8"));

describe("standard clients deliver to applayer mail-server", () => {
  it("swaks", async () => {
    const out = await run("swaks", ["--server", `127.0.0.1:${server.address.port}`, "--from", "alice@cs.umass.edu", "--to", "bob@umass.edu", "--helo", "cs.umass.edu", "--header", "Subject: from swaks", "--body", "hello from swaks"]);
    expect(out).toMatch(/<- {2}250 2\.0\.0/);
    expect(bobsMail().some((m) => m.includes("Subject: from swaks") && m.includes("hello from swaks"))).toBe(true);
  });
  it("Python smtplib (send_message, on Debian's /usr/bin/python3)", async () => {
    const py = `
import smtplib, email.message
m = email.message.EmailMessage()
m["From"] = "alice@cs.umass.edu"; m["To"] = "bob@umass.edu"; m["Subject"] = "from smtplib"
m.set_content("hello from smtplib\\n.a line with a leading dot\\n")
with smtplib.SMTP("127.0.0.1", ${server.address.port}) as s:
    s.send_message(m)
print("sent")`;
    expect(await run("/usr/bin/python3", ["-c", py])).toBe("sent\n");
    const msg = bobsMail().find((m) => m.includes("Subject: from smtplib"))!;
    expect(msg).toMatch(/\r\n\.a line with a leading dot\r\n/); // dot-stuffing undone
  });
  it("swaks with STARTTLS (--tls)", async () => {
    const out = await run("swaks", ["--server", `127.0.0.1:${server.address.port}`, "--tls", "--from", "alice@cs.umass.edu", "--to", "bob@umass.edu", "--header", "Subject: over TLS", "--body", "secret"]);
    expect(out).toMatch(/TLS started/);
    expect(bobsMail().some((m) => m.includes("Subject: over TLS"))).toBe(true);
  });
  it("Python smtplib on the submission port: refused AUTH in the clear, then starttls() and login()", async () => {
    const port = server.addresses.get("submission")!.port;
    const out = await run("/usr/bin/python3", ["-c", `
import smtplib
with smtplib.SMTP("127.0.0.1", ${port}) as s:
    s.ehlo("cs.umass.edu")
    print("auth before tls:", s.has_extn("auth"), s.docmd("AUTH", "PLAIN AGJvYgBib2JwYXNz")[0])
    s.starttls()
    s.login("bob", "bobpass")
    s.sendmail("bob@umass.edu", ["bob@umass.edu"], "Subject: submitted over TLS\\r\\n\\r\\nhi\\r\\n")
    print("sent")
`]);
    expect(out).toMatch(/auth before tls: False 538/);
    expect(out).toMatch(/sent/);
    expect(bobsMail().some((m) => m.includes("Subject: submitted over TLS") && m.includes("with ESMTPA"))).toBe(true);
  });
  it("swaks is refused when it tries to relay", async () => {
    const out = await run("swaks", ["--server", `127.0.0.1:${server.address.port}`, "--from", "x@y.z", "--to", "someone@gmail.com"]).catch((e) => String(e));
    expect(out).toMatch(/550 5\.7\.1 relaying denied/);
  });
});

describe("the lib's client delivers to aiosmtpd", () => {
  let proc: ChildProcess;
  let port = 0;
  let received = "";
  beforeAll(async () => {
    port = await freePort();
    // The Debugging handler prints each message it receives on stdout.
    proc = spawn("/usr/bin/python3", ["-u", "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Debugging"], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d) => (received += d));
    for (let i = 0; i < 50; i++) {
      const up = await new Promise((r) => net.connect(port, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); r(true); }).once("error", () => r(false)));
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => proc.kill("SIGTERM"));
  /** Resolves once aiosmtpd has printed `text` on stdout. */
  const printed = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => received.includes(text) && (proc.stdout!.off("data", check), resolve());
      proc.stdout!.on("data", check);
      check();
    });

  it("sends a message that aiosmtpd receives intact", async () => {
    const r = await sendMail({ server: { host: "127.0.0.1", port }, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: "Subject: to aiosmtpd\r\n\r\n.dot line\r\nbody\r\n" });
    expect(r.reply.code).toBe(250);
    await printed("END MESSAGE"); // aiosmtpd prints the message after its 250: wait for its last line, not a while
    expect(received).toMatch(/Subject: to aiosmtpd/);
    expect(received).toMatch(/\n\.dot line\n/);
  });
});
