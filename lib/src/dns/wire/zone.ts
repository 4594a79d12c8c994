import { isIP } from "node:net";
import { AppLayerError } from "../../errors";
import { DnsRecord, checkName, nameKey, isInZone } from "./codec";
import { RECORD_TYPES, RecordType, fqdn } from "./records";
import { checkNsec3Params, fromBase32hex, nsec3paramRdata } from "./nsec3-rdata";
import { MAX_CAA_TAG_LENGTH } from "./limits";

/** A zone's records, indexed by owner name, with its SOA at the apex. */
export class Zone {
  /** The apex as its nameKey (lower case, no trailing dot; "" for the root). */
  readonly origin: string;
  private readonly byName = new Map<string, DnsRecord[]>();
  /** Every name that exists: owners and the empty non-terminals above them (RFC 8020). */
  private readonly existing = new Set<string>();

  constructor(origin: string, records: DnsRecord[]) {
    this.origin = nameKey(origin);
    for (const r of records) this.add(r);
    if (!this.soa) throw new AppLayerError("ZONE_SYNTAX", `zone ${origin || "."} has no SOA record at its apex`, { origin });
  }

  /** The SOA record at the apex: serial, timers, and the negative-caching TTL (RFC 2308). */
  get soa(): DnsRecord {
    return this.at(this.origin).find((r) => r.type === "SOA")!;
  }

  /** The records owned by `name` (any case). */
  at(name: string): DnsRecord[] {
    return this.byName.get(nameKey(name)) ?? [];
  }

  /** True when `name` owns records or has descendants that do. */
  exists(name: string): boolean {
    return this.existing.has(nameKey(name));
  }

  /** Every record, apex first. */
  records(): DnsRecord[] {
    return [...this.byName.values()].flat();
  }

  /** Removes the records `drop` selects (an UPDATE does this); returns how many went. */
  remove(drop: (r: DnsRecord) => boolean): number {
    const all = this.records();
    const keep = all.filter((r) => !drop(r));
    this.byName.clear();
    this.existing.clear();
    for (const r of keep) this.add(r);
    return all.length - keep.length;
  }

  /** Adds one to the SOA serial, as every change to a zone must (RFC 1982 arithmetic). */
  bumpSerial(): void {
    const data = (this.soa as { data: { serial: number } }).data;
    data.serial = (data.serial + 1) >>> 0;
  }

  /** Adds a record (an UPDATE does this too). The owner must lie inside the zone. */
  add(r: DnsRecord): void {
    const key = nameKey(r.name);
    if (!isInZone(key, this.origin)) {
      throw new AppLayerError("ZONE_SYNTAX", `${r.name} is outside the zone ${this.origin || "."}`, { name: r.name });
    }
    const list = this.byName.get(key) ?? [];
    list.push(r);
    this.byName.set(key, list);
    for (let n = key; ; n = n.slice(n.indexOf(".") + 1)) {
      this.existing.add(n);
      if (n === this.origin || !n.includes(".")) break;
    }
    this.existing.add(this.origin);
  }
}

interface Entry {
  line: number;
  tokens: string[];
  /** The line began with white space: the owner is the previous record's. */
  inheritsOwner: boolean;
}

/** Splits a master file into entries: comments dropped, ( … ) joined, "quoted strings" kept whole. */
function entries(text: string, file: string): Entry[] {
  const out: Entry[] = [];
  let line = 1;
  let depth = 0;
  let current: Entry | undefined;
  let i = 0;
  const fail = (msg: string, at = line) => {
    throw new AppLayerError("ZONE_SYNTAX", `${file}:${at}: ${msg}`, { file, line: at });
  };
  const startEntry = () => (current ??= { line, tokens: [], inheritsOwner: false });
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      if (depth === 0 && current) {
        if (current.tokens.length) out.push(current);
        current = undefined;
      }
      line++;
      i++;
    } else if (c === ";") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      if (!current && (i === 0 || text[i - 1] === "\n")) startEntry().inheritsOwner = true;
      i++;
    } else if (c === "(") {
      startEntry();
      depth++;
      i++;
    } else if (c === ")") {
      if (depth === 0) fail("')' without '('");
      depth--;
      i++;
    } else if (c === '"') {
      const start = line;
      let s = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        if (text[i] === "\n") line++;
        s += text[i++];
      }
      if (i >= text.length) fail("unterminated quoted string", start);
      i++;
      startEntry().tokens.push(`"${s}`); // a leading quote marks it as quoted
    } else {
      let s = "";
      while (i < text.length && !' \t\r\n;()"'.includes(text[i])) s += text[i++];
      startEntry().tokens.push(s);
    }
  }
  if (depth > 0) fail("'(' is never closed");
  if (current?.tokens.length) out.push(current);
  return out;
}

