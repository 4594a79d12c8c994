import { Clock, realClock } from "../../net/clock";
import { AppLayerError } from "../../errors";
import { DnsRecord, nameKey, isInZone } from "../wire/codec";
import { fqdn } from "../wire/records";
import { MAX_CACHE_ENTRIES } from "../wire/limits";
import { Dnskey, Ds, dsFromDnskey, keyTag } from "./keys";
import { Rrsig } from "./sign";
import { Proof, proveNoCloserName, proveNoDs, proveNodata, proveNxdomain } from "./denial";
import { labelCount } from "./canonical";
import { BOGUS_REASONS, BogusReason, Validation, rrsetOf, rrsigsOf, validateRrset, validateZoneKeys } from "./validate";

/**
 * A validating resolver's chain of trust (RFC 4035 §5): from a trust anchor down
 * through each zone's DS (signed by its parent) and DNSKEY (matching that DS) to
 * the RRSIG over the answer, or to the NSEC/NSEC3 proof that a zone is unsigned
 * or a name absent. The lookups go through a function, so the walk itself holds
 * no sockets: the resolver gives it its own resolutions.
 */

/** The trust anchor: a zone and the DS records its key must match (DNSKEY anchors are turned into DS). */
export interface TrustAnchor {
  zone: string;
  ds: Ds[];
}

/** What a lookup found: the answer with its RRSIGs, or the negative answer with its proof. */
export interface ChainLookupResult {
  rcode: string;
  answers: DnsRecord[];
  authorities: DnsRecord[];
}
export type ChainLookup = (name: string, type: string) => Promise<ChainLookupResult>;

/** One step of the walk, for `dig --dnssec` and the lesson's diagram. */
export interface ChainStep {
  zone: string;
  what: string;
  status: Validation["status"];
  detail: string;
}

/** A validation result with the steps it took. */
export type Verdict = Validation & { chain: ChainStep[] };

/** RFC 8914's Extended DNS Error info-code for each bogus reason. */
export const EDE_CODES: Record<BogusReason, number> = {
  UNSUPPORTED_ALGORITHM: 1, BAD_SIGNATURE: 6, SIGNATURE_EXPIRED: 7, SIGNATURE_NOT_YET_VALID: 8,
  DNSKEY_MISSING: 9, NO_ZONE_KEY_MATCHES_DS: 9, RRSIGS_MISSING: 10, NSEC_MISSING: 12, CHAIN_BROKEN: 23,
};

/** Reads a trust anchor from DS or DNSKEY records in zone-file syntax (as Unbound's trust-anchor-file holds them). */
export function trustAnchorFrom(records: DnsRecord[]): TrustAnchor {
  const usable = records.filter((r) => r.type === "DS" || (r.type === "DNSKEY" && ((r as unknown as { data: Dnskey }).data.flags & 0x0100)));
  if (!usable.length) throw new AppLayerError("BAD_ARGUMENT", "a trust anchor needs DS or DNSKEY records; none found");
  const zones = new Set(usable.map((r) => fqdn(r.name).toLowerCase()));
  if (zones.size > 1) throw new AppLayerError("BAD_ARGUMENT", `a trust anchor is for one zone; these records name ${[...zones].join(", ")}`);
  const zone = [...zones][0];
  const ds = usable.map((r) => (r.type === "DS" ? (r as unknown as { data: Ds }).data : dsFromDnskey(zone, (r as unknown as { data: Dnskey }).data)));
  return { zone, ds };
}

const ttlOf = (records: DnsRecord[]) => Math.min(...records.map((r) => (r as { ttl?: number }).ttl ?? 0));
const signerOf = (sigs: DnsRecord[]) => (sigs.length ? fqdn((sigs[0] as unknown as { data: Rrsig }).data.signersName).toLowerCase() : undefined);
const bogus = (reason: BogusReason, detail: string): Validation => ({ status: "bogus", reason, detail });
const describe = (v: Validation) => (v.status === "secure" ? "" : v.status === "insecure" ? v.reason : `${v.reason}: ${v.detail}`);
/** The parent name: one label off (the root's parent is the root). */
const parentName = (name: string) => (fqdn(name) === "." ? "." : fqdn(name).slice(fqdn(name).indexOf(".") + 1) || ".");
/** The worst of two results: bogus over insecure over secure. */
const worse = (a: Validation, b: Validation) => (a.status === "bogus" ? a : b.status === "bogus" ? b : a.status === "insecure" ? a : b);

interface ZoneKeys {
  validation: Validation;
  keys: Dnskey[];
}

