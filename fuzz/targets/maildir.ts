/** The maildir the IMAP and POP3 targets' sessions work on. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Maildir, MailAccess } from "../../lib/src/mailstore/maildir";

/**
 * A maildir with three messages for bob. Every MAILDIR_SESSIONS sessions it starts
 * over in a fresh folder: APPENDs would otherwise grow it without end (slowing
 * every SELECT), and EXPUNGEs and DELEs empty it.
 */
const MAILDIR_SESSIONS = 300;
let access: MailAccess | undefined;
let sessions = 0;
export async function mailAccess(): Promise<MailAccess> {
  if (!access || sessions++ % MAILDIR_SESSIONS === 0) {
    if (access) rmSync(access.mailboxes.root, { recursive: true, force: true });
    const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
    access = { hostname: "mail.umass.edu", mailboxes: new Maildir(mkdtempSync(join(base, "applayer-fuzz-"))), checkPassword: async (u, p) => u === "bob" && p === "bobpass" };
    for (const m of ["Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart\r\n--b--\r\n", "Subject: three\r\n\r\n.dot\r\n"])
      await access.mailboxes.deliver("bob", Buffer.from(m));
  }
  return access;
}
