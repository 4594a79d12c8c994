import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { AppLayerError } from "../errors";
import { Address, DEFAULT_HOST } from "../net/address";
import { Closable, track, untrack } from "../net/lifecycle";

/**
 * A real Dovecot (Debian's dovecot-imapd) on loopback, as a judge for an IMAP
 * client a student writes: a private instance from a config written into a
 * fresh folder, with its users' Maildirs under that folder.
 *
 * It runs as whoever starts it. As root, Dovecot's own users do the work and
 * the mail belongs to a uid of its own (Dovecot refuses root for mail). As any
 * other user (the grading sandbox runs kernels as uid 1000, named "student"
 * there), it is a rootless instance: every service runs as that user, which
 * must have a name in /etc/passwd, because Dovecot looks its users up by name.
 */

/** The uid/gid a root-started Dovecot keeps the mail under (Dovecot refuses root for mail). */
const VMAIL = 5000;
/** Where Debian's dovecot-core installs the server, and its local delivery agent. */
const DOVECOT_BINARY = "/usr/sbin/dovecot";
const DOVECOT_LDA = "/usr/lib/dovecot/dovecot-lda";
/** How long Dovecot may take to answer its first IMAP greeting. */
export const DOVECOT_START_MS = 10_000;

/** A running Dovecot: its IMAP (and POP3) address, and a way to put mail in a user's INBOX. */
export interface DovecotServer extends Closable {
  imap: Address;
  /** When started with `pop3: true`. */
  pop3?: Address;
  /** The Maildir Dovecot reads for `user` (the name as it logs in: "bob", or "bob@umass.edu"). */
  maildir(user: string): string;
  /** Puts `message` in `user`'s INBOX as new mail, unseen, after the messages delivered before it. */
  deliver(user: string, message: string | Uint8Array): void;
}

/** Who Dovecot's services run as: root's Dovecot users, or the one user that started it. */
function identity(): { root: boolean; uid: number; gid: number; user?: string; group?: string } {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid === 0) return { root: true, uid: VMAIL, gid: VMAIL };
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    throw new AppLayerError("BAD_ARGUMENT", `Dovecot cannot run as uid ${uid}: it has no name in /etc/passwd, and Dovecot looks its users up by name`);
  }
  const line = readFileSync("/etc/group", "utf8").split("\n").find((l) => l.split(":")[2] === String(gid));
  return { root: false, uid, gid, user, group: line?.split(":")[0] ?? user };
}

/** A free TCP port on loopback (Dovecot's config takes a number, not 0). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = net.createServer().once("error", fail);
    s.listen(0, DEFAULT_HOST, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => done(port));
    });
  });
}

/** Whether an IMAP greeting comes from `port`. */
function greets(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect(port, DEFAULT_HOST);
    const end = (ok: boolean) => { s.destroy(); done(ok); };
    s.once("data", (d) => end(d.toString("latin1").startsWith("* OK")));
    s.once("error", () => end(false));
    s.once("close", () => end(false)); // accepted, then closed without a greeting: its login process failed
    s.setTimeout(1000, () => end(false));
  });
}

/** A listener block of Dovecot's config: `port` on loopback, and none for the TLS twin. */
const listener = (service: string, name: string, port: number) => `service ${service}-login {
  inet_listener ${name} {
    address = ${DEFAULT_HOST}
    port = ${port}
  }
  inet_listener ${name}s {
    port = 0
  }
}
`;

function config(dir: string, ports: { imap: number; pop3?: number }, who: ReturnType<typeof identity>): string {
  const rootless = who.root ? "" : `
default_internal_user = ${who.user}
default_login_user = ${who.user}
default_internal_group = ${who.group}
service auth {
  user = $default_internal_user
}
service auth-worker {
  user = $default_internal_user
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
service pop3-login {
  chroot =
}
`;
  // Plain passwords over plain TCP: loopback lessons only. The user name as given ("bob", "bob@umass.edu") names the Maildir.
  return `protocols = imap${ports.pop3 ? " pop3" : ""}
listen = ${DEFAULT_HOST}
base_dir = ${dir}/run
instance_name = applayer-${ports.imap}
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u/Maildir
postmaster_address = postmaster@localhost
first_valid_uid = ${who.uid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${who.uid} gid=${who.gid} home=${dir}/mail/%u
}
${listener("imap", "imap", ports.imap)}${ports.pop3 ? listener("pop3", "pop3", ports.pop3) : ""}protocol imap {
  mail_max_userip_connections = 50
}
namespace inbox {
  inbox = yes
}
${rootless}`;
}

