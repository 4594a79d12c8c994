import { describe, expect, it } from "vitest";
import { SearchCandidate, compileSearch } from "../../lib/src/imap/search";
import { Refusal } from "../../lib/src/imap/refusal";
import { tokenize } from "../../lib/src/imap/syntax";

/** Three messages as a folder keeps them: seq 1–3, UIDs 4, 7, 9. */
const BYTES = [
  "From: Alice <alice@cs.umass.edu>\r\nSubject: lunch\r\n\r\nSoup at noon?\r\n",
  "From: bob@umass.edu\r\nSubject: Re: lunch\r\nX-Course: CS453\r\n\r\nYes, soup.\r\n",
  "From: carol@umass.edu\r\nSubject: grades\r\n\r\nPosted.\r\n",
].map((m) => Buffer.from(m));
const MESSAGES: SearchCandidate[] = [
  { seq: 1, message: { uid: 4, flags: new Set(["\\Seen"]), recent: false, size: 60, internalDate: new Date("2026-02-01T23:30:00Z") } },
  { seq: 2, message: { uid: 7, flags: new Set(["\\Seen", "\\Flagged"]), recent: false, size: 90, internalDate: new Date("2026-02-02T08:00:00Z") } },
  { seq: 3, message: { uid: 9, flags: new Set(["\\Deleted"]), recent: true, size: 55, internalDate: new Date("2026-02-03T00:00:00Z") } },
];

/** The sequence numbers of the messages a search line (as a client sends it after SEARCH) matches, and how many bodies it read. */
async function matches(keys: string): Promise<{ seqs: number[]; reads: number }> {
  const test = compileSearch(tokenize(keys, []), { count: MESSAGES.length, largestUid: 9 });
  const seqs: number[] = [];
  let reads = 0;
  for (const [i, t] of MESSAGES.entries()) {
    const load = async () => {
      reads++;
      return BYTES[i];
    };
    if (await test(t, load)) seqs.push(t.seq);
  }
  return { seqs, reads };
}

describe("compileSearch (RFC 9051 §6.4.4)", () => {
  it.each([
    ["ALL", [1, 2, 3]],
    ["UNSEEN", [3]],
    ["SEEN UNFLAGGED", [1]], // all keys must match
    ["OR FLAGGED DELETED", [2, 3]],
    ["NOT SEEN", [3]],
    ["(SEEN FLAGGED)", [2]], // a parenthesized list is one key
    ["NEW", [3]],
    ["2:*", [2, 3]], // a sequence set, * being the last message
    ["UID 5:*", [2, 3]], // a UID set, * being the largest UID
    ["LARGER 59 SMALLER 90", [1]],
    ["ON 1-Feb-2026", [1]], // the internal date's day, not its time
    ["SINCE 2-Feb-2026", [2, 3]],
    ["BEFORE 2-Feb-2026", [1]],
    ["FROM ALICE", [1]], // header text matches without regard to case
    ["SUBJECT lunch", [1, 2]],
    ['HEADER X-Course "cs453"', [2]],
    ["BODY soup", [1, 2]],
    ["TEXT grades", [3]], // TEXT looks in the header too
  ])("%s matches %j", async (keys, seqs) => {
    expect((await matches(keys)).seqs).toEqual(seqs);
  });

  it("reads a message's bytes only for keys that need them", async () => {
    expect((await matches("OR SEEN DELETED")).reads).toBe(0);
    expect((await matches("SUBJECT lunch")).reads).toBe(3);
  });

  it.each([
    ["BOGUS", "unknown search key BOGUS"],
    ["FROM", "a search key is missing its argument"],
    ["SINCE yesterday", "dates look like 1-Feb-2026"],
    ["OR SEEN", "a search key is missing its argument"],
  ])("refuses %s with BAD before looking at a message", (keys, text) => {
    let refusal: unknown;
    try {
      compileSearch(tokenize(keys, []), { count: 3, largestUid: 9 });
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(Refusal);
    expect((refusal as Refusal).status).toBe("BAD");
    expect((refusal as Refusal).message).toBe(text);
  });
});
