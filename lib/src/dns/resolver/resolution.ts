import { DnsCache, proofKey, signatureKey } from "./cache";
import { DnsMessage, DnsQuestion, DnsRecord, FLAGS, Rcode, nameKey, isInZone, rcodeOf } from "../wire/codec";
import { MAX_CNAME_CHAIN, MAX_NS_LOOKUP_DEPTH, MAX_QUERIES_PER_RESOLUTION } from "../wire/limits";
import { rrsigsOf } from "../dnssec/validate";
import { labelCount } from "../dnssec/canonical";

/** What the state machine wants next: send a query, or it is done. */
export type Step =
  | { kind: "query"; server: string; serverName: string; zone: string; question: DnsQuestion }
  | { kind: "done"; rcode: Rcode; answers: DnsRecord[]; authorities: DnsRecord[] };

/** One upstream query and what came of it, for the resolution's trace. */
export interface Hop {
  server: string;
  serverName: string;
  /** The zone the resolver believed this server serves. */
  zone: string;
  question: string;
  outcome: string;
}

interface Candidate {
  name: string;
  /** A glue/hint address; otherwise looked up in the cache when needed. */
  address?: string;
}

/** Shared between a resolution and the NS-address lookups it starts: one budget, one trace. */
interface Shared {
  queries: number;
  hops: Hop[];
}

/** A record's data as text: the address of an A record, the name in an NS or CNAME. */
const dataOf = (r: DnsRecord) => String((r as { data: unknown }).data);

/**
 * What a resolver takes from the authority and additional sections of an
 * authoritative answer. "ignore" (the default, RFC 5452 §6's advice): nothing
 * but the answer's own chain. The other two are resolvers before 2008, for
 * lesson 35's Kaminsky lab: "any" caches the NS records and every address
 * beside the answer as if they were answers; "in-bailiwick" only those inside
 * the zone of the server that sent them.
 */
export type AuthoritySection = "ignore" | "in-bailiwick" | "any";

/** The records that prove a negative answer (RFC 4035 §3.1.3): NSEC, NSEC3 and their signatures. */
const DENIAL_TYPES = ["NSEC", "NSEC3", "RRSIG"];

/**
 * Resolves one question iteratively, as a local DNS server does (RFC 1034 §5.3.3),
 * with no sockets: `next()` says which server to ask, `receive()` takes its reply
 * (or undefined for a timeout). The cache is consulted first and filled as replies
 * arrive; every cached record is checked against the asking zone's bailiwick, so
 * a server for edu. cannot plant records for com.
 *
 * Bounded work: at most MAX_QUERIES_PER_RESOLUTION queries (shared with the
 * lookups of name-server addresses), MAX_CNAME_CHAIN CNAMEs, MAX_NS_LOOKUP_DEPTH
 * nested lookups — past any of them, SERVFAIL.
 *
 * @example
 * const r = new Resolution({ name: "gaia.cs.umass.edu", type: "A" }, cache, hints);
 * for (let s = r.next(); s.kind === "query"; s = r.next()) r.receive(await ask(s.server, s.question));
 */
export class Resolution {
  private sname: string;
  private readonly chain: DnsRecord[] = [];
  private zone = ".";
  private candidates: Candidate[] = [];
  private readonly tried = new Set<string>();
  private readonly lookedUp = new Set<string>();
  private pending: Extract<Step, { kind: "query" }> | undefined;
  private sub: { resolution: Resolution; ns: string } | undefined;
  private result: Extract<Step, { kind: "done" }> | undefined;
  /** With `dnssec`: the RRSIGs over the answer and the CNAMEs that led to it. */
  private readonly signatures: DnsRecord[] = [];