/**
 * Validates answers against a trust anchor, caching each zone's trusted keys
 * (for their TTL) and each answer's verdict, so a cached answer is validated once.
 *
 * @example
 * const chain = new ChainValidator(trustAnchorFrom(parseRecords(text)), (n, t) => resolver.lookup(n, t), zoneOf);
 * (await chain.validate("www.umass.edu", "A", resolved)).status; // "secure"
 */
export class ChainValidator {
  private readonly zones = new Map<string, { keys: Promise<ZoneKeys>; steps: ChainStep[]; expires: number }>();
  private readonly verdicts = new Map<string, { verdict: Verdict; expires: number }>();
  readonly stats = { validations: 0, cachedVerdicts: 0 };
  /** Wall-clock ms at the clock's zero: a simulation's virtual time starts now, so signatures made now are valid in it. */
  private readonly epoch: number;

  /**
   * @param zoneOf the zone a name belongs to, as far as the resolver knows (its deepest cached cut):
   *   where to look for the keys of an answer that came without signatures.
   */
  constructor(
    readonly anchor: TrustAnchor,
    private readonly lookup: ChainLookup,
    private readonly zoneOf: (name: string) => string,
    private readonly clock: Clock = realClock,
  ) {
    this.epoch = Date.now() - clock.now();
  }

  /** The time signatures are checked at. */
  private time(): Date {
    return new Date(this.epoch + this.clock.now());
  }

  /** Validates one resolution's result for (qname, qtype). */
  async validate(qname: string, qtype: string, result: ChainLookupResult): Promise<Verdict> {
    const key = `${nameKey(qname)}\u0000${qtype}\u0000${result.rcode}`;
    const now = this.clock.now();
    const memo = this.verdicts.get(key);
    if (memo && memo.expires > now) {
      this.stats.cachedVerdicts++;
      return memo.verdict;
    }
    this.stats.validations++;
    const verdict = await this.validateUncached(qname, qtype, result);
    const records = [...result.answers, ...result.authorities];
    this.verdicts.set(key, { verdict, expires: now + (records.length ? ttlOf(records) : 0) * 1000 });
    if (this.verdicts.size > MAX_CACHE_ENTRIES) this.verdicts.delete(this.verdicts.keys().next().value!);
    return verdict;
  }

  private async validateUncached(qname: string, qtype: string, result: ChainLookupResult): Promise<Verdict> {
    const chain: ChainStep[] = [];
    let overall: Validation = { status: "secure" };
    let sname = fqdn(qname).toLowerCase();
    let answered = false;
    const data = result.answers.filter((r) => r.type !== "RRSIG");
    const sets = new Map<string, DnsRecord[]>();
    for (const r of data) sets.set(`${nameKey(r.name)} ${r.type}`, [...(sets.get(`${nameKey(r.name)} ${r.type}`) ?? []), r]);
    for (const rrset of sets.values()) {
      const { name, type } = rrset[0];
      const sigs = rrsigsOf(result.answers, name, type);
      const v = await this.validateRrset(rrset, sigs, chain);
      overall = worse(overall, v);
      // RFC 4035 §5.3.4: an RRSIG with fewer labels than its owner signed a wildcard; the answer needs the proof that no closer name exists.
      const expanded = sigs.map((g) => (g as unknown as { data: Rrsig }).data.labels).find((l) => l < labelCount(name));
      if (v.status === "secure" && expanded !== undefined) overall = worse(overall, await this.validateExpansion(name, expanded, signerOf(sigs)!, result, chain));
      if (type === "CNAME" && nameKey(name) === nameKey(sname)) sname = fqdn(String((rrset[0] as { data: unknown }).data)).toLowerCase();
      if (type === qtype) answered = true;
    }
    if (!answered && (result.rcode === "NOERROR" || result.rcode === "NXDOMAIN")) overall = worse(overall, await this.validateDenial(sname, qtype, result, chain));
    // A zone's steps are listed once, however many RRsets its keys checked.
    return { ...overall, chain: chain.filter((c, i) => chain.findIndex((d) => d.zone === c.zone && d.what === c.what) === i) };
  }

  /** One RRset: its signer's keys, then the signature. */
  private async validateRrset(rrset: DnsRecord[], sigs: DnsRecord[], chain: ChainStep[]): Promise<Validation> {
    const { name, type } = rrset[0];
    const signer = signerOf(sigs);
    if (signer && !isInZone(name, signer)) return this.step(chain, signer, `${fqdn(name)} ${type}`, bogus("BAD_SIGNATURE", `signed by ${signer}, which does not enclose ${fqdn(name)}`));
    const zone = signer ?? this.zoneOf(name);
    const keys = await this.keysFor(zone, chain);
    if (keys.validation.status !== "secure") {
      // An unsigned answer from a zone that should be signed: its signatures were stripped.
      return this.step(chain, zone, `${fqdn(name)} ${type}`, keys.validation);
    }
    return this.step(chain, zone, `${fqdn(name)} ${type}`, validateRrset(rrset, sigs, keys.keys, this.time()));
  }

