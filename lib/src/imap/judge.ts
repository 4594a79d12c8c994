import * as net from "node:net";
import { AppLayerError } from "../errors";
import { Address } from "../net/address";
import { serveTcp } from "../net/lifecycle";
import { preview } from "../lab/trace";
import { ImapFramer, tagOf } from "./syntax";

/**
 * An IMAP server (the lesson's, or Dovecot) as the judge of a student's IMAP
 * client, on loopback. The client talks to it through a door that passes every
 * byte both ways untouched and reads the server's side as IMAP responses, for a
 * BAD or NO: a correct client never gets one, so a check can say "the server
 * refused your client's command" where the client itself only returns less.
 */

/** How much of a server's refusal an error quotes: enough for its text, not for a flood. */
export const MAX_QUOTED_REFUSAL = 120;

/** A refusal a server answered: its status and its text (the tag, the client's, left out). */
export interface ImapRefusal {
  status: "BAD" | "NO";
  text: string;
}

/**
 * The refusal a response line (from {@link ImapFramer}) carries, if any: a tagged
 * BAD or NO (RFC 9051 §7.1.2, §7.1.3), or an untagged BAD, which a server sends
 * when it cannot tell which command it refuses. An untagged NO is a warning, not a refusal.
 *
 * @example
 * refusalIn("a5 BAD unknown command");   // { status: "BAD", text: "unknown command" }
 * refusalIn("* NO [ALERT] disk full");   // undefined
 */
export function refusalIn(line: string): ImapRefusal | undefined {
  const tag = tagOf(line);
  const rest = tag ? line.slice(tag.length + 1) : line.startsWith("* ") ? line.slice(2) : undefined;
  const m = rest === undefined ? null : /^(BAD|NO)(?: ([^]*))?$/i.exec(rest);
  if (!m || (!tag && m[1].toUpperCase() === "NO")) return undefined;
  return { status: m[1].toUpperCase() as ImapRefusal["status"], text: m[2] ?? "" };
}

/** A door in front of an IMAP server: its address, and the first refusal the server answered through it. */
interface ImapDoor {
  address: Address;
  refusal(): ImapRefusal | undefined;
  close(): Promise<void>;
}

/** Opens an {@link ImapDoor} to `server`, on its host. */
async function openImapDoor(server: Address): Promise<ImapDoor> {
  let first: ImapRefusal | undefined;
  const service = await serveTcp("imap-judge", { host: server.host }, (client) => {
    const upstream = net.connect(server.port, server.host);
    // The lib's own limits: a judge's answers to a lesson's client stay far below them (a longer line is skipped, not read).
    const framer = new ImapFramer();
    upstream.on("data", (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.kind === "line") first ??= refusalIn(event.text);
      }
    });
    upstream.on("error", () => undefined).on("close", () => client.end()); // what the server sent goes out first
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return { address: service.address, refusal: () => first, close: () => service.close() };
}

/**
 * Runs `fn` with the address of a door to the IMAP server `judge.server`, which
 * passes every byte both ways and watches the server's answers. If the server
 * answered a command with BAD or NO (see {@link refusalIn}), the call fails with
 * IMAP_REFUSED, whether `fn` returned or threw, naming `judge.name` and quoting
 * the server's reply (never the client's command): a check says so even where
 * feedback withholds the student's own words.
 *
 * @example
 * const subjects = await withImapJudge({ server: dovecot.imap, name: "Dovecot" }, (door) => unreadSubjects(door, "bob", "bobpass"));
 */
export async function withImapJudge<T>(judge: { server: Address; name: string }, fn: (door: Address) => Promise<T>): Promise<T> {
  const door = await openImapDoor(judge.server);
  const refused = ({ status, text }: ImapRefusal, cause?: unknown) => {
    const quoted = text ? `: ${preview(Buffer.from(text, "latin1"), MAX_QUOTED_REFUSAL)}` : "";
    return new AppLayerError("IMAP_REFUSED", `${judge.name} answered ${status} to one of your client's commands${quoted}`, { server: judge.name, status, text, ...(cause === undefined ? {} : { cause: String(cause) }) });
  };
  try {
    const value = await Promise.resolve().then(() => fn(door.address)).catch((e: unknown) => {
      const refusal = door.refusal();
      throw refusal ? refused(refusal, e) : e;
    });
    const refusal = door.refusal();
    if (refusal) throw refused(refusal);
    return value;
  } finally {
    await door.close();
  }
}
