import { KeyObject, createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { AppLayerError } from "../../errors";
import { canonicalName } from "./canonical";

/**
 * DNSSEC keys (RFC 4034): the DNSKEY record's public key in each algorithm's wire
 * form, its key tag, and the DS record a parent zone publishes for it. Pure but
 * for key generation, which uses Node's crypto.
 */

/** The signing algorithms we make keys for (IANA "DNS Security Algorithm Numbers"). */
export const DNSSEC_ALGORITHMS = {
  8: "RSASHA256",
  13: "ECDSAP256SHA256",
  15: "ED25519",
} as const;
export type DnssecAlgorithm = keyof typeof DNSSEC_ALGORITHMS;

/** DS digest types (RFC 4034 §5.1.3, RFC 4509, RFC 6605): number → hash. */
export const DS_DIGESTS = { 1: "sha1", 2: "sha256", 4: "sha384" } as const;
export type DsDigestType = keyof typeof DS_DIGESTS;

/** DNSKEY flags (RFC 4034 §2.1.1, RFC 3757): every DNSSEC key is a zone key; a KSK is also a secure entry point. */
export const ZONE_KEY_FLAG = 0x0100;
export const SEP_FLAG = 0x0001;
/** RFC 4034 §2.1.2: the protocol field is always 3. */
export const DNSKEY_PROTOCOL = 3;

/** A DNSKEY's data, as dns-packet holds it. */
export interface Dnskey {
  flags: number;
  algorithm: number;
  key: Buffer;
}

/** A DS record's data, as dns-packet holds it. */
export interface Ds {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Buffer;
}

/** A key pair for signing a zone: its DNSKEY and the private key. */
export interface ZoneKey {
  dnskey: Dnskey;
  privateKey: KeyObject;
}

/** The DNSKEY RDATA on the wire: flags, protocol 3, algorithm, public key (RFC 4034 §2.1). */
export function dnskeyRdata(k: Dnskey): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(k.flags, 0);
  head[2] = DNSKEY_PROTOCOL;
  head[3] = k.algorithm;
  return Buffer.concat([head, k.key]);
}

/**
 * The key tag (RFC 4034 Appendix B): a 16-bit checksum of the DNSKEY RDATA that
 * RRSIG and DS records use to name a key. Not unique, just a hint.
 *
 * @example keyTag(dnskey) // 60485 for RFC 4034 §5.4's example key
 */
export function keyTag(k: Dnskey): number {
  if (k.algorithm === 1) throw new AppLayerError("BAD_ARGUMENT", "algorithm 1 (RSAMD5) computes key tags differently and is not supported");
  const rdata = dnskeyRdata(k);
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i] : rdata[i] << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/**
 * The DS record for a DNSKEY (RFC 4034 §5.1.4): the digest of the owner's
 * canonical name followed by the DNSKEY RDATA. The parent zone publishes it;
 * it is the link in the chain of trust.
 *
 * @example const ds = dsFromDnskey("umass.edu.", ksk.dnskey); // digest type 2, SHA-256
 */
export function dsFromDnskey(owner: string, k: Dnskey, digestType: DsDigestType = 2): Ds {
  const hash = DS_DIGESTS[digestType];
  if (!hash) throw new AppLayerError("BAD_ARGUMENT", `DS digest type ${digestType} is not one of ${Object.keys(DS_DIGESTS).join(", ")}`);
  const digest = createHash(hash).update(canonicalName(owner)).update(dnskeyRdata(k)).digest();
  return { keyTag: keyTag(k), algorithm: k.algorithm, digestType, digest };
}

/** The public key of a key pair in its algorithm's DNSKEY form. */
function publicKeyField(algorithm: DnssecAlgorithm, publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const b64 = (s: string | undefined) => Buffer.from(s ?? "", "base64url");
  switch (algorithm) {
    case 13: // RFC 6605 §4: the uncompressed point without its 0x04 prefix, x then y
      return Buffer.concat([b64(jwk.x), b64(jwk.y)]);
    case 15: // RFC 8080 §3: the 32-byte public key
      return b64(jwk.x);
    case 8: {
      // RFC 3110 §2: exponent length (1 byte, or 0 and 2 bytes), exponent, modulus
      const e = b64(jwk.e);
      const n = b64(jwk.n);
      const len = e.length < 256 ? Buffer.from([e.length]) : Buffer.from([0, e.length >> 8, e.length & 0xff]);
      return Buffer.concat([len, e, n]);
    }
  }
}

/**
 * Makes a new zone key: ECDSA P-256 (13, the default: small and fast), Ed25519
 * (15) or RSA/SHA-256 (8, 2048 bits). A key-signing key (`ksk`) carries the SEP
 * flag (257), a zone-signing key does not (256). With `seed` (13 and 15), the
 * private key is SHA-256 of the seed: the same seed makes the same key, run after
 * run, so that a lesson's DS and signed data can be graded against another run's.
 * Never seed a key that guards anything real.
 *
 * @example const ksk = generateZoneKey(13, { ksk: true });
 * @example const same = generateZoneKey(13, { ksk: true, seed: "shop.test. KSK" });
 */
export function generateZoneKey(algorithm: DnssecAlgorithm = 13, options: { ksk?: boolean; seed?: string } = {}): ZoneKey {
  const pair =
    options.seed !== undefined ? seededPair(algorithm, createHash("sha256").update(options.seed).digest())
    : algorithm === 13 ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : algorithm === 15 ? generateKeyPairSync("ed25519")
    : algorithm === 8 ? generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 })
    : undefined;
  if (!pair) throw new AppLayerError("BAD_ARGUMENT", `algorithm ${algorithm} is not one of ${Object.keys(DNSSEC_ALGORITHMS).join(", ")}`);
  const flags = ZONE_KEY_FLAG | (options.ksk ? SEP_FLAG : 0);
  return { dnskey: { flags, algorithm, key: publicKeyField(algorithm, pair.publicKey) }, privateKey: pair.privateKey };
}

/** A key pair whose private key is `secret` (32 bytes): P-256's scalar d, or Ed25519's seed. */
function seededPair(algorithm: DnssecAlgorithm, secret: Buffer): { publicKey: KeyObject; privateKey: KeyObject } | undefined {
  const b64 = (b: Buffer) => b.toString("base64url");
  if (algorithm === 13) {
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(secret);
    const point = ecdh.getPublicKey(); // 04 | x | y
    const jwk = { kty: "EC", crv: "P-256", x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)) };
    return { privateKey: createPrivateKey({ key: { ...jwk, d: b64(secret) }, format: "jwk" }), publicKey: createPublicKey({ key: jwk, format: "jwk" }) };
  }
  if (algorithm === 15) {
    // RFC 8410's PKCS #8 form of an Ed25519 private key: a fixed prefix, then the 32-byte seed.
    const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), secret]), format: "der", type: "pkcs8" });
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  if (algorithm === 8) throw new AppLayerError("BAD_ARGUMENT", "a seeded key is ECDSA (13) or Ed25519 (15): RSA keys are not made from a seed");
  return undefined;
}
