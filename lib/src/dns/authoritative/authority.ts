import { DnsMessage, DnsRecord, FLAGS, RCODES, Rcode, nameKey, isInZone } from "../wire/codec";
import { MAX_CNAME_CHAIN } from "../wire/limits";
import { Zone } from "../wire/zone";
import { AnswerProof, addDnssec, isSigned, wantsDnssec } from "../dnssec/serve";
import { sourceOfSynthesis, synthesize } from "../wire/wildcard";

/** How the authority answered, for counting and for teaching. */
export type AnswerKind = "answer" | "cname" | "referral" | "nodata" | "nxdomain" | "refused" | "formerr" | "notimp";

/** A response plus what kind of response it is. */
export interface AuthorityResult {
  response: DnsMessage;
  kind: AnswerKind;
  /** The answer holds an RRset of this many records in rotated (round-robin) order: the next query gets the next order. */
  rotated?: number;
  /** What a signed zone must prove about this answer: see {@link AnswerProof}. */
  proof?: AnswerProof;
}

const ADDRESS_TYPES = ["A", "AAAA"];

/**
 * The authoritative server's logic, with no sockets (sans-I/O): a query in, a
 * response out. It follows RFC 1034 §4.3.2: find the zone, then
 *  - below a zone cut: a referral (NS in authority, glue in additional, AA off);
 *  - the name has the type: the answer (AA on), several records rotated round-robin;
 *  - the name has a CNAME: the CNAME, followed inside the zone;
 *  - the name exists without that type: NODATA (NOERROR, SOA in authority);
 *  - no such name: NXDOMAIN (SOA in authority, for negative caching, RFC 2308);
 *  - no zone of ours: REFUSED.
 *
 * @example
 * const auth = new Authority([parseZone(text, { origin: "umass.edu." })]);
 * auth.answer(query).response  // flags AA, answers [gaia.cs.umass.edu A 127.0.1.12]
 */
export class Authority {
  private readonly zones: Zone[];
  private readonly rotation = new Map<string, number>();

  constructor(zones: Zone[]) {
    // Most specific first, so cs.umass.edu wins over umass.edu when both are served.
    this.zones = [...zones].sort((a, b) => b.origin.length - a.origin.length);
  }

  /** The zones served, most specific first. */
  get served(): readonly Zone[] {
    return this.zones;
  }

  /** The zone that holds `name`, if any. */
  zoneFor(name: string): Zone | undefined {
    return this.zones.find((z) => isInZone(name, z.origin));
  }

  /**
   * The zone that answers a question: the one that holds its name, except that
   * a DS at a zone's apex lives in the parent, so a server that serves the
   * parent too answers it from there (RFC 4035 §3.1.4.1).
   */
  private zoneAnswering(q: { name: string; type: string }): Zone | undefined {
    const holding = this.zones.filter((z) => isInZone(q.name, z.origin));
    const atApex = holding.length > 1 && nameKey(holding[0].origin) === nameKey(q.name);
    return q.type === "DS" && atApex ? holding[1] : holding[0];
  }

  /** Answers one decoded query; a signed zone adds its signatures and proofs when the query sets DO. */
  answer(query: DnsMessage): AuthorityResult {
    const result = this.plainAnswer(query);
    if (!wantsDnssec(query)) return result;
    const q = query.questions?.[0];
    const zone = q && this.zoneAnswering(q);
    if (!zone || !isSigned(zone) || !["answer", "cname", "referral", "nodata", "nxdomain"].includes(result.kind)) return result;
    return { ...result, response: addDnssec(zone, result.response, result.kind, result.proof ?? { synthesized: [] }) };
  }

