import { ImapValue } from "./syntax";

/**
 * A command failed in the way RFC 9051 §7.1 names: NO (could not do it) or BAD (malformed).
 * The session turns it into the tagged reply `tag NO text` or `tag BAD text`.
 *
 * @example
 * throw no("[NONEXISTENT] no folder \"Work\"");   // a1 NO [NONEXISTENT] no folder "Work"
 */
export class Refusal extends Error {
  constructor(readonly status: "NO" | "BAD", text: string) {
    super(text);
  }
}

/** A NO refusal: the command was understood but could not be done. @example throw no("the folder is open read-only (EXAMINE)") */
export const no = (text: string) => new Refusal("NO", text);
/** A BAD refusal: the command is malformed. @example throw bad("IDLE ends with DONE") */
export const bad = (text: string) => new Refusal("BAD", text);

/**
 * A command argument that must be a string (an atom, quoted string or literal), or BAD naming `what` is missing.
 *
 * @example
 * str(args[0], "the folder name");   // "INBOX", or throws BAD the folder name is missing or not a string
 */
export const str = (v: ImapValue | undefined, what: string): string => {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  throw bad(`${what} is missing or not a string`);
};

/** Thrown by IDLE and AUTHENTICATE: the command is not complete; send a continuation (RFC 9051 §7.5). */
export class Continue extends Error {
  constructor(readonly text = "+ \r\n") {
    super("continuation");
  }
}
