import { promises as fs } from "node:fs";
import { join } from "node:path";
import { writeSynced } from "./durable";

/**
 * One mail folder on disk (a Maildir: tmp/, new/, cur/) as IMAP and POP3 see it:
 * messages with stable UIDs and flags that persist.
 *
 *  - **Flags** live in the file name, as in every Maildir program (Dovecot, mutt):
 *    `NAME:2,FS` is \Flagged and \Seen. Changing flags is one atomic rename.
 *  - **UIDs** (RFC 9051 §2.3.1.1) are remembered in `applayer-uidlist`, with the
 *    UIDVALIDITY of the folder and the next UID to give: a message keeps its UID for
 *    life and UIDs are never reused, so a client's cache stays right.
 *  - Mail that arrives in new/ is moved to cur/ the first time the folder is looked
 *    at, and is \Recent for that look only.
 */
export interface StoredMessage {
  uid: number;
  /** Path inside the folder: "cur/NAME:2,S". */
  file: string;
  flags: Set<string>;
  size: number;
  /** When the server received it (the file's mtime), IMAP's INTERNALDATE. */
  internalDate: Date;
  recent: boolean;
}

/** The system flags a Maildir file name can carry, by their letter (sorted, as the Maildir spec asks). */
export const MAILDIR_FLAGS: Record<string, string> = { D: "\\Draft", F: "\\Flagged", R: "\\Answered", S: "\\Seen", T: "\\Deleted" };
const LETTER = Object.fromEntries(Object.entries(MAILDIR_FLAGS).map(([l, f]) => [f.toLowerCase(), l]));

/** "NAME:2,FS" → ["NAME", {\Flagged, \Seen}]. */
function splitName(name: string): [string, Set<string>] {
  const i = name.indexOf(":2,");
  if (i < 0) return [name, new Set()];
  return [name.slice(0, i), new Set([...name.slice(i + 3)].map((l) => MAILDIR_FLAGS[l]).filter(Boolean))];
}

function infoSuffix(flags: Set<string>): string {
  return `:2,${[...flags].map((f) => LETTER[f.toLowerCase()] ?? "").sort().join("")}`;
}

/** Can this flag be stored (and so be listed in PERMANENTFLAGS)? */
export const isStorableFlag = (flag: string) => LETTER[flag.toLowerCase()] !== undefined;

const UIDLIST = "applayer-uidlist";

/** How many file operations a folder keeps in flight at once (Node's thread pool works them in parallel). */
export const FOLDER_IO_PARALLEL = 64;

/** `work` on every item, at most FOLDER_IO_PARALLEL at a time; results in order. */
export async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += FOLDER_IO_PARALLEL) out.push(...(await Promise.all(items.slice(i, i + FOLDER_IO_PARALLEL).map(work))));
  return out;
}
let unique = 0;