  /**
   * With `dnssec`, the answer carries its RRSIGs and a negative answer its NSEC
   * or NSEC3 proof, for a validator. A DS question starts at the parent's
   * servers: the DS lives in the parent zone (RFC 4035 §4.2).
   */
  constructor(
    readonly question: DnsQuestion,
    private readonly cache: DnsCache,
    private readonly hints: DnsRecord[],
    private readonly options: { random?: () => number; depth?: number; shared?: Shared; dnssec?: boolean; avoid?: (address: string) => boolean; authoritySection?: AuthoritySection } = {},
  ) {
    this.sname = question.name;
    this.options.shared ??= { queries: 0, hops: [] };
    this.fromCache();
  }

  /** Every upstream query so far, nested NS-address lookups included, in order. */
  get hops(): Hop[] {
    return this.options.shared!.hops;
  }

  /** The next thing to do. Call receive() after each "query" step. */
  next(): Step {
    if (this.result) return this.result;
    if (this.pending) return this.pending;
    if (this.sub) {
      const step = this.sub.resolution.next();
      if (step.kind === "query") return step;
      this.lookedUp.add(this.sub.ns); // its A records, if any, are in the cache now
      this.sub = undefined;
    }
    for (;;) {
      const untried = this.candidates.filter((c) => !this.tried.has(c.name));
      // A server the resolver knows to be unresponsive goes last: asked only when no other can be.
      let lastResort: [Candidate, string] | undefined;
      const unaddressed: Candidate[] = [];
      for (const c of untried) {
        const address = this.address(c);
        if (address === undefined) unaddressed.push(c);
        else if (!this.options.avoid?.(address)) return this.ask(c, address);
        else lastResort ??= [c, address];
      }
      // Referred to servers without glue: find an address first (a lookup of its own).
      const unknown = unaddressed.find((c) => !this.lookedUp.has(c.name));
      if (unknown && (this.options.depth ?? 0) < MAX_NS_LOOKUP_DEPTH) {
        const nested = new Resolution({ name: unknown.name, type: "A", class: "IN" }, this.cache, this.hints, { ...this.options, depth: (this.options.depth ?? 0) + 1 });
        this.sub = { resolution: nested, ns: unknown.name };
        return this.next();
      }
      if (unknown) {
        this.lookedUp.add(unknown.name);
        continue;
      }
      if (lastResort) return this.ask(...lastResort); // it may be back
      return this.finish("SERVFAIL"); // every server of this zone failed
    }
  }

  /** The query to `server`, the address of candidate `c`, within the resolution's budget. */
  private ask(c: Candidate, server: string): Step {
    if (++this.options.shared!.queries > MAX_QUERIES_PER_RESOLUTION) return this.finish("SERVFAIL");
    this.pending = { kind: "query", server, serverName: c.name, zone: this.zone, question: { name: this.sname, type: this.question.type, class: "IN" } };
    return this.pending;
  }

