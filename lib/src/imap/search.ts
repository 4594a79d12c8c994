import { parseMessage } from "../message/message";
import { bad, str } from "./refusal";
import { ImapValue, parseImapDate, parseSequenceSet } from "./syntax";

/** What a search key looks at in one message: its number in the session, and what the folder keeps of it. */
export interface SearchCandidate {
  seq: number;
  message: { uid: number; flags: ReadonlySet<string>; recent: boolean; size: number; internalDate: Date };
}

/** Does one message match? `load` reads its bytes, only when a key needs them (headers, body). */
export type SearchPredicate = (t: SearchCandidate, load: () => Promise<Buffer>) => Promise<boolean>;

/** The numbers a search needs to resolve `*` in sets: the messages in the view, and the largest UID in it. */
export interface SearchScope {
  count: number;
  largestUid: number;
}

/**
 * Compiles SEARCH keys (RFC 9051 §6.4.4; all must match, a parenthesized list is
 * one key) into a predicate over one message. Throws a BAD Refusal for an unknown
 * key or a missing argument, before any message is looked at.
 *
 * @example
 * const test = compileSearch(["UNSEEN", "FROM", "alice"], { count: 3, largestUid: 7 });
 * await test({ seq: 1, message }, () => folder.read(message));   // true or false
 */
export function compileSearch(args: ImapValue[], scope: SearchScope): SearchPredicate {
  const tests: SearchPredicate[] = [];
  let i = 0;
  const next = (): ImapValue => {
    if (i >= args.length) throw bad("a search key is missing its argument");
    return args[i++];
  };
  const one = (): SearchPredicate => {
    const key = next();
    if (Array.isArray(key)) return compileSearch(key, scope);
    const k = str(key, "a search key").toUpperCase();
    const flag = (f: string, want: boolean): SearchPredicate => async (t) => t.message.flags.has(f) === want;
    const header = (name: string, text: string): SearchPredicate => async (_t, load) =>
      (parseMessage(await load()).header(name) ?? "").toLowerCase().includes(text.toLowerCase());
    // RFC 9051 §6.4.4: SINCE, BEFORE and ON compare the internal date's day, disregarding time and timezone.
    const date = (cmp: (a: number, b: number) => boolean): SearchPredicate => {
      const d = parseImapDate(str(next(), "a date"));
      if (!d) throw bad("dates look like 1-Feb-2026");
      return async (t) => cmp(Date.UTC(t.message.internalDate.getUTCFullYear(), t.message.internalDate.getUTCMonth(), t.message.internalDate.getUTCDate()), d.getTime());
    };
    switch (k) {
      case "ALL": return async () => true;
      case "SEEN": return flag("\\Seen", true);
      case "UNSEEN": return flag("\\Seen", false);
      case "DELETED": return flag("\\Deleted", true);
      case "UNDELETED": return flag("\\Deleted", false);
      case "FLAGGED": return flag("\\Flagged", true);
      case "UNFLAGGED": return flag("\\Flagged", false);
      case "ANSWERED": return flag("\\Answered", true);
      case "UNANSWERED": return flag("\\Answered", false);
      case "DRAFT": return flag("\\Draft", true);
      case "UNDRAFT": return flag("\\Draft", false);
      case "RECENT": case "NEW": return async (t) => t.message.recent;
      case "OLD": return async (t) => !t.message.recent;
      case "FROM": case "TO": case "CC": case "BCC": case "SUBJECT": return header(k.toLowerCase(), str(next(), `${k}'s text`));
      case "HEADER": { const name = str(next(), "the header name"); return header(name, str(next(), "the header text")); }
      case "BODY": case "TEXT": {
        const text = str(next(), `${k}'s text`).toLowerCase();
        return async (_t, load) => {
          const m = parseMessage(await load());
          const body = [m.text ?? "", m.html ?? ""].join("\n");
          return (k === "TEXT" ? `${m.rawHeader.toString("latin1")}${body}` : body).toLowerCase().includes(text);
        };
      }
      case "LARGER": { const n = Number(str(next(), "a size")); return async (t) => t.message.size > n; }
      case "SMALLER": { const n = Number(str(next(), "a size")); return async (t) => t.message.size < n; }
      case "SINCE": return date((a, b) => a >= b);
      case "BEFORE": return date((a, b) => a < b);
      case "ON": return date((a, b) => a === b);
      case "UID": { const set = parseSequenceSet(str(next(), "a UID set"), scope.largestUid); return async (t) => set(t.message.uid); }
      case "NOT": { const inner = one(); return async (t, load) => !(await inner(t, load)); }
      case "OR": { const [a, b] = [one(), one()]; return async (t, load) => (await a(t, load)) || b(t, load); }
      default: {
        if (/^[\d*:,]+$/.test(k)) { const set = parseSequenceSet(k, scope.count); return async (t) => set(t.seq); }
        throw bad(`unknown search key ${k.slice(0, 20)}`);
      }
    }
  };
  while (i < args.length) tests.push(one());
  return async (t, load) => {
    for (const test of tests) if (!(await test(t, load))) return false;
    return true;
  };
}
