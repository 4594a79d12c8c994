/**
 * What every fuzz target is, and the checks their oracles share: a decoder may
 * refuse bytes only with an AppLayerError of one of its stable codes; a server
 * session never throws and always answers in its protocol's syntax.
 */
import fc from "fast-check";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAppLayerError } from "../../lib/src/errors";

export const ROOT = join(__dirname, "..", "..");
/** Where each target keeps its seed corpus and the inputs of fixed crashes. */
export const CORPUS = join(ROOT, "test", "fixtures", "fuzz");

export interface Target {
  name: string;
  /** What it drives, for the report. */
  what: string;
  /** The lib files whose branch coverage the report gives (relative to lib/src). */
  files: string[];
  /** Inputs, built from the seed corpus. */
  inputs(seeds: Buffer[]): fc.Arbitrary<Buffer>;
  /** Throws (or rejects) when the input breaks the code's contract. */
  check(input: Buffer): void | Promise<void>;
}

/** The kept inputs of a target: seeds (seed-*) and fixed crashes and hangs (crash-*, hang-*). */
export function corpusOf(target: string): Array<{ file: string; bytes: Buffer }> {
  const dir = join(CORPUS, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((file) => ({ file, bytes: readFileSync(join(dir, file)) }));
}

/** A contract broken: what the campaign saves and the suite replays. */
export class Defect extends Error {}

/** Runs f; anything it throws must be an AppLayerError with one of `codes` (or an error of a class named there). */
export function refusesCleanly<T>(f: () => T, codes: string[]): T | undefined {
  try {
    return f();
  } catch (e) {
    if (isAppLayerError(e) ? codes.includes(e.code) : e instanceof Error && codes.includes(e.constructor.name)) return undefined;
    throw new Defect(`threw ${isAppLayerError(e) ? `code ${e.code}` : (e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
}

/** Fails the input (a Defect) unless `ok`. */
export function expect(ok: boolean, what: string): void {
  if (!ok) throw new Defect(what);
}

/** Splits `input` into chunks at offsets taken from its own bytes, so a stream is fed as TCP might cut it. */
export function chunks(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let k = 0; at < input.length; k++) {
    const size = 1 + ((input[k % input.length] * 7 + k) % 97);
    out.push(input.subarray(at, at + size));
    at += size;
  }
  return out;
}
/** A stream of text lines, each ended by CRLF (or now and then a bare LF). */
export const text = (lines: fc.Arbitrary<string[]>, eol: fc.Arbitrary<string> = fc.constantFrom("\r\n", "\r\n", "\r\n", "\n")) =>
  fc.tuple(lines, eol).map(([ls, e]) => Buffer.from(ls.map((l) => l + e).join(""), "latin1"));
const label = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
/** Domain names: random labels, or names of the lessons' umass.edu zone. */
export const dnsName = fc.oneof(fc.array(label, { minLength: 0, maxLength: 5 }).map((ls) => ls.join(".")), fc.constantFrom("umass.edu", "cs.umass.edu", "gaia.cs.umass.edu", "nosuch.umass.edu", "*.umass.edu"));
/** Short printable words, random strings and the delimiters parsers trip on. */
export const word = fc.oneof(fc.stringMatching(/^[\x21-\x7e]{0,12}$/), fc.string({ maxLength: 8 }), fc.constantFrom("", " ", "<>", "()", '"', "{", "}", "\\", "=?", "?="));
