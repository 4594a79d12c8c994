import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

let counter = 0;

/**
 * Per-user mailboxes in Maildir format (as Postfix and Dovecot use them): a message
 * is written to `tmp/`, flushed to disk (fsync), then renamed into `new/`. A rename
 * is atomic, so a crash leaves either no message or a whole one — never half, and
 * never two. Only then may the server answer 250.
 *
 * @example
 * const boxes = new Maildir("/tmp/mail");
 * await boxes.deliver("bob", Buffer.from("Subject: hi\r\n\r\nhello\r\n"));
 */
export class Maildir {
  constructor(readonly root: string) {}

  /** The Maildir of one user: root/USER/{tmp,new,cur}. */
  dir(user: string): string {
    if (!/^[A-Za-z0-9._+-]+$/.test(user) || user.startsWith(".")) throw new Error(`"${user}" is not a mailbox name`);
    return join(this.root, user);
  }

  /** Stores a message durably and returns its file name. */
  async deliver(user: string, message: Uint8Array): Promise<string> {
    const dir = this.dir(user);
    await Promise.all(["tmp", "new", "cur"].map((d) => fs.mkdir(join(dir, d), { recursive: true })));
    const name = `${Date.now()}.P${process.pid}Q${++counter}.${hostname()}`;
    const tmp = join(dir, "tmp", name);
    const file = await fs.open(tmp, "wx");
    try {
      await file.writeFile(message);
      await file.sync(); // the bytes are on disk…
    } finally {
      await file.close();
    }
    await fs.rename(tmp, join(dir, "new", name)); // …before the message appears, whole, in new/
    const newDir = await fs.open(join(dir, "new"), "r");
    try {
      await newDir.sync(); // and the rename itself survives a crash
    } finally {
      await newDir.close();
    }
    return name;
  }

  /** The file names of a user's messages in new/ and cur/, oldest first. */
  async list(user: string): Promise<string[]> {
    const dir = this.dir(user);
    const names = await Promise.all(["new", "cur"].map((d) => fs.readdir(join(dir, d)).then((f) => f.map((n) => `${d}/${n}`), () => [])));
    return names.flat().sort((a, b) => a.split("/")[1].localeCompare(b.split("/")[1], undefined, { numeric: true }));
  }

  /** One message's bytes, by the name list() gave. */
  read(user: string, name: string): Promise<Buffer> {
    return fs.readFile(join(this.dir(user), name));
  }
}
