import { DnsMessage, DnsRecord, FLAGS } from "./codec";
import { Nsec3, base32hex, parseNsec3param, saltText } from "./nsec3-rdata";

/** The record types zone files and the lessons' servers handle (DNSSEC's keys among them). */
export const RECORD_TYPES = ["A", "AAAA", "NS", "CNAME", "MX", "SOA", "TXT", "PTR", "DNSKEY", "DS", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "SRV", "CAA"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** The textbook's view of a resource record: (Name, Value, Type, TTL). */
export interface RRTuple {
  name: string;
  value: string;
  type: string;
  ttl: number;
}

/** An absolute name with its trailing dot, as dig and zone files print it. */
export function fqdn(name: string): string {
  return name === "." || name === "" ? "." : `${name.replace(/\.$/, "")}.`;
}

/** The record's data in master-file syntax: `10 mail.umass.edu.`, `"v=spf1 -all"`, … */
export function formatRdata(rr: DnsRecord): string {
  const d = (rr as { data: unknown }).data;
  switch (rr.type) {
    case "NS":
    case "CNAME":
    case "PTR":
      return fqdn(d as string);
    case "MX": {
      const mx = d as { preference: number; exchange: string };
      return `${mx.preference} ${fqdn(mx.exchange)}`;
    }
    case "SOA": {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return `${fqdn(s.mname)} ${fqdn(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case "TXT": {
      const parts = (Array.isArray(d) ? d : [d]) as Array<string | Uint8Array>;
      return parts.map((p) => JSON.stringify(typeof p === "string" ? p : Buffer.from(p).toString("latin1"))).join(" ");
    }
    case "DNSKEY": {
      const k = d as { flags: number; algorithm: number; key: Uint8Array };
      return `${k.flags} 3 ${k.algorithm} ${Buffer.from(k.key).toString("base64")}`;
    }
    case "RRSIG": {
      const g = d as { typeCovered: string; algorithm: number; labels: number; originalTTL: number; expiration: number; inception: number; keyTag: number; signersName: string; signature: Uint8Array };
      // RFC 4034 §3.2: times as YYYYMMDDHHmmSS in UTC.
      const time = (t: number) => new Date(t * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
      return `${g.typeCovered} ${g.algorithm} ${g.labels} ${g.originalTTL} ${time(g.expiration)} ${time(g.inception)} ${g.keyTag} ${fqdn(g.signersName)} ${Buffer.from(g.signature).toString("base64")}`;
    }
    case "NSEC": {
      const n = d as { nextDomain: string; rrtypes: string[] };
      return `${fqdn(n.nextDomain)} ${n.rrtypes.join(" ")}`;
    }
    case "NSEC3": {
      // RFC 5155 §3.3: algorithm, flags, iterations, salt in hex ("-" for none), the next hash in base32hex, types.
      const n = d as Nsec3;
      return `${n.algorithm} ${n.flags} ${n.iterations} ${saltText(n.salt)} ${base32hex(n.nextDomain).toUpperCase()} ${n.rrtypes.join(" ")}`.trimEnd();
    }
    case "NSEC3PARAM": {
      const p = parseNsec3param(Buffer.from(d as Uint8Array));
      return `${p.algorithm} ${p.flags} ${p.iterations} ${saltText(p.salt)}`;
    }
    case "SRV": {
      // RFC 2782: priority, weight, port, target.
      const srv = d as { priority: number; weight: number; port: number; target: string };
      return `${srv.priority} ${srv.weight} ${srv.port} ${fqdn(srv.target)}`;
    }
    case "CAA": {
      // RFC 8659 §4.1.1: flags, tag, and the value as a quoted string (as dig and Knot print it).
      const caa = d as { flags?: number; tag: string; value: string };
      return `${caa.flags ?? 0} ${caa.tag} ${JSON.stringify(caa.value)}`;
    }
    case "DS": {
      const ds = d as { keyTag: number; algorithm: number; digestType: number; digest: Uint8Array };
      return `${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${Buffer.from(ds.digest).toString("hex").toUpperCase()}`;
    }
    default:
      return Buffer.isBuffer(d) ? `\\# ${d.length} ${d.toString("hex")}` : String(d);
  }
}

/** The record as the textbook's 4-tuple. */
export function rrTuple(rr: DnsRecord): RRTuple {
  return { name: fqdn(rr.name), value: formatRdata(rr), type: rr.type, ttl: (rr as { ttl?: number }).ttl ?? 0 };
}

/** One line in master-file (and dig) syntax: `gaia.cs.umass.edu. 3600 IN A 127.0.1.12`. */
export function formatRecord(rr: DnsRecord): string {
  const t = rrTuple(rr);
  return `${t.name.padEnd(24)} ${String(t.ttl).padStart(6)}  IN  ${t.type.padEnd(5)} ${t.value}`;
}

/**
 * A one-line summary of a message for transcripts and diagrams:
 * `query gaia.cs.umass.edu A` or `NOERROR aa: gaia.cs.umass.edu A 127.0.1.12`.
 */
export function summarizeMessage(m: DnsMessage): string {
  const q = m.questions?.[0];
  if (m.type !== "response") return `query ${q ? `${q.name} ${q.type}` : "(no question)"}`;
  const flags = ((m.flags ?? 0) & FLAGS.AA ? " aa" : "") + ((m.flags ?? 0) & FLAGS.TC ? " tc" : "");
  const rcode = (m as { rcode?: string }).rcode ?? "NOERROR";
  const first = (list: DnsRecord[] | undefined, what: string) =>
    list?.length ? `${what}${list[0].name} ${list[0].type} ${formatRdata(list[0])}${list.length > 1 ? ` (+${list.length - 1})` : ""}` : "";
  const body = first(m.answers, "") || first(m.authorities?.filter((r) => r.type === "NS"), "referral to ") || (q ? `${q.name} ${q.type}` : "");
  return `${rcode}${flags}: ${body}`;
}

/** The flags of a message as dig names them: `qr aa rd ra`. */
export function flagNames(m: DnsMessage): string[] {
  const f = m.flags ?? 0;
  // dns-packet's decoder moves QR out of `flags` into `type`.
  const qr = m.type === "response" || f & FLAGS.QR ? ["qr"] : [];
  return [...qr, ...(["AA", "TC", "RD", "RA", "AD", "CD"] as const).filter((k) => f & FLAGS[k]).map((k) => k.toLowerCase())];
}

/**
 * A message laid out the way dig prints it: header, flags, and each section,
 * so a lesson's output can be set beside the real tool's.
 */
export function formatMessage(m: DnsMessage): string {
  const sections: Array<[string, DnsRecord[]]> = [
    ["ANSWER", m.answers ?? []],
    ["AUTHORITY", m.authorities ?? []],
    ["ADDITIONAL", (m.additionals ?? []).filter((r) => r.type !== "OPT")],
  ];
  const lines = [
    `;; ->>HEADER<<- opcode: QUERY, status: ${(m as { rcode?: string }).rcode ?? "NOERROR"}, id: ${m.id}`,
    `;; flags: ${flagNames(m).join(" ")}; QUERY: ${m.questions?.length ?? 0}, ${sections.map(([n, l]) => `${n}: ${l.length}`).join(", ")}`,
    "",
    ";; QUESTION SECTION:",
    ...(m.questions ?? []).map((q) => `;${fqdn(q.name).padEnd(23)}         IN  ${q.type}`),
  ];
  for (const [name, list] of sections) if (list.length) lines.push("", `;; ${name} SECTION:`, ...list.map(formatRecord));
  return lines.join("\n");
}
