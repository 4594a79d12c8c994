import { createPrivateKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DnsRecord } from "../wire/codec";
import { fqdn, formatRecord } from "../wire/records";
import { parseRecords } from "../wire/zone";
import { DnssecAlgorithm, Dnskey, ZoneKey, generateZoneKey, keyTag } from "./keys";

/**
 * Zone keys on disk, named as BIND names them: K<zone>+<alg>+<tag>.key holds the
 * DNSKEY record (zone-file syntax), and K<zone>+<alg>+<tag>.private.pem the
 * private key (PKCS#8 PEM, readable by OpenSSL; BIND's own .private format is not
 * written).
 */
const base = (origin: string, k: Dnskey) => `K${fqdn(origin)}+${String(k.algorithm).padStart(3, "0")}+${String(keyTag(k)).padStart(5, "0")}`;

/** Writes a key pair into `dir`; returns the .key file's path. */
export function saveZoneKey(dir: string, origin: string, key: ZoneKey): string {
  mkdirSync(dir, { recursive: true });
  const name = join(dir, base(origin, key.dnskey));
  writeFileSync(`${name}.key`, `${formatRecord({ name: fqdn(origin), type: "DNSKEY", ttl: 3600, class: "IN", data: key.dnskey } as DnsRecord)}\n`);
  writeFileSync(`${name}.private.pem`, key.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return `${name}.key`;
}

/** The key pairs for `origin` and `algorithm` found in `dir`. */
export function loadZoneKeys(dir: string, origin: string, algorithm: DnssecAlgorithm): ZoneKey[] {
  if (!existsSync(dir)) return [];
  const prefix = `K${fqdn(origin)}+${String(algorithm).padStart(3, "0")}+`;
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(".key")).flatMap((f) => {
    const pem = join(dir, f.replace(/\.key$/, ".private.pem"));
    if (!existsSync(pem)) return [];
    const record = parseRecords(`$TTL 3600\n${readFileSync(join(dir, f), "utf8")}`).find((r) => r.type === "DNSKEY");
    return record ? [{ dnskey: (record as unknown as { data: Dnskey }).data, privateKey: createPrivateKey(readFileSync(pem)) }] : [];
  });
}

/** The zone's KSK and ZSK from `dir`, made (and saved) when missing. */
export function zoneKeys(dir: string | undefined, origin: string, algorithm: DnssecAlgorithm): { ksk: ZoneKey; zsk: ZoneKey; made: string[] } {
  const found = dir ? loadZoneKeys(dir, origin, algorithm) : [];
  const made: string[] = [];
  const pick = (ksk: boolean) => {
    const have = found.find((k) => ((k.dnskey.flags & 1) === 1) === ksk);
    if (have) return have;
    const key = generateZoneKey(algorithm, { ksk });
    if (dir) made.push(saveZoneKey(dir, origin, key));
    return key;
  };
  return { ksk: pick(true), zsk: pick(false), made };
}
