import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseZone, Zone } from "../../lib/src/dns/wire/zone";

export const FIXTURES = join(__dirname, "..", "fixtures", "dns");

/** Parses a fixture zone: the same files the real servers (BIND, NSD, Knot) serve in shared/peers. */
export function fixtureZone(file: string): Zone {
  return parseZone(readFileSync(join(FIXTURES, file), "utf8"), { file, origin: `${file.replace(/\.zone$/, "")}.` });
}