  /** A negative answer: the SOA's zone keys, the NSEC/NSEC3 signatures, then what they prove. */
  private async validateDenial(sname: string, qtype: string, result: ChainLookupResult, chain: ChainStep[]): Promise<Validation> {
    const soa = result.authorities.find((r) => r.type === "SOA");
    const proofRecords = result.authorities.filter((r) => r.type === "NSEC" || r.type === "NSEC3");
    const signer = signerOf(result.authorities.filter((r) => r.type === "RRSIG"));
    const zone = signer ?? (soa ? fqdn(soa.name).toLowerCase() : this.zoneOf(sname));
    const keys = await this.keysFor(zone, chain);
    const what = `no ${fqdn(sname)} ${result.rcode === "NXDOMAIN" ? "(NXDOMAIN)" : qtype}`;
    if (keys.validation.status !== "secure") return this.step(chain, zone, what, keys.validation);
    const sigsOk = await this.proofSignatures(result.authorities, keys.keys);
    if (sigsOk.status !== "secure") return this.step(chain, zone, what, sigsOk);
    const proof: Proof = result.rcode === "NXDOMAIN" ? proveNxdomain(proofRecords, sname) : proveNodata(proofRecords, sname, qtype);
    return this.step(chain, zone, what, proof.ok ? { status: "secure" } : bogus("NSEC_MISSING", proof.why));
  }

  /** A wildcard expansion (RFC 4035 §5.3.4): the signed NSEC or NSEC3 that proves no name closer than the wildcard exists. */
  private async validateExpansion(name: string, labels: number, zone: string, result: ChainLookupResult, chain: ChainStep[]): Promise<Validation> {
    const what = `${fqdn(name)} from a wildcard`;
    const keys = await this.keysFor(zone, chain);
    if (keys.validation.status !== "secure") return this.step(chain, zone, what, keys.validation);
    const sigsOk = await this.proofSignatures(result.authorities, keys.keys);
    if (sigsOk.status !== "secure") return this.step(chain, zone, what, sigsOk.status === "bogus" && sigsOk.reason === "NSEC_MISSING" ? bogus("NSEC_MISSING", `a wildcard answer for ${fqdn(name)} without the NSEC or NSEC3 that proves no closer name exists`) : sigsOk);
    const proof = proveNoCloserName(result.authorities.filter((r) => r.type === "NSEC" || r.type === "NSEC3"), name, labels);
    return this.step(chain, zone, what, proof.ok ? { status: "secure" } : bogus("NSEC_MISSING", proof.why));
  }

  /** Every SOA, NSEC and NSEC3 RRset of an authority section, checked against the zone's keys. */
  private async proofSignatures(authorities: DnsRecord[], keys: Dnskey[]): Promise<Validation> {
    const sets = new Map<string, DnsRecord[]>();
    for (const r of authorities.filter((x) => ["SOA", "NSEC", "NSEC3"].includes(x.type))) sets.set(`${nameKey(r.name)} ${r.type}`, [...(sets.get(`${nameKey(r.name)} ${r.type}`) ?? []), r]);
    if (![...sets.values()].some((s) => s[0].type !== "SOA")) return bogus("NSEC_MISSING", "a negative answer without NSEC or NSEC3 records");
    let v: Validation = { status: "secure" };
    for (const rrset of sets.values()) v = worse(v, validateRrset(rrset, rrsigsOf(authorities, rrset[0].name, rrset[0].type), keys, this.time()));
    return v;
  }

  private step(chain: ChainStep[], zone: string, what: string, v: Validation): Validation {
    chain.push({ zone: fqdn(zone), what, status: v.status, detail: describe(v) });
    return v;
  }

  /**
   * The zone's trusted keys: from the anchor at its own zone, else through its DS
   * at the parent (validated with the parent's keys, recursively), or the proof
   * that the parent has no DS (an insecure delegation). Cached for the DNSKEY TTL.
   */
  private keysFor(zone: string, chain: ChainStep[], depth = 0): Promise<ZoneKeys> {
    const z = fqdn(zone).toLowerCase();
    const now = this.clock.now();
    const known = this.zones.get(z);
    if (known && known.expires > now) {
      known.keys.then(() => chain.push(...known.steps));
      return known.keys;
    }
    const steps: ChainStep[] = [];
    const entry = { keys: this.findKeys(z, steps, depth), steps, expires: now + 60_000 };
    this.zones.set(z, entry);
    return entry.keys.then((k) => {
      chain.push(...steps);
      return k;
    });
  }

