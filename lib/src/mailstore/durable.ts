import { promises as fs } from "node:fs";

/**
 * Writes a file and flushes it to disk (fsync) before resolving: the step every
 * "durable before 250" path takes (a Maildir delivery, an IMAP APPEND, the
 * outgoing queue) before the atomic rename that makes the file appear.
 */
export async function writeSynced(path: string, data: string | Uint8Array, flag: "w" | "wx" = "wx"): Promise<void> {
  const f = await fs.open(path, flag);
  try {
    await f.writeFile(data);
    await f.sync();
  } finally {
    await f.close();
  }
}
