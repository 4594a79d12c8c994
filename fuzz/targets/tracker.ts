/** The "tracker" fuzz target. */
import fc from "fast-check";
import { decodeBencode } from "../../lib/src/bt/bencode";
import { TrackerState, parseAnnounceResponse, percentEncode } from "../../lib/src/bt/tracker";
import { inputsFrom } from "../mutate";
import { refusesCleanly, Target } from "./contract";
import { bencodeArb } from "./bencode";

const hash20 = fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => percentEncode(b));
const trackerQuery = fc.tuple(fc.constantFrom("/announce", "/scrape", "/", "/announce/x"),
  fc.array(fc.oneof(
    hash20.map((h) => `info_hash=${h}`), hash20.map((h) => `peer_id=${h}`),
    fc.tuple(fc.constantFrom("port", "left", "numwant", "uploaded", "downloaded", "compact", "event"), fc.oneof(fc.integer().map(String), fc.constantFrom("started", "stopped", "completed", "x", "", "1e400", "NaN", "-0"))).map(([k, v]) => `${k}=${v}`),
    fc.constantFrom("&", "=", "%", "%zz", "%4", "+"),
  ), { maxLength: 9 })).map(([path, parts]) => Buffer.from(`${path}?${parts.join("&")}`, "latin1"));

/** Inputs one tracker state sees before a fresh one: its swarms would otherwise grow without end (and every announce walks its swarm). */
const TRACKER_INPUTS = 1000;
let tracker: TrackerState | undefined;
let announces = 0;
export const tracking: Target = {
  name: "tracker",
  what: "the HTTP tracker (BEP 3, BEP 23): announce and scrape queries with percent-encoded binary, and the client's reading of answers",
  files: ["bt/tracker.ts"],
  inputs: (seeds) => inputsFrom(seeds, fc.oneof(trackerQuery, bencodeArb)),
  check(input) {
    if (!tracker || announces++ % TRACKER_INPUTS === 0) tracker = new TrackerState({ interval: 30 });
    const url = input.toString("latin1");
    const state = tracker;
    const body = refusesCleanly(() => state.handle(url.startsWith("POST") ? "POST" : "GET", url, `127.0.0.${input.length % 4}`, input.length * 1000), []);
    if (body) refusesCleanly(() => decodeBencode(body), []); // every answer is bencode
    refusesCleanly(() => parseAnnounceResponse(input), ["TRACKER"]);
  },
};