/** Seconds in "3600", "1h", "2d", "1h30m" (BIND's TTL units). */
function parseTtl(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(\d+[smhdw])+$/i.test(s) ? s.match(/\d+[smhdw]/gi)! : undefined;
  if (!m) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return m.reduce((t, part) => t + Number(part.slice(0, -1)) * unit[part.slice(-1).toLowerCase()], 0);
}

/**
 * Parses a zone in RFC 1035 master-file format (§5.1): `$ORIGIN`, `$TTL`, `@`,
 * relative names, owners inherited from the line above, multi-line records in
 * parentheses, `;` comments and quoted TXT strings. A mistake is refused with
 * `ZONE_SYNTAX` and the file and line number, never silently skipped.
 *
 * @example
 * const zone = parseZone(readFileSync("umass.edu.zone", "utf8"), { origin: "umass.edu." });
 * zone.at("gaia.cs.umass.edu"); // [{ name: "gaia.cs.umass.edu", type: "A", ttl: 3600, data: "127.0.1.12" }]
 */
export function parseZone(text: string, options: MasterFileOptions = {}): Zone {
  const { records, lines, fail } = readMasterFile(text, options);
  const soa = records.find((r) => r.type === "SOA") ?? fail("the zone has no SOA record", lines[lines.length - 1] ?? 0);
  records.forEach((r, i) => {
    if (!isInZone(r.name, soa.name)) fail(`${r.name} is outside the zone ${fqdn(soa.name)}`, lines[i]);
  });
  return new Zone(soa.name, records);
}

/**
 * Reads records in master-file syntax with no zone around them: root hints
 * (named.root), or a list of records to load into a cache.
 *
 * @example parseRecords(readFileSync("root.hints", "utf8")) // [". NS a.root-servers.net.", "a.root-servers.net. A 127.0.0.2"]
 */
export function parseRecords(text: string, options: MasterFileOptions = {}): DnsRecord[] {
  return readMasterFile(text, { origin: ".", ...options }).records;
}

export interface MasterFileOptions {
  origin?: string;
  file?: string;
  defaultTtl?: number;
}

