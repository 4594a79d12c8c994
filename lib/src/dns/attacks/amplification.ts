import { Authority } from "../authoritative/authority";
import { DO_BIT, DnsMessage, FLAGS, encodeMessage } from "../wire/codec";
import { encodeReply } from "../transport/endpoint";

/**
 * How much a DNS server amplifies a spoofed query: the bytes of its UDP reply
 * over the bytes of the query, both really encoded. An attacker sends the small
 * query with the victim's address as its source; the server sends the victim the
 * big reply. Pure: the authority answers in memory.
 */
export interface Amplification {
  question: string;
  queryBytes: number;
  replyBytes: number;
  factor: number;
}

/** A query as a typical client sends it: EDNS with a 4096-byte buffer, DO if asked (as in a DNSSEC-aware flood), RD for a resolver. */
export function floodQuery(name: string, type: string, options: { dnssec?: boolean; recursionDesired?: boolean } = {}): DnsMessage {
  return {
    id: 0x1234, type: "query", flags: options.recursionDesired ? FLAGS.RD : 0,
    questions: [{ name, type: type as never }],
    additionals: [{ name: ".", type: "OPT", udpPayloadSize: 4096, flags: options.dnssec ? DO_BIT : 0, options: [] } as never],
  } as DnsMessage;
}

/**
 * The amplification of one query against an authority, over UDP (the reply the
 * victim would receive, truncated if it is over the query's buffer).
 *
 * @example amplificationOf(authority, floodQuery("example.test", "DNSKEY", { dnssec: true })).factor
 */
export function amplificationOf(authority: Authority, query: DnsMessage): Amplification {
  const queryBytes = encodeMessage(query).length;
  const reply = encodeReply(query, authority.answer(query).response, "udp").bytes.length;
  const q = query.questions![0];
  return { question: `${q.name} ${q.type}`, queryBytes, replyBytes: reply, factor: Math.round((reply / queryBytes) * 10) / 10 };
}
