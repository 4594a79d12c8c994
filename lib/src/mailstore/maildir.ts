import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeSynced } from "./durable";
import { Folder } from "./folder";

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
 *
 * Folders other than INBOX are Maildir++ subfolders, as Dovecot keeps them:
 * "Sent" is USER/.Sent/, "Archive.2026" is USER/.Archive.2026/ ("." is the hierarchy
 * delimiter). One {@link Folder} object per folder is shared by every session.
 */
export class Maildir {
  private readonly open = new Map<string, Promise<Folder>>();
  private readonly watchers = new Set<(user: string) => void>();
  constructor(readonly root: string) {}

  /** The directory of a folder; names are checked (no "/", no "..", printable ASCII). */
  folderDir(user: string, name: string): string {
    if (name.toUpperCase() === "INBOX") return this.dir(user);
    if (!/^[\x20-\x7e]+$/.test(name) || /[/\\*%]|^\.|\.\.|\.$/.test(name) || name.toUpperCase().startsWith("INBOX.")) {
      throw new Error(`"${name}" is not a folder name here: use printable ASCII without / * % or a leading, trailing or double "."`);
    }
    return join(this.dir(user), `.${name}`);
  }

  /** A folder, opened once and shared (so every session sees the same UIDs and flags). */
  folder(user: string, name = "INBOX"): Promise<Folder> {
    const dir = this.folderDir(user, name);
    let f = this.open.get(dir);
    if (!f) {
      f = Folder.open(dir);
      f.catch(() => this.open.delete(dir));
      this.open.set(dir, f);
    }
    return f;
  }

  /** The user's folder names: INBOX first, then the others sorted. */
  async folders(user: string): Promise<string[]> {
    const entries = await fs.readdir(this.dir(user), { withFileTypes: true }).catch(() => []);
    const others = entries.filter((e) => e.isDirectory() && e.name.startsWith(".") && e.name.length > 1).map((e) => e.name.slice(1));
    return ["INBOX", ...others.sort()];
  }

  /** Does this folder exist? */
  async hasFolder(user: string, name: string): Promise<boolean> {
    return name.toUpperCase() === "INBOX" || (await fs.stat(join(this.folderDir(user, name), "cur")).then(() => true, () => false));
  }

  /** Creates a folder (an empty Maildir). */
  async createFolder(user: string, name: string): Promise<void> {
    await this.folder(user, name);
  }

  /** Deletes a folder and its mail. INBOX cannot be deleted. */
  async deleteFolder(user: string, name: string): Promise<void> {
    const dir = this.folderDir(user, name);
    if (dir === this.dir(user)) throw new Error("INBOX cannot be deleted");
    this.open.delete(dir);
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** Renames a folder (one rename of its directory). */
  async renameFolder(user: string, from: string, to: string): Promise<void> {
    const [a, b] = [this.folderDir(user, from), this.folderDir(user, to)];
    if (a === this.dir(user)) throw new Error("renaming INBOX is not supported here");
    this.open.delete(a);
    await fs.rename(a, b);
  }

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
    await writeSynced(tmp, message); // the bytes are on disk…
    await fs.rename(tmp, join(dir, "new", name)); // …before the message appears, whole, in new/
    const newDir = await fs.open(join(dir, "new"), "r");
    try {
      await newDir.sync(); // and the rename itself survives a crash
    } finally {
      await newDir.close();
    }
    for (const w of this.watchers) w(user);
    return name;
  }

  /** Calls `watcher(user)` after each delivery (IMAP IDLE tells the client at once). Returns the way to stop. */
  watch(watcher: (user: string) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
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

/** What a mail-access server (IMAP, POP3, webmail) needs: the mailboxes and a password check. */
export interface MailAccess {
  /** The server's name, in greetings. */
  hostname: string;
  mailboxes: Maildir;
  /**
   * Is this the user's password? (user name without the domain; `client` is the peer's
   * address, for the login throttle). Rejects with `LOGIN_THROTTLED` while the user or
   * client is locked out, which the protocols answer with "try again later".
   */
  checkPassword(user: string, password: string, client?: string): Promise<boolean>;
}