  /** The reply to the last "query" step, or undefined when it timed out or could not be sent. */
  receive(response: DnsMessage | undefined): void {
    if (this.sub) return this.sub.resolution.receive(response);
    const asked = this.pending;
    if (!asked) return;
    this.pending = undefined;
    this.tried.add(asked.serverName);
    const hop = (outcome: string): void => {
      this.hops.push({ server: asked.server, serverName: asked.serverName, zone: asked.zone, question: `${asked.question.name} ${asked.question.type}`, outcome });
    };
    if (!response) return hop("no reply (timeout)");
    const rcode = rcodeOf(response);
    if (rcode !== "NOERROR" && rcode !== "NXDOMAIN") return hop(`${rcode}: try another server`);

    const inBailiwick = (r: DnsRecord) => isInZone(r.name, this.zone);
    const answers = (response.answers ?? []).filter(inBailiwick);
    const authoritative = ((response.flags ?? 0) & FLAGS.AA) !== 0;
    if (answers.length) this.cache.put(answers, authoritative ? "answer" : "referral");

    // The denial records: a negative answer's proof, or a wildcard answer's that no closer name exists (RFC 4035 §5.3.4).
    const proof = this.options.dnssec ? (response.authorities ?? []).filter((r) => DENIAL_TYPES.includes(r.type) && inBailiwick(r)) : [];
    // Walk the answer: the records we want, or a CNAME to follow (RFC 1034 §3.6.2).
    let followed = false;
    for (let guard = 0; guard <= MAX_CNAME_CHAIN; guard++) {
      const here = answers.filter((r) => nameKey(r.name) === nameKey(this.sname));
      const wanted = here.filter((r) => r.type === this.question.type);
      if (wanted.length) {
        hop(followed ? "answer, after a CNAME" : "answer");
        if (this.options.dnssec) this.signatures.push(...rrsigsOf(answers, this.sname, this.question.type));
        if (proof.length) this.cache.putProof(this.sname, this.question.type, proof);
        if (authoritative) this.takeAuthority(response, inBailiwick);
        return void this.finish("NOERROR", [...this.chain, ...wanted], proof);
      }
      const cname = here.find((r) => r.type === "CNAME");
      if (!cname) break;
      if (this.options.dnssec) this.signatures.push(...rrsigsOf(answers, this.sname, "CNAME"));
      if (!this.followCname(cname)) return hop("CNAME chain too long or looping");
      followed = true;
    }
    if (followed) {
      hop(`CNAME → ${this.sname}`);
      return this.fromCache();
    }

    const soa = (response.authorities ?? []).find((r) => r.type === "SOA" && inBailiwick(r));
    if (rcode === "NXDOMAIN") {
      hop("NXDOMAIN: no such name");
      this.cache.putNegative(this.sname, this.question.type, "nxdomain", soa, proof);
      return void this.finish("NXDOMAIN", this.chain, [...(soa ? [soa] : []), ...proof]);
    }
    const ns = (response.authorities ?? []).filter((r) => r.type === "NS");
    const cut = ns[0]?.name;
    // A referral must point strictly below the zone we asked, and toward the name (else: lame or looping).
    if (cut !== undefined && !authoritative && isInZone(cut, this.zone) && nameKey(cut) !== nameKey(this.zone) && isInZone(this.sname, cut)) {
      const glue = (response.additionals ?? []).filter((r) => (r.type === "A" || r.type === "AAAA") && inBailiwick(r));
      this.cache.put(ns.filter((r) => nameKey(r.name) === nameKey(cut)), "referral");
      this.cache.put(glue, "glue");
      hop(`referral to ${cut === "." ? "." : `${cut}.`} (${ns.map(dataOf).join(", ")})`);
      return this.enterZone(cut, ns.map(dataOf));
    }
    if (authoritative) {
      hop("NODATA: the name has no records of this type");
      this.cache.putNegative(this.sname, this.question.type, "nodata", soa, proof);
      return void this.finish("NOERROR", this.chain, [...(soa ? [soa] : []), ...proof]);
    }
    hop("lame: neither an answer nor a referral below its zone");
  }

  /** The NS records and addresses beside an authoritative answer, cached as answers when the options say so (see AuthoritySection). */
  private takeAuthority(response: DnsMessage, inBailiwick: (r: DnsRecord) => boolean): void {
    const mode = this.options.authoritySection ?? "ignore";
    if (mode === "ignore") return;
    const keep = mode === "any" ? () => true : inBailiwick;
    const ns = (response.authorities ?? []).filter((r) => r.type === "NS" && keep(r));
    const addresses = (response.additionals ?? []).filter((r) => (r.type === "A" || r.type === "AAAA") && keep(r));
    this.cache.put([...ns, ...addresses], "answer");
  }

  /** The final result, once done. */
  get done(): Extract<Step, { kind: "done" }> | undefined {
    return this.result;
  }

  private followCname(cname: DnsRecord): boolean {
    if (this.chain.length >= MAX_CNAME_CHAIN || this.chain.some((c) => nameKey(c.name) === nameKey(dataOf(cname)))) {
      this.finish("SERVFAIL");
      return false;
    }
    this.chain.push(cname);
    this.sname = dataOf(cname);
    return true;
  }