  private plainAnswer(query: DnsMessage): AuthorityResult {
    const reply = (kind: AnswerKind, rcode: Rcode, parts: Partial<DnsMessage> = {}, aa = false): AuthorityResult => ({
      kind,
      response: {
        id: query.id,
        type: "response",
        // QR set, RD echoed (RFC 1035 §4.1.1); RA stays 0: no recursion here. dns-packet encodes
        // the rcode only from the low 4 flag bits, not from the `rcode` field, so it goes in both.
        flags: FLAGS.QR | ((query.flags ?? 0) & FLAGS.RD) | (aa ? FLAGS.AA : 0) | RCODES[rcode],
        rcode,
        questions: query.questions ?? [],
        answers: [],
        authorities: [],
        additionals: [],
        ...parts,
      } as DnsMessage,
    });
    const opcode = (query as { opcode?: string }).opcode ?? "QUERY";
    if (opcode !== "QUERY") return reply("notimp", "NOTIMP");
    if (query.questions?.length !== 1) return reply("formerr", "FORMERR");
    const q = query.questions[0];
    const zone = this.zoneAnswering(q);
    if (!zone) return reply("refused", "REFUSED");

    const answers: DnsRecord[] = [];
    const visited: string[] = []; // a CNAME chain is a few names long at most
    const proof: AnswerProof = { synthesized: [] };
    let name = q.name;
    for (let link = 0; link <= MAX_CNAME_CHAIN && !visited.includes(nameKey(name)); link++) {
      visited.push(nameKey(name));
      const cut = this.delegation(zone, name);
      // RFC 4035 §3.1.4.1: the DS of a delegation lives on the parent's side of the cut: answer it here.
      if (cut && q.type === "DS" && nameKey(cut[0].name) === nameKey(name)) {
        const ds = zone.at(name).filter((r) => r.type === "DS");
        if (ds.length) return reply("answer", "NOERROR", { answers: ds }, true);
        return { ...reply("nodata", "NOERROR", { authorities: [this.negativeSoa(zone)] }, true), proof: { synthesized: [], denied: { kind: "nodata", name } } };
      }
      if (cut) {
        if (answers.length) return { ...reply("cname", "NOERROR", { answers }, true), proof };
        return reply("referral", "NOERROR", { authorities: cut, additionals: this.glue(zone, cut) });
      }
      // RFC 4592 §3.3.1: a name that does not exist is answered from the wildcard below its closest encloser, if there is one.
      const source = sourceOfSynthesis(zone, name);
      const here = source ? synthesize(zone.at(source), name) : zone.at(name);
      if (source) proof.synthesized.push({ name, source });
      // RFC 8482 §4.1: ANY gets one RRset of the name, not all of them: ANY made servers amplifiers.
      const type = (q.type as string) === "ANY" ? here.find((r) => r.type !== "RRSIG" && r.type !== "NSEC")?.type : q.type;
      const matching = here.filter((r) => r.type === type);
      if (matching.length) {
        answers.push(...this.rotate(name, q.type, matching));
        const result = reply(answers.length > matching.length ? "cname" : "answer", "NOERROR", { answers, additionals: this.additional(zone, matching) }, true);
        return { ...result, rotated: matching.length > 1 ? matching.length : undefined, proof };
      }
      const cname = here.find((r) => r.type === "CNAME");
      if (cname) {
        answers.push(cname);
        const target = (cname as { data: string }).data;
        if (!isInZone(target, zone.origin)) return { ...reply("cname", "NOERROR", { answers }, true), proof }; // the resolver goes on from here
        name = target;
        continue;
      }
      if (source) proof.synthesized.pop(); // no record came from it: the wildcard NODATA's proof says why
      const negative = { answers, authorities: [this.negativeSoa(zone)] };
      // RFC 4592 §2.2.1: a wildcard without the type asked is a NODATA, as a name that exists would be.
      if (zone.exists(name) || source) return { ...reply(answers.length ? "cname" : "nodata", "NOERROR", negative, true), proof: { ...proof, denied: { kind: "nodata", name, source } } };
      return { ...reply(answers.length ? "cname" : "nxdomain", "NXDOMAIN", negative, true), proof: { ...proof, denied: { kind: "nxdomain", name } } };
    }
    // A CNAME loop (a name seen twice) or a chain over MAX_CNAME_CHAIN: say what we have; the resolver gives up.
    return { ...reply("cname", "NOERROR", { answers }, true), proof };
  }

  /** NS records of the closest zone cut between the apex and `name`, if `name` is delegated away. */
  private delegation(zone: Zone, name: string): DnsRecord[] | undefined {
    const n = nameKey(name);
    // Where each name from just below the apex down to `name` itself starts in `n`, highest first: the highest cut
    // wins (RFC 1034 §4.3.2 step 3b). Walked by label boundaries, as substrings of `n`.
    const below = zone.origin === "" ? n.length : n.length - zone.origin.length - 1;
    const starts: number[] = [];
    for (let at = 0; at < below; at = n.indexOf(".", at) + 1 || n.length) starts.push(at);
    for (let i = starts.length - 1; i >= 0; i--) {
      const here = zone.at(n.slice(starts[i]));
      if (here.some((r) => r.type === "NS")) return here.filter((r) => r.type === "NS");
    }
    return undefined;
  }

  /** Glue: addresses of the name servers of a referral, when this zone has them. */
  private glue(zone: Zone, ns: DnsRecord[]): DnsRecord[] {
    return ns.flatMap((r) => zone.at((r as { data: string }).data).filter((g) => ADDRESS_TYPES.includes(g.type)));
  }

  /** Additional-section processing (RFC 1035 §3.3.9, §3.3.11): addresses of MX exchanges and NS hosts. */
  private additional(zone: Zone, answers: DnsRecord[]): DnsRecord[] {
    const targets = answers.flatMap((r) =>
      r.type === "MX" ? [(r as { data: { exchange: string } }).data.exchange] : r.type === "NS" ? [(r as { data: string }).data] : [],
    );
    return targets.flatMap((t) => (isInZone(t, zone.origin) ? zone.at(t).filter((g) => ADDRESS_TYPES.includes(g.type)) : []));
  }

  /** The SOA for a negative answer, its TTL capped by the SOA minimum (RFC 2308 §3). */
  private negativeSoa(zone: Zone): DnsRecord {
    const soa = zone.soa as DnsRecord & { ttl: number; data: { minimum: number } };
    return { ...soa, ttl: Math.min(soa.ttl, soa.data.minimum) } as DnsRecord;
  }

  /** Round-robin load distribution: each query gets the RRset rotated by one more place. */
  private rotate(name: string, type: string, records: DnsRecord[]): DnsRecord[] {
    if (records.length < 2) return records;
    const key = `${nameKey(name)} ${type}`;
    const n = this.rotation.get(key) ?? 0;
    this.rotation.set(key, n + 1);
    const k = n % records.length;
    return [...records.slice(k), ...records.slice(0, k)];
  }
}

