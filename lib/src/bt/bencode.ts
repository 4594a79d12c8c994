import { AppLayerError } from "../errors";

/**
 * bencode (BEP 3), BitTorrent's serialisation: `i42e` an integer, `4:spam` a byte
 * string, `l…e` a list, `d…e` a dictionary with byte-string keys in sorted order.
 * One value has exactly one encoding, which is why a torrent's identity can be
 * the SHA-1 of its bencoded info dictionary.
 *
 * The decoder is strict, as that identity needs: `i03e`, `i-0e`, `03:abc`,
 * unsorted or repeated keys and trailing bytes are errors (BENCODE), each naming
 * the offset and what to do. Limits: nesting depth and integer size.
 */
export type BValue = number | Buffer | BValue[] | BDict;
export interface BDict {
  [key: string]: BValue;
}

/** What encodeBencode takes: decoded values, plus strings (written as UTF-8) and booleans (as 0/1). */
export type Encodable = number | boolean | string | Buffer | Encodable[] | { [key: string]: Encodable | undefined };

/** Lists and dictionaries nested deeper than this are refused (a stack-exhaustion guard). */
export const MAX_BENCODE_DEPTH = 64;

const fail = (at: number, what: string) => new AppLayerError("BENCODE", `bencode: ${what} at byte ${at}`, { offset: at });

/** Where each key of the top-level dictionary's values sits in the input: info-hash needs the raw info bytes. */
export type Spans = Map<string, [number, number]>;

/**
 * Decodes one value that must fill `bytes` exactly. Dictionary keys become
 * strings (Latin-1, so every byte survives); byte strings stay Buffers.
 *
 * @example decodeBencode(Buffer.from("d3:cow3:mooe")) // { cow: <Buffer 6d 6f 6f> }
 */
export function decodeBencode(bytes: Uint8Array, options: { spans?: Spans } = {}): BValue {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  const readInt = (end: number, what: string): number => {
    const text = buf.toString("latin1", i, end);
    if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw fail(i, `${what} "${text.slice(0, 20)}" is not a canonical integer (no leading zeros, no -0)`);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw fail(i, `${what} ${text.slice(0, 20)} is too large`);
    return n;
  };
  const value = (depth: number): BValue => {
    if (depth > MAX_BENCODE_DEPTH) throw fail(i, `nesting deeper than ${MAX_BENCODE_DEPTH}`);
    if (i >= buf.length) throw fail(i, "the data ends where a value should start");
    const c = buf[i];
    if (c === 0x69) {
      // i<digits>e
      const end = buf.indexOf(0x65, i + 1);
      if (end < 0) throw fail(i, "an integer is missing its closing 'e'");
      i++;
      const n = readInt(end, "integer");
      i = end + 1;
      return n;
    }
    if (c === 0x6c || c === 0x64) {
      const start = i++;
      if (c === 0x6c) {
        const list: BValue[] = [];
        while (buf[i] !== 0x65) {
          if (i >= buf.length) throw fail(start, "a list is missing its closing 'e'");
          list.push(value(depth + 1));
        }
        i++;
        return list;
      }
      const dict: BDict = Object.create(null);
      let last: Buffer | undefined;
      while (buf[i] !== 0x65) {
        if (i >= buf.length) throw fail(start, "a dictionary is missing its closing 'e'");
        const keyAt = i;
        if (buf[i] < 0x30 || buf[i] > 0x39) throw fail(i, "a dictionary key must be a byte string");
        const key = value(depth + 1) as Buffer;
        if (last && Buffer.compare(last, key) >= 0) throw fail(keyAt, `key "${key.toString("latin1").slice(0, 30)}" is ${Buffer.compare(last, key) === 0 ? "repeated" : "out of order (keys must be sorted as raw bytes)"}`);
        last = key;
        const valueAt = i;
        dict[key.toString("latin1")] = value(depth + 1);
        if (depth === 0 && options.spans) options.spans.set(key.toString("latin1"), [valueAt, i]);
      }
      i++;
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) {
      const colon = buf.indexOf(0x3a, i);
      if (colon < 0) throw fail(i, "a string length is missing its ':'");
      const length = readInt(colon, "string length");
      if (length < 0) throw fail(i, "a string length cannot be negative");
      i = colon + 1;
      if (i + length > buf.length) throw fail(i, `a ${length}-byte string runs past the end of the data`);
      const s = buf.subarray(i, i + length);
      i += length;
      return s;
    }
    throw fail(i, `unexpected byte 0x${c.toString(16).padStart(2, "0")} (a value starts with i, l, d or a digit)`);
  };
  const result = value(0);
  if (i !== buf.length) throw fail(i, `${buf.length - i} trailing bytes after the value`);
  return result;
}

/**
 * Encodes a value; dictionary keys are written sorted by their bytes. Strings are
 * written as UTF-8, Buffers as they are; integers must be safe integers.
 */
export function encodeBencode(value: Encodable): Buffer {
  const parts: Buffer[] = [];
  const put = (v: Encodable): void => {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new AppLayerError("BENCODE", `bencode: ${v} is not an integer bencode can carry`);
      parts.push(Buffer.from(`i${v}e`));
    } else if (typeof v === "boolean") {
      parts.push(Buffer.from(`i${v ? 1 : 0}e`));
    } else if (typeof v === "string" || Buffer.isBuffer(v)) {
      const b = typeof v === "string" ? Buffer.from(v, "utf8") : v;
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (Array.isArray(v)) {
      parts.push(Buffer.from("l"));
      v.forEach(put);
      parts.push(Buffer.from("e"));
    } else {
      parts.push(Buffer.from("d"));
      const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a, "latin1"), Buffer.from(b, "latin1")));
      for (const k of keys) {
        const x = v[k];
        if (x === undefined) continue;
        put(Buffer.from(k, "latin1"));
        put(x);
      }
      parts.push(Buffer.from("e"));
    }
  };
  put(value);
  return Buffer.concat(parts);
}
