import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { AppLayerError } from "../errors";
import { BDict, BValue, Spans, decodeBencode, encodeBencode } from "./bencode";

/**
 * .torrent files (BEP 3 metainfo): the tracker's URL and the info dictionary —
 * name, piece length, the SHA-1 of every piece, and the file (or files). The
 * SHA-1 of the bencoded info dictionary is the *info-hash*: the torrent's name
 * on the tracker and in every peer handshake.
 */
export interface TorrentFile {
  /** Path inside the torrent, as components (["dir", "file.bin"]). */
  path: string[];
  length: number;
  /** Where this file starts in the torrent's byte stream. */
  offset: number;
  /**
   * A BEP 47 padding file (attr "p"): zeros that align the next file to a piece boundary. Its bytes count in
   * the pieces and their SHA-1s, but it is never written to disk.
   */
  pad?: boolean;
}

export interface Torrent {
  announce?: string;
  /** Hex of SHA-1(bencoded info). */
  infoHash: string;
  infoHashBytes: Buffer;
  name: string;
  pieceLength: number;
  /** SHA-1 of each piece. */
  pieces: Buffer[];
  files: TorrentFile[];
  /** Total bytes. */
  length: number;
  private: boolean;
  /** True for a multi-file torrent (a directory). */
  multiFile: boolean;
  comment?: string;
}

/** Default piece length: the lesson's 256 KiB. */
export const DEFAULT_PIECE_LENGTH = 256 * 1024;

const bad = (what: string) => new AppLayerError("TORRENT", `not a valid torrent: ${what}`);
const str = (v: BValue | undefined, what: string): string => {
  if (!Buffer.isBuffer(v)) throw bad(`${what} is missing or not a string`);
  return v.toString("utf8");
};
const int = (v: BValue | undefined, what: string): number => {
  if (typeof v !== "number" || v < 0) throw bad(`${what} is missing or not a non-negative integer`);
  return v;
};

/** The exact bytes of the piece p of a torrent (the last one may be short). */
export function pieceSize(t: Pick<Torrent, "length" | "pieceLength">, p: number): number {
  return Math.min(t.pieceLength, t.length - p * t.pieceLength);
}

/** Parses a .torrent; the info-hash is taken over the info dictionary's bytes exactly as they are in the file. */
export function parseTorrent(bytes: Uint8Array): Torrent {
  const spans: Spans = new Map();
  const top = decodeBencode(bytes, { spans });
  if (!top || typeof top !== "object" || Array.isArray(top) || Buffer.isBuffer(top)) throw bad("the top level is not a dictionary");
  const info = top.info;
  const span = spans.get("info");
  if (!info || typeof info !== "object" || Array.isArray(info) || Buffer.isBuffer(info) || !span) throw bad("there is no info dictionary");
  const infoHashBytes = createHash("sha1").update(Buffer.from(bytes).subarray(span[0], span[1])).digest();
  const name = str(info.name, "info.name");
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\0")) throw bad(`info.name "${name}" is not a safe file name`);
  const pieceLength = int(info["piece length"], "info.piece length");
  if (pieceLength === 0) throw bad("info.piece length is 0");
  const piecesRaw = info.pieces;
  if (!Buffer.isBuffer(piecesRaw) || piecesRaw.length % 20 !== 0) throw bad("info.pieces is not a string of 20-byte SHA-1 hashes");
  const pieces = Array.from({ length: piecesRaw.length / 20 }, (_, i) => piecesRaw.subarray(i * 20, i * 20 + 20));
  const files: TorrentFile[] = [];
  let offset = 0;
  if (info.files !== undefined) {
    if (!Array.isArray(info.files) || info.files.length === 0) throw bad("info.files is not a list of files");
    for (const [i, f] of info.files.entries()) {
      const file = f as BDict;
      if (!file || typeof file !== "object" || Array.isArray(file) || Buffer.isBuffer(file)) throw bad(`info.files[${i}] is not a dictionary`);
      const length = int(file.length, `info.files[${i}].length`);
      if (!Array.isArray(file.path) || file.path.length === 0) throw bad(`info.files[${i}].path is not a list of names`);
      const path = file.path.map((c, k) => str(c, `info.files[${i}].path[${k}]`));
      if (path.some((c) => !c || c === "." || c === ".." || c.includes("/") || c.includes("\\") || c.includes("\0"))) throw bad(`info.files[${i}].path ${JSON.stringify(path)} would leave the download directory`);
      // BEP 47: attr is a string of flags; "p" marks a padding file (hybrid v1+v2 torrents have one before each file).
      const pad = Buffer.isBuffer(file.attr) && file.attr.includes("p");
      files.push({ path, length, offset, ...(pad ? { pad } : {}) });
      offset += length;
    }
  } else {
    const length = int(info.length, "info.length");
    files.push({ path: [name], length, offset: 0 });
    offset = length;
  }
  if (pieces.length !== Math.ceil(offset / pieceLength)) throw bad(`${pieces.length} piece hashes for ${offset} bytes in pieces of ${pieceLength}`);
  return {
    announce: Buffer.isBuffer(top.announce) ? top.announce.toString("utf8") : undefined,
    infoHash: infoHashBytes.toString("hex"),
    infoHashBytes,
    name,
    pieceLength,
    pieces,
    files,
    length: offset,
    private: info.private === 1,
    multiFile: info.files !== undefined,
    comment: Buffer.isBuffer(top.comment) ? top.comment.toString("utf8") : undefined,
  };
}

