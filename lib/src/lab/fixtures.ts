import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The recorded captures and messages the lessons start from (dig's query, Knot's
 * reply, a real mailer's message): the same files the golden tests read, found
 * from the lib itself so a lesson reads them wherever its notebook is opened.
 */
export const FIXTURES_DIR = resolve(__dirname, "..", "..", "..", "test", "fixtures");

/**
 * The bytes of one recorded fixture, by its path under test/fixtures.
 *
 * @example const query = fixture("dns/dig-query-cs-umass-edu-mx.bin");
 */
export function fixture(path: string): Buffer {
  return readFileSync(fixturePath(path));
}

/**
 * The path of one recorded fixture, by its path under test/fixtures: for a tool
 * that opens the file itself (Wireshark, tshark).
 *
 * @example const recorded = fixturePath("captures/21-email-smtp-envelope.pcapng");
 */
export function fixturePath(path: string): string {
  return join(FIXTURES_DIR, path);
}