  /** Answers from the cache if it can, else starts at the closest zone cut whose servers it knows. */
  private fromCache(): void {
    for (let guard = 0; guard <= MAX_CNAME_CHAIN; guard++) {
      const hit = this.cache.get(this.sname, this.question.type);
      const sigs = hit.kind === "records" ? this.cachedSignatures(this.sname, this.question.type) : [];
      const proof = hit.kind === "records" ? this.cachedProof(this.sname, this.question.type) : [];
      // RFC 4035 §5.3.4: a wildcard answer whose proof has expired from the cache is asked for again, proof and all.
      const expanded = sigs.some((g) => (g as unknown as { data: { labels: number } }).data.labels < labelCount(this.sname));
      if (hit.kind === "records" && expanded && !proof.length) break;
      if (hit.kind === "records") {
        this.signatures.push(...sigs);
        return void this.finish("NOERROR", [...this.chain, ...hit.records], proof);
      }
      if (hit.kind !== "miss") {
        const proof = this.options.dnssec ? hit.proof ?? [] : [];
        return void this.finish(hit.kind === "nxdomain" ? "NXDOMAIN" : "NOERROR", this.chain, [...(hit.soa ? [hit.soa] : []), ...proof]);
      }
      const cname = this.question.type === "CNAME" ? undefined : this.cache.peek(this.sname, "CNAME");
      if (cname?.kind !== "records") break;
      this.signatures.push(...this.cachedSignatures(this.sname, "CNAME"));
      if (!this.followCname(cname.records[0])) return;
    }
    // The name, then each ancestor up to the root, as substrings of the name (`at` is where one starts; -1: done).
    // A DS question starts at the parent; one for the root starts at the hints.
    const n = nameKey(this.sname);
    const next = (at: number) => (at >= n.length ? -1 : n.indexOf(".", at) + 1 || n.length);
    for (let at = this.question.type === "DS" ? next(0) : 0; at >= 0; at = next(at)) {
      const zone = at >= n.length ? "." : n.slice(at);
      const ns = this.cache.data(zone, "NS");
      if (ns) return this.enterZone(zone, ns.map(dataOf));
    }
    const roots = this.hints.filter((r) => r.type === "NS").map(dataOf);
    this.enterZone(".", roots);
  }

  private enterZone(zone: string, servers: string[]): void {
    this.zone = zone;
    this.tried.clear();
    const shuffled = [...servers];
    const random = this.options.random ?? Math.random;
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    // Root servers' addresses come from the hints; every other address from the cache.
    const hinted = (name: string) => this.hints.find((h) => h.type === "A" && nameKey(h.name) === nameKey(name));
    this.candidates = shuffled.map((name) => {
      const hint = zone === "." ? hinted(name) : undefined;
      return { name, address: hint && dataOf(hint) };
    });
  }

  private address(c: Candidate): string | undefined {
    if (c.address) return c.address;
    const a = this.cache.data(c.name, "A");
    return a && dataOf(a[0]);
  }

  private cachedSignatures(name: string, type: string): DnsRecord[] {
    if (!this.options.dnssec) return [];
    const sigs = this.cache.peek(name, signatureKey(type));
    return sigs.kind === "records" ? sigs.records : [];
  }

  private cachedProof(name: string, type: string): DnsRecord[] {
    if (!this.options.dnssec) return [];
    const proof = this.cache.peek(name, proofKey(type));
    return proof.kind === "records" ? proof.records : [];
  }

  private finish(rcode: Rcode, answers: DnsRecord[] = [], authorities: DnsRecord[] = []): Extract<Step, { kind: "done" }> {
    const signed = this.options.dnssec && answers.length ? [...answers, ...this.signatures] : answers;
    this.result = { kind: "done", rcode, answers: signed, authorities };
    return this.result;
  }
}
