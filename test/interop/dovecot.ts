/**
 * Starts a real Dovecot (Debian's dovecot-imapd + dovecot-pop3d) on loopback for
 * the interop tests and the benchmark: a private instance from a config written
 * into a temporary directory (after ../shared/peers/mail/dovecot), on ports picked
 * here, with its users' Maildirs under that directory.
 */
import { spawn, ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers";

export interface Dovecot {
  imap: { host: string; port: number };
  pop3: { host: string; port: number };
  /** The Maildir Dovecot reads for user@domain. */
  maildir(user: string, domain: string): string;
  stop(): Promise<void>;
}

/** The uid/gid Dovecot's mail processes run as (it refuses root). */
const VMAIL = 5000;

async function listening(port: number): Promise<boolean> {
  return new Promise((r) => net.connect(port, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); r(true); }).once("error", () => r(false)));
}

/** Starts Dovecot with `users` ("bob@umass.edu:bobpass"); resolves once IMAP and POP3 answer. */
export async function startDovecot(users: string[]): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), "applayer-dovecot-"));
  chmodSync(dir, 0o755); // Dovecot's auth process (user dovecot) reads the users file
  const vmail = join(dir, "vmail");
  mkdirSync(vmail);
  chownSync(vmail, VMAIL, VMAIL);
  const [imapPort, pop3Port] = [await freePort(), await freePort()];
  writeFileSync(join(dir, "users"), users.map((u) => { const i = u.lastIndexOf(":"); return `${u.slice(0, i)}:{PLAIN}${u.slice(i + 1)}\n`; }).join(""));
  writeFileSync(join(dir, "dovecot.conf"), `
protocols = imap pop3
listen = 127.0.0.1
base_dir = ${dir}/run
instance_name = applayer-${imapPort}
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${vmail}/%d/%n/Maildir
first_valid_uid = ${VMAIL}
mail_uid = ${VMAIL}
mail_gid = ${VMAIL}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${VMAIL} gid=${VMAIL} home=${vmail}/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${pop3Port}
  }
  inet_listener pop3s {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 50
}
namespace inbox {
  inbox = yes
}
`);
  const proc: ChildProcess = spawn("dovecot", ["-F", "-c", join(dir, "dovecot.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  for (let i = 0; i < 100 && !((await listening(imapPort)) && (await listening(pop3Port))); i++) {
    if (proc.exitCode !== null) throw new Error(`dovecot exited ${proc.exitCode}: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    imap: { host: "127.0.0.1", port: imapPort },
    pop3: { host: "127.0.0.1", port: pop3Port },
    maildir: (user, domain) => join(vmail, domain, user, "Maildir"),
    stop: async () => {
      await new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        proc.once("exit", () => r());
        proc.kill("SIGTERM");
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