function readMasterFile(text: string, options: MasterFileOptions) {
  const file = options.file ?? "zone";
  let origin = options.origin !== undefined ? absolute(options.origin, undefined) : undefined;
  let ttl = options.defaultTtl;
  let owner: string | undefined;
  let lastTtl: number | undefined;
  const records: DnsRecord[] = [];
  const lines: number[] = []; // the line of each record, for errors found after reading
  let at = 0;
  const fail = (msg: string): never => {
    throw new AppLayerError("ZONE_SYNTAX", `${file}:${at}: ${msg}`, { file, line: at });
  };
  function absolute(name: string, o: string | undefined): string {
    if (name === "@") {
      if (o === undefined) fail("'@' used before any $ORIGIN");
      return o!;
    }
    if (name.endsWith(".")) return name === "." ? "." : name;
    if (o === undefined) fail(`"${name}" is relative but no $ORIGIN is set`);
    return o === "." ? `${name}.` : `${name}.${o}`;
  }
  const name = (s: string | undefined) => {
    if (s === undefined) return fail("a name is missing");
    const n = absolute(s, origin);
    try {
      checkName(n);
    } catch (e) {
      fail((e as Error).message);
    }
    return n === "." ? "." : n.slice(0, -1);
  };
  const int = (s: string | undefined, what: string) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : fail(`${what} must be a number, not "${s ?? ""}"`));

  for (const e of entries(text, file)) {
    at = e.line;
    const t = e.tokens;
    if (t[0].startsWith("$")) {
      const directive = t[0].toUpperCase();
      if (directive === "$ORIGIN") origin = absolute(t[1] ?? fail("$ORIGIN needs a name"), origin);
      else if (directive === "$TTL") ttl = parseTtl(t[1] ?? "") ?? fail(`$TTL needs a number of seconds, not "${t[1] ?? ""}"`);
      else fail(`${t[0]} is not supported (only $ORIGIN and $TTL)`);
      continue;
    }
    let k = 0;
    if (!e.inheritsOwner) owner = name(t[k++]);
    if (owner === undefined) fail("the first record needs an owner name");
    let recordTtl: number | undefined;
    for (let j = 0; j < 2; j++) {
      const tok = t[k]?.toUpperCase();
      if (tok === "IN") k++;
      else if (tok && ["CH", "HS", "CS"].includes(tok)) fail(`class ${tok} is not supported; use IN`);
      else if (tok && parseTtl(tok) !== undefined && recordTtl === undefined) recordTtl = parseTtl(t[k++]);
    }
    const type = (t[k++] ?? fail("the record type is missing")).toUpperCase();
    if (!(RECORD_TYPES as readonly string[]).includes(type)) fail(`record type "${type}" is not supported (supported: ${RECORD_TYPES.join(", ")})`);
    const rd = t.slice(k);
    const want = (n: number) => rd.length === n || fail(`${type} takes ${n} field(s), found ${rd.length}`);
    let data: unknown;
    switch (type as RecordType) {
      case "A":
        want(1);
        data = isIP(rd[0]) === 4 ? rd[0] : fail(`"${rd[0]}" is not an IPv4 address`);
        break;
      case "AAAA":
        want(1);
        data = isIP(rd[0]) === 6 ? rd[0] : fail(`"${rd[0]}" is not an IPv6 address`);
        break;
      case "NS":
      case "CNAME":
      case "PTR":
        want(1);
        data = name(rd[0]);
        break;
      case "MX":
        want(2);
        data = { preference: int(rd[0], "MX preference"), exchange: name(rd[1]) };
        break;
      case "SOA":
        want(7);
        data = {
          mname: name(rd[0]), rname: name(rd[1]), serial: int(rd[2], "serial"), refresh: parseTtl(rd[3]) ?? fail("refresh must be a time"),
          retry: parseTtl(rd[4]) ?? fail("retry must be a time"), expire: parseTtl(rd[5]) ?? fail("expire must be a time"), minimum: parseTtl(rd[6]) ?? fail("minimum must be a time"),
        };
        // RFC 2308 §4: with no $TTL, the SOA minimum field is the default TTL.
        ttl ??= (data as { minimum: number }).minimum;
        break;
      case "TXT":
        if (rd.length === 0) fail("TXT needs at least one string");
        data = rd.map((s) => (s.startsWith('"') ? s.slice(1) : s));
        if ((data as string[]).some((s) => Buffer.byteLength(s) > 255)) fail("a TXT string is over 255 octets (RFC 1035 §3.3)");
        break;
      case "DNSKEY": {
        // RFC 4034 §2.2: flags, protocol (always 3), algorithm, then the key in base64, which may be split by spaces.
        if (rd.length < 4) fail("DNSKEY takes flags, protocol, algorithm and a base64 key");
        if (rd[1] !== "3") fail(`a DNSKEY's protocol field must be 3, not ${rd[1]}`);
        const key = rd.slice(3).join("");
        if (!/^[A-Za-z0-9+/]+=*$/.test(key)) fail("the DNSKEY's key is not base64");
        data = { flags: int(rd[0], "DNSKEY flags"), algorithm: int(rd[2], "DNSKEY algorithm"), key: Buffer.from(key, "base64") };
        break;
      }
      case "RRSIG": {
        // RFC 4034 §3.2: type covered, algorithm, labels, original TTL, expiration, inception
        // (YYYYMMDDHHmmSS or seconds), key tag, signer, then the signature in base64, split by spaces.
        if (rd.length < 9) fail("RRSIG takes 8 fields and a base64 signature");
        const time = (v: string, what: string) => {
          const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
          if (m) return Math.floor(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000) >>> 0;
          return int(v, what);
        };
        const signature = rd.slice(8).join("");
        if (!/^[A-Za-z0-9+/]+=*$/.test(signature)) fail("the RRSIG's signature is not base64");
        data = {
          typeCovered: rd[0].toUpperCase(), algorithm: int(rd[1], "RRSIG algorithm"), labels: int(rd[2], "RRSIG labels"), originalTTL: int(rd[3], "RRSIG original TTL"),
          expiration: time(rd[4], "RRSIG expiration"), inception: time(rd[5], "RRSIG inception"), keyTag: int(rd[6], "RRSIG key tag"), signersName: name(rd[7]),
          signature: Buffer.from(signature, "base64"),
        };
        break;
      }
      case "NSEC":
        // RFC 4034 §4.2: the next owner name, then the types present at this one.
        if (rd.length < 1) fail("NSEC takes the next name and a list of types");
        data = { nextDomain: name(rd[0]), rrtypes: rd.slice(1).map((t) => t.toUpperCase()) };
        break;
      case "NSEC3":
      case "NSEC3PARAM": {
        // RFC 5155 §3.3 and §4.3: algorithm, flags, iterations, salt (hex or "-"); NSEC3 adds the next hash and the types.
        if (rd.length < (type === "NSEC3" ? 5 : 4)) fail(`${type} takes an algorithm, flags, iterations and a salt${type === "NSEC3" ? ", then the next hashed name" : ""}`);
        if (rd[3] !== "-" && !/^([0-9A-Fa-f]{2})+$/.test(rd[3])) fail(`the ${type} salt is neither hex nor "-"`);
        const params = { algorithm: int(rd[0], `${type} algorithm`), flags: int(rd[1], `${type} flags`), iterations: int(rd[2], `${type} iterations`), salt: rd[3] === "-" ? Buffer.alloc(0) : Buffer.from(rd[3], "hex") };
        try {
          checkNsec3Params(params);
        } catch (e) {
          fail((e as Error).message);
        }
        if (type === "NSEC3PARAM") data = nsec3paramRdata(params);
        else {
          const next = fromBase32hex(rd[4]);
          if (!next || next.length !== 20) fail("the NSEC3's next hashed name is not a base32hex SHA-1 hash");
          data = { ...params, nextDomain: next, rrtypes: rd.slice(5).map((t) => t.toUpperCase()) };
        }
        break;
      }
      case "SRV": {
        // RFC 2782: priority, weight and port (16 bits each), then the target host ("." for none).
        want(4);
        const u16 = (v: string, what: string) => (int(v, what) <= 0xffff ? Number(v) : fail(`${what} is over 65535`));
        data = { priority: u16(rd[0], "SRV priority"), weight: u16(rd[1], "SRV weight"), port: u16(rd[2], "SRV port"), target: name(rd[3]) };
        break;
      }
      case "CAA": {
        // RFC 8659 §4.1: flags (one octet), a tag of ASCII letters and digits, then the value, quoted or as one word.
        want(3);
        const flags = int(rd[0], "CAA flags");
        if (flags > 255) fail("CAA flags are one octet (0-255)");
        if (!/^[A-Za-z0-9]+$/.test(rd[1])) fail(`the CAA tag "${rd[1]}" is not ASCII letters and digits (RFC 8659 §4.1)`);
        if (rd[1].length > MAX_CAA_TAG_LENGTH) fail(`a CAA tag is at most ${MAX_CAA_TAG_LENGTH} octets, this one ${rd[1].length}`);
        data = { flags, tag: rd[1], value: rd[2].startsWith('"') ? rd[2].slice(1) : rd[2] };
        break;
      }
      case "DS": {
        // RFC 4034 §5.3: key tag, algorithm, digest type, then the digest in hex, which may be split by spaces.
        if (rd.length < 4) fail("DS takes a key tag, an algorithm, a digest type and a hex digest");
        const digest = rd.slice(3).join("");
        if (!/^([0-9A-Fa-f]{2})+$/.test(digest)) fail("the DS digest is not hex");
        data = { keyTag: int(rd[0], "DS key tag"), algorithm: int(rd[1], "DS algorithm"), digestType: int(rd[2], "DS digest type"), digest: Buffer.from(digest, "hex") };
        break;
      }
    }
    const effective = recordTtl ?? ttl ?? lastTtl ?? fail("no TTL: give one on the record or set $TTL");
    lastTtl = effective;
    records.push({ name: owner!, type, ttl: effective, class: "IN", data } as DnsRecord);
    lines.push(at);
  }
  return { records, lines, fail: (msg: string, line: number): never => ((at = line), fail(msg)) };
}
