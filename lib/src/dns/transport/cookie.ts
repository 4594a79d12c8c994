import { randomBytes } from "node:crypto";
import { isIP } from "node:net";

/**
 * DNS Cookies (RFC 7873) with RFC 9018's interoperable server cookie: a client
 * sends 8 random bytes; the server answers them with a cookie of its own that
 * only it can make, bound to the client's address. A client that shows the
 * server's cookie again proves it receives replies at that address: it is not a
 * spoofed source. Pure, but for the server's secret.
 */

/** The EDNS option code of COOKIE (RFC 7873 §4). */
export const COOKIE_OPTION = 10;
/** RFC 7873 §4: a client cookie is 8 bytes; a server cookie 8 to 32. */
export const CLIENT_COOKIE_LENGTH = 8;
export const MAX_COOKIE_OPTION = 40;

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash RFC 9018 names: a
 * 16-byte key, any message, an 8-byte tag (little-endian, as the reference code
 * writes it).
 */
export function siphash24(key: Uint8Array, message: Uint8Array): Buffer {
  const k = Buffer.from(key);
  const k0 = k.readBigUInt64LE(0);
  const k1 = k.readBigUInt64LE(8);
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = () => {
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const m = Buffer.from(message);
  const whole = m.length - (m.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const w = m.readBigUInt64LE(i);
    v3 ^= w;
    round();
    round();
    v0 ^= w;
  }
  // The last word: the remaining bytes, and the message length in its top byte.
  const last = Buffer.alloc(8);
  m.copy(last, 0, whole);
  last[7] = m.length & 0xff;
  const b = last.readBigUInt64LE(0);
  v3 ^= b;
  round();
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((v0 ^ v1 ^ v2 ^ v3) & MASK);
  return out;
}

/** The client's address as bytes, for the hash (4 for IPv4, 16 for IPv6). */
function addressBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const groups = ip.split("::");
  const head = groups[0] ? groups[0].split(":") : [];
  const tail = groups.length > 1 && groups[1] ? groups[1].split(":") : [];
  const all = [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/**
 * RFC 9018 §4's server cookie: version 1, three reserved zero bytes, the time in
 * seconds, and SipHash-2-4 over the client cookie, those 8 bytes and the client's
 * address, keyed with the server's secret. 16 bytes.
 */
export function serverCookie(clientCookie: Uint8Array, clientIp: string, secret: Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(nowSeconds >>> 0, 4);
  const hash = siphash24(secret, Buffer.concat([Buffer.from(clientCookie), head, addressBytes(clientIp)]));
  return Buffer.concat([head, hash]);
}

/** What the COOKIE option of a query holds: nothing, a malformed option (→ FORMERR), or the client cookie. */
export function readCookie(options: Array<{ code: number; data?: Uint8Array }> | undefined): undefined | "malformed" | Buffer {
  const opt = options?.find((o) => o.code === COOKIE_OPTION);
  if (!opt) return undefined;
  const data = Buffer.from(opt.data ?? []);
  // RFC 7873 §5.2.2: 8 bytes (client only) or 16 to 40 (client and server); anything else is FORMERR.
  if (data.length !== CLIENT_COOKIE_LENGTH && (data.length < 16 || data.length > MAX_COOKIE_OPTION)) return "malformed";
  return data.subarray(0, CLIENT_COOKIE_LENGTH);
}

/** A server's cookie secret: random per process (RFC 9018 §5 suggests rotating it). */
export const newCookieSecret = (): Buffer => randomBytes(16);