export class Folder {
  /** Messages by ascending UID: the message sequence numbers are positions in this list + 1. */
  messages: StoredMessage[] = [];
  private byBase = new Map<string, StoredMessage>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    public uidValidity: number,
    public uidNext: number,
    private known: Map<string, number>,
  ) {}

  /** Opens (creating if needed) the Maildir at `dir` and reads its UID list. */
  static async open(dir: string): Promise<Folder> {
    await Promise.all(["tmp", "new", "cur"].map((d) => fs.mkdir(join(dir, d), { recursive: true })));
    const known = new Map<string, number>();
    let validity = Math.floor(Date.now() / 1000);
    let next = 1;
    const text = await fs.readFile(join(dir, UIDLIST), "utf8").catch(() => undefined);
    if (text) {
      const [head, ...lines] = text.split("\n").filter(Boolean);
      const m = /^V(\d+) N(\d+)$/.exec(head);
      if (m) {
        [validity, next] = [Number(m[1]), Number(m[2])];
        for (const line of lines) {
          const [uid, base] = line.split(" ");
          if (base) known.set(base, Number(uid));
        }
      }
    }
    const folder = new Folder(dir, validity, next, known);
    if (!text) await folder.saveUids();
    await folder.refresh();
    return folder;
  }

  /** Runs changes one at a time, so two sessions never interleave renames and list writes. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async saveUids(): Promise<void> {
    const lines = [`V${this.uidValidity} N${this.uidNext}`, ...[...this.known].map(([base, uid]) => `${uid} ${base}`)];
    const tmp = join(this.dir, `${UIDLIST}.${process.pid}.${++unique}`);
    await fs.writeFile(tmp, `${lines.join("\n")}\n`);
    await fs.rename(tmp, join(this.dir, UIDLIST)); // atomic: the old list or the new one, never half
  }

  /**
   * Looks at the disk again: new mail (from new/, moved to cur/) gets the next UIDs;
   * files gone (deleted by another program) drop out. Returns the UIDs that vanished.
   */
  refresh(): Promise<number[]> {
    return this.serial(async () => {
      const [fresh, current] = await Promise.all(["new", "cur"].map((d) => fs.readdir(join(this.dir, d)).catch(() => [] as string[])));
      const seen = new Set<string>();
      let changed = false;
      const arrivals: Array<{ base: string; file: string; flags: Set<string>; recent: boolean }> = [];
      await inBatches(fresh, async (name) => {
        const [base] = splitName(name);
        await fs.rename(join(this.dir, "new", name), join(this.dir, "cur", `${base}:2,`)).catch(() => undefined);
        arrivals.push({ base, file: `cur/${base}:2,`, flags: new Set(), recent: true });
      });
      for (const name of current) {
        const [base, flags] = splitName(name);
        const m = this.byBase.get(base);
        if (m) {
          seen.add(base);
          m.file = `cur/${name}`;
          continue;
        }
        arrivals.push({ base, file: `cur/${name}`, flags, recent: false });
      }
      arrivals.sort((a, b) => a.base.localeCompare(b.base, undefined, { numeric: true }));
      const unknown = arrivals.filter((a) => !seen.has(a.base) && !this.byBase.has(a.base));
      const stats = await inBatches(unknown, (a) => fs.stat(join(this.dir, a.file)).catch(() => undefined));
      for (const [i, a] of unknown.entries()) {
        if (seen.has(a.base)) continue;
        seen.add(a.base);
        const stat = stats[i];
        if (!stat) continue;
        let uid = this.known.get(a.base);
        if (uid === undefined) {
          uid = this.uidNext++;
          this.known.set(a.base, uid);
          changed = true;
        }
        const m: StoredMessage = { uid, file: a.file, flags: a.flags, size: stat.size, internalDate: stat.mtime, recent: a.recent };
        this.byBase.set(a.base, m);
        this.messages.push(m);
      }
      const gone = this.messages.filter((m) => !seen.has(splitName(m.file.slice(4))[0]));
      if (gone.length) {
        for (const m of gone) this.forget(m);
        changed = true;
      }
      this.messages.sort((a, b) => a.uid - b.uid);
      if (changed) await this.saveUids();
      return gone.map((m) => m.uid);
    });
  }

  private forget(m: StoredMessage): void {
    const [base] = splitName(m.file.slice(4));
    this.byBase.delete(base);
    this.known.delete(base);
    this.messages = this.messages.filter((x) => x !== m);
  }

  /** A message's bytes. */
  read(m: StoredMessage): Promise<Buffer> {
    return fs.readFile(join(this.dir, m.file));
  }

  /** Replaces a message's flags: one rename of its file, so the change survives a restart. */
  setFlags(m: StoredMessage, flags: Set<string>): Promise<void> {
    return this.serial(async () => {
      const kept = new Set([...flags].filter(isStorableFlag).map((f) => MAILDIR_FLAGS[LETTER[f.toLowerCase()]]));
      const [base] = splitName(m.file.slice(4));
      const file = `cur/${base}${infoSuffix(kept)}`;
      if (file !== m.file) await fs.rename(join(this.dir, m.file), join(this.dir, file));
      m.file = file;
      m.flags = kept;
    });
  }

  /** Stores a message (IMAP APPEND, COPY): tmp/, fsync, rename into cur/ with its flags. Returns it with its new UID. */
  append(bytes: Uint8Array, flags: Set<string> = new Set(), date?: Date): Promise<StoredMessage> {
    return this.serial(async () => {
      const base = `${Date.now()}.P${process.pid}Q${++unique}.applayer`;
      const tmp = join(this.dir, "tmp", base);
      await writeSynced(tmp, bytes);
      if (date) await fs.utimes(tmp, date, date);
      const kept = new Set([...flags].filter(isStorableFlag));
      const file = `cur/${base}${infoSuffix(kept)}`;
      await fs.rename(tmp, join(this.dir, file));
      const m: StoredMessage = { uid: this.uidNext++, file, flags: kept, size: bytes.length, internalDate: date ?? new Date(), recent: false };
      this.known.set(base, m.uid);
      this.byBase.set(base, m);
      this.messages.push(m);
      await this.saveUids();
      return m;
    });
  }

  /** Removes the given messages' files for good (IMAP EXPUNGE, POP3 QUIT). Returns their UIDs. */
  remove(messages: StoredMessage[]): Promise<number[]> {
    return this.serial(async () => {
      for (const m of messages) {
        await fs.unlink(join(this.dir, m.file)).catch(() => undefined);
        this.forget(m);
      }
      if (messages.length) await this.saveUids();
      return messages.map((m) => m.uid);
    });
  }
}