  private async findKeys(z: string, steps: ChainStep[], depth: number): Promise<ZoneKeys> {
    const settle = (v: Validation, keys: Dnskey[] = [], ttl?: number): ZoneKeys => {
      const entry = this.zones.get(z);
      if (entry && ttl !== undefined) entry.expires = this.clock.now() + ttl * 1000;
      return { validation: v, keys };
    };
    if (depth > 127) return settle(bogus("CHAIN_BROKEN", `the chain to ${z} is too deep`));
    if (z === this.anchor.zone) {
      const r = await this.lookup(z, "DNSKEY");
      const keyset = rrsetOf(r.answers, z, "DNSKEY");
      if (!keyset.length) return settle(this.step(steps, z, "DNSKEY (trust anchor)", bogus("DNSKEY_MISSING", `${z} answered ${r.rcode} with no DNSKEY`)));
      const { validation, keys } = validateZoneKeys(z, r.answers, this.anchor.ds, this.time());
      this.step(steps, z, `DNSKEY ${keyList(keys)}, matches the trust anchor`, validation);
      return settle(validation, keys, ttlOf(keyset));
    }
    const r = await this.lookup(z, "DS");
    if (r.rcode !== "NOERROR" && r.rcode !== "NXDOMAIN") return settle(this.step(steps, z, "DS", bogus("CHAIN_BROKEN", `the DS lookup for ${z} failed: ${r.rcode}`)));
    const dsSet = rrsetOf(r.answers, z, "DS");
    const dsSigs = rrsigsOf(r.answers, z, "DS");
    const proofSigs = r.authorities.filter((x) => x.type === "RRSIG");
    const parent = signerOf(dsSet.length ? dsSigs : proofSigs) ?? this.zoneOf(parentName(z));
    if (parent === z || !isInZone(z, parent)) return settle(this.step(steps, z, "DS", bogus("BAD_SIGNATURE", `the DS for ${z} is signed by ${parent}, not by a parent`)));
    const parentKeys = await this.keysFor(parent, steps, depth + 1);
    if (parentKeys.validation.status !== "secure") return settle(parentKeys.validation, [], 60);
    if (dsSet.length) {
      const dsValid = this.step(steps, z, `DS (signed by ${parent})`, validateRrset(dsSet, dsSigs, parentKeys.keys, this.time()));
      if (dsValid.status !== "secure") return settle(dsValid);
      const k = await this.lookup(z, "DNSKEY");
      const keyset = rrsetOf(k.answers, z, "DNSKEY");
      if (!keyset.length) return settle(this.step(steps, z, "DNSKEY", bogus("DNSKEY_MISSING", `${z} has a DS at ${parent} but answered ${k.rcode} with no DNSKEY`)));
      const { validation, keys } = validateZoneKeys(z, k.answers, dsSet.map((x) => (x as unknown as { data: Ds }).data), this.time());
      this.step(steps, z, `DNSKEY ${keyList(keys)}, matches the DS`, validation);
      return settle(validation, keys, Math.min(ttlOf(keyset), ttlOf(dsSet)));
    }
    // No DS: secure only if the parent proves it (an unsigned delegation), else someone stripped it.
    const sigs = await this.proofSignatures(r.authorities, parentKeys.keys);
    if (sigs.status !== "secure") return settle(this.step(steps, z, `no DS at ${parent}`, sigs));
    const proof = proveNoDs(r.authorities.filter((x) => x.type === "NSEC" || x.type === "NSEC3"), z);
    if (!proof.ok) return settle(this.step(steps, z, `no DS at ${parent}`, bogus("NSEC_MISSING", proof.why)));
    const insecure: Validation = { status: "insecure", reason: `${z} has no DS at ${parent}: an unsigned delegation, proven by ${parent}'s signed NSEC or NSEC3` };
    this.step(steps, z, `no DS at ${parent} (proven)`, insecure);
    return settle(insecure, [], ttlOf(r.authorities));
  }
}

const keyList = (keys: Dnskey[]) => (keys.length ? `(${keys.map((k) => `${k.flags & 1 ? "KSK" : "ZSK"} ${keyTag(k)}`).join(", ")})` : "");

/** The EDNS option that carries an Extended DNS Error (RFC 8914 §2): info-code, then text. */
export const EDE_OPTION = 15;

/** The EDE option for a bogus verdict: `{ code: 15, data }`, ready for an OPT record. */
export function edeOption(v: Validation): { code: number; data: Buffer } | undefined {
  if (v.status !== "bogus") return undefined;
  const head = Buffer.alloc(2);
  head.writeUInt16BE(EDE_CODES[v.reason]);
  return { code: EDE_OPTION, data: Buffer.concat([head, Buffer.from(`${BOGUS_REASONS[v.reason]}: ${v.detail}`.slice(0, 200), "utf8")]) };
}
