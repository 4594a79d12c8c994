import type { ImapSession, ImapState } from "./session";
import { parseFetchItems } from "./fetch";
import { append, create, list, remove, rename, status } from "./folders";
import { Continue, bad, no, str } from "./refusal";
import { copy, expunge, fetch, search, store } from "./selected";
import { ImapValue } from "./syntax";

/** One command line, past its tag and name. */
export interface ImapCall {
  tag: string;
  /** The command's name, upper-cased. */
  name: string;
  args: ImapValue[];
}

/**
 * An entry of the command table: the states the command is allowed in (the session
 * checks them before `run`, with the same BAD for every command), and what it does,
 * returning the untagged responses. `before` holds checks that come ahead of the state's.
 */
export interface ImapCommand {
  states: readonly ImapState[];
  before?(s: ImapSession): void;
  run(s: ImapSession, call: ImapCall): string | Promise<string>;
}

const ANY: readonly ImapState[] = ["not-authenticated", "authenticated", "selected"];
const NOT_AUTHENTICATED: readonly ImapState[] = ["not-authenticated"];
const AUTHENTICATED: readonly ImapState[] = ["authenticated", "selected"];
const SELECTED: readonly ImapState[] = ["selected"];

/**
 * The BAD a command gets outside the states it is allowed in (RFC 9051 §3).
 *
 * @example
 * requireState("not-authenticated", "SELECT", ["authenticated", "selected"]);   // throws BAD SELECT needs LOGIN first
 */
export function requireState(state: ImapState, name: string, states: readonly ImapState[]): void {
  if (!states.includes(state)) {
    throw bad(state === "not-authenticated" ? `${name} needs LOGIN first` : `${name} needs a selected folder (SELECT or EXAMINE first)`);
  }
}

/** The commands that work on messages of the selected folder by number, or with UID in front by UID (RFC 9051 §6.4.9). */
const BY_NUMBER: Record<string, (s: ImapSession, args: ImapValue[], uid: boolean) => Promise<string>> = {
  FETCH: async (s, args, uid) => fetch(s, await s.targets(args[0], uid), parseFetchItems(args[1]), uid),
  STORE: async (s, args, uid) => store(s, await s.targets(args[0], uid), args.slice(1), uid),
  SEARCH: (s, args, uid) => search(s, args, uid),
  COPY: async (s, args, uid) => copy(s, await s.targets(args[0], uid), str(args[1], "the destination folder"), false),
  MOVE: async (s, args, uid) => copy(s, await s.targets(args[0], uid), str(args[1], "the destination folder"), true),
  // RFC 4315 §2.1: UID EXPUNGE only; a plain EXPUNGE is the table's own entry.
  EXPUNGE: async (s, args) => expunge(s, await s.targets(args[0], true), true),
};

const byNumber = (name: string): ImapCommand => ({ states: SELECTED, run: (s, { args }) => BY_NUMBER[name](s, args, false) });

/** Leaves the selected folder (CLOSE, UNSELECT, RFC 9051 §6.4.1–2). */
function unselect(s: ImapSession): string {
  s.release();
  s.state = "authenticated";
  return "";
}

/**
 * The commands we answer, by name, each with the states it is allowed in (RFC 9051 §6).
 *
 * @example
 * IMAP_COMMANDS.SELECT.states;   // ["authenticated", "selected"]
 */
export const IMAP_COMMANDS: Record<string, ImapCommand> = {
  CAPABILITY: { states: ANY, run: (s) => `* CAPABILITY ${s.capabilities()}\r\n` },
  STARTTLS: {
    states: NOT_AUTHENTICATED,
    // RFC 9051 §6.2.1: only before login, once; a second STARTTLS (TLS already on) is BAD.
    before(s) {
      if (s.encrypted) throw bad("TLS is already active");
      if (!s.tls.starttls) throw bad("STARTTLS is not offered here");
    },
    run(s) {
      s.pendingTls = true;
      s.lastCode = "";
      return "";
    },
  },
  NOOP: { states: ANY, run: (s) => s.updates(true) },
  CHECK: { states: ANY, run: (s) => s.updates(true) },
  ID: { states: ANY, run: () => `* ID ("name" "applayer")\r\n` },
  LOGOUT: {
    states: ANY,
    run(s) {
      s.release();
      s.state = "logout";
      return `* BYE ${s.access.hostname} logging out\r\n`;
    },
  },
  LOGIN: {
    states: NOT_AUTHENTICATED,
    run(s, { args }) {
      s.passwordAllowed();
      return s.login(str(args[0], "the user name"), str(args[1], "the password"));
    },
  },
  AUTHENTICATE: {
    states: NOT_AUTHENTICATED,
    run(s, { tag, args }) {
      s.passwordAllowed();
      if (str(args[0], "the mechanism").toUpperCase() !== "PLAIN") throw no("only AUTHENTICATE PLAIN is offered");
      if (args[1] === undefined) {
        s.authenticating = tag;
        throw new Continue();
      }
      return s.plain(str(args[1], "the initial response"));
    },
  },
  SELECT: { states: AUTHENTICATED, run: (s, { args }) => s.select(str(args[0], "the folder name"), false) },
  EXAMINE: { states: AUTHENTICATED, run: (s, { args }) => s.select(str(args[0], "the folder name"), true) },
  CREATE: { states: AUTHENTICATED, run: (s, { args }) => create(s, str(args[0], "the folder name")) },
  DELETE: { states: AUTHENTICATED, run: (s, { args }) => remove(s, str(args[0], "the folder name")) },
  RENAME: { states: AUTHENTICATED, run: (s, { args }) => rename(s, str(args[0], "the old name"), str(args[1], "the new name")) },
  SUBSCRIBE: { states: AUTHENTICATED, run: () => "" },
  UNSUBSCRIBE: { states: AUTHENTICATED, run: () => "" },
  LIST: { states: AUTHENTICATED, run: (s, { name, args }) => list(s, name, str(args[0], "the reference"), str(args[1], "the pattern")) },
  LSUB: { states: AUTHENTICATED, run: (s, { name, args }) => list(s, name, str(args[0], "the reference"), str(args[1], "the pattern")) },
  STATUS: { states: AUTHENTICATED, run: (s, { args }) => status(s, str(args[0], "the folder name"), args[1]) },
  APPEND: { states: AUTHENTICATED, run: (s, { args }) => append(s, args) },
  CLOSE: {
    states: SELECTED,
    // RFC 9051 §6.4.1: CLOSE expunges silently, unless the folder is read-only.
    async run(s) {
      if (!s.readOnly) await expunge(s, undefined, false);
      return unselect(s);
    },
  },
  UNSELECT: { states: SELECTED, run: unselect },
  EXPUNGE: { states: SELECTED, run: (s) => expunge(s, undefined, true) },
  IDLE: {
    states: AUTHENTICATED,
    run(s, { tag }) {
      s.idling = tag;
      throw new Continue("+ idling\r\n");
    },
  },
  UID: {
    states: SELECTED,
    run(s, { args }) {
      const sub = str(args[0], "the UID command").toUpperCase();
      if (!Object.hasOwn(BY_NUMBER, sub)) throw bad(`UID ${sub} is not a UID command (${Object.keys(BY_NUMBER).join(", ")})`);
      return BY_NUMBER[sub](s, args.slice(1), true);
    },
  },
  FETCH: byNumber("FETCH"),
  STORE: byNumber("STORE"),
  SEARCH: byNumber("SEARCH"),
  COPY: byNumber("COPY"),
  MOVE: byNumber("MOVE"),
};
