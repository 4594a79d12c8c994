/** The "metainfo" fuzz target. */
import fc from "fast-check";
import { encodeBencode } from "../../lib/src/bt/bencode";
import { parseTorrent } from "../../lib/src/bt/metainfo";
import { inputsFrom } from "../mutate";
import { expect, refusesCleanly, Target } from "./contract";

const infoDict = fc.record({
  name: fc.oneof(fc.constantFrom("lesson.bin", "../etc/passwd", "a/b", "", "."), fc.string({ maxLength: 12 })),
  "piece length": fc.oneof(fc.constantFrom(16384, 262144, 0, -1, 3), fc.integer()),
  pieces: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
  length: fc.oneof(fc.nat(1_000_000), fc.integer()),
  files: fc.option(fc.array(fc.record({ length: fc.integer({ min: -5, max: 100000 }), path: fc.array(fc.constantFrom("a", "..", "", "b.txt", "/"), { maxLength: 3 }) }), { maxLength: 3 }), { nil: undefined }),
  private: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
});
const torrentArb = fc.record({ announce: fc.constantFrom("http://127.0.0.1:6969/announce", "udp://x", ""), info: infoDict, comment: fc.option(fc.string(), { nil: undefined }) }).map((t) => encodeBencode(t as never));

export const metainfo: Target = {
  name: "metainfo",
  what: "metainfo files (.torrent, BEP 3): the info dictionary, piece hashes, single and multi-file layouts, unsafe paths",
  files: ["bt/metainfo.ts", "bt/bencode.ts"],
  inputs: (seeds) => inputsFrom(seeds, torrentArb),
  check(input) {
    const t = refusesCleanly(() => parseTorrent(input), ["TORRENT", "BENCODE"]);
    if (!t) return;
    expect(t.infoHashBytes.length === 20, "an info-hash that is not 20 bytes");
    expect(t.pieces.length === Math.ceil(t.length / t.pieceLength), `${t.pieces.length} piece hashes for ${t.length} bytes in pieces of ${t.pieceLength}`);
    for (const f of t.files) expect(!f.path.some((c) => c === ".." || c.includes("/")), `a file path that climbs out of the download: ${f.path.join("/")}`);
  },
};