/**
 * Starts Dovecot with `users` ("bob:bobpass"; `pop3` adds a POP3 port), resolving
 * once it greets on IMAP; `closeAll()` stops it too.
 *
 * @example
 * const dovecot = await startDovecot({ users: ["bob:bobpass"] });
 * dovecot.deliver("bob", "Subject: hi\r\n\r\nHello\r\n");
 */
export async function startDovecot(options: { users: string[]; parent?: string; pop3?: boolean }): Promise<DovecotServer> {
  const who = identity();
  const dir = join(options.parent ?? tmpdir(), `dovecot-${randomBytes(4).toString("hex")}`);
  mkdirSync(join(dir, "mail"), { recursive: true });
  chmodSync(dir, 0o755); // a root Dovecot's auth process (user dovecot) reads the users file
  const owned = (path: string) => (who.root ? chownSync(path, who.uid, who.gid) : undefined);
  owned(join(dir, "mail"));
  writeFileSync(join(dir, "users"), options.users.map((u) => `${u.slice(0, u.indexOf(":"))}:{PLAIN}${u.slice(u.indexOf(":") + 1)}\n`).join(""));
  const ports = { imap: await freePort(), ...(options.pop3 ? { pop3: await freePort() } : {}) };
  const port = ports.imap;
  writeFileSync(join(dir, "dovecot.conf"), config(dir, ports, who));
  // By its full path: Debian puts it in /usr/sbin, which is not on every PATH (not on the grading sandbox's).
  const binary = existsSync(DOVECOT_BINARY) ? DOVECOT_BINARY : "dovecot";
  const proc: ChildProcess = spawn(binary, ["-F", "-c", join(dir, "dovecot.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let ended = false;
  proc.stderr!.on("data", (d) => (stderr += d));
  const log = () => (existsSync(join(dir, "dovecot.log")) ? readFileSync(join(dir, "dovecot.log"), "utf8") : "") + stderr;
  // A binary that could not start gives "error" and no "exit".
  const exited = new Promise<void>((done) => {
    proc.once("exit", () => ((ended = true), done()));
    proc.once("error", (e) => ((stderr += `${e.message}\n`), (ended = true), done()));
  });
  const stop = async () => {
    if (!ended) proc.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + DOVECOT_START_MS;
  while (!(await greets(port))) {
    if (ended || Date.now() > deadline) {
      const why = log().trim().split("\n").slice(-3).join(" | ");
      await stop();
      throw new AppLayerError("TIMEOUT", `Dovecot did not greet on IMAP within ${DOVECOT_START_MS / 1000} s (is dovecot-imapd installed?): ${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const server: DovecotServer = {
    imap: { host: DEFAULT_HOST, port },
    ...(ports.pop3 ? { pop3: { host: DEFAULT_HOST, port: ports.pop3 } } : {}),
    maildir: (user) => join(dir, "mail", user, "Maildir"),
    deliver(user, message) {
      // Through Dovecot's own delivery agent, as an MTA hands it mail: it files the message in new/ and numbers it
      // at once, so messages keep the order they were delivered in (files dropped into new/ by hand would take
      // whatever order the folder lists them in, which differs from one file system to another).
      const r = spawnSync(DOVECOT_LDA, ["-c", join(dir, "dovecot.conf"), "-d", user, "-f", "postmaster@localhost"], { input: message, encoding: "utf8", timeout: DOVECOT_START_MS });
      if (r.status !== 0) throw new AppLayerError("BAD_ARGUMENT", `Dovecot's delivery agent refused the message for ${user}: ${(r.stderr || r.error?.message || "").trim() || `exit ${r.status}`}`);
    },
    async close() {
      untrack(server);
      await stop();
    },
  };
  return track(server);
}