async function listFiles(root: string): Promise<string[]> {
  const stat = await fs.stat(root);
  if (stat.isFile()) return [root];
  const out: string[] = [];
  for (const e of (await fs.readdir(root, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(root, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Makes a .torrent for a file or a directory: reads everything once, hashing each
 * piece with SHA-1.
 *
 * @example const bytes = await createTorrent("lesson.bin", { announce: "http://127.0.0.1:6969/announce" });
 */
export async function createTorrent(path: string, options: { announce: string; pieceLength?: number; private?: boolean; comment?: string }): Promise<Buffer> {
  const pieceLength = options.pieceLength ?? DEFAULT_PIECE_LENGTH;
  if (!Number.isInteger(pieceLength) || pieceLength < 16 * 1024 || (pieceLength & (pieceLength - 1)) !== 0) {
    throw new AppLayerError("BAD_ARGUMENT", `--piece-length must be a power of two of at least 16384, not ${pieceLength}`);
  }
  const isDir = (await fs.stat(path)).isDirectory();
  const paths = await listFiles(path);
  const hashes: Buffer[] = [];
  let carry = Buffer.alloc(0);
  const files: BDict[] = [];
  let total = 0;
  for (const p of paths) {
    const data = await fs.readFile(p);
    total += data.length;
    if (isDir) files.push({ length: data.length, path: relative(path, p).split(sep).map((c) => Buffer.from(c)) });
    let rest = carry.length ? Buffer.concat([carry, data]) : data;
    while (rest.length >= pieceLength) {
      hashes.push(createHash("sha1").update(rest.subarray(0, pieceLength)).digest());
      rest = rest.subarray(pieceLength);
    }
    carry = Buffer.from(rest);
  }
  if (carry.length) hashes.push(createHash("sha1").update(carry).digest());
  const info: BDict = { name: Buffer.from(basename(path)), "piece length": pieceLength, pieces: Buffer.concat(hashes) };
  if (isDir) info.files = files;
  else info.length = total;
  if (options.private) info.private = 1;
  const top: BDict = { announce: Buffer.from(options.announce), "created by": Buffer.from("applayer"), "creation date": Math.floor(Date.now() / 1000), info };
  if (options.comment) top.comment = Buffer.from(options.comment);
  return encodeBencode(top);
}
