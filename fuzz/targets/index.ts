/**
 * The fuzzing campaign's targets: each parser (or session) of the lib, the
 * structure-aware inputs that reach deep into it, and the oracle an input must
 * satisfy. A target fails an input only when the code under test breaks its own
 * contract: a decoder may refuse bytes only with an AppLayerError of one of its
 * stable codes; a server session never throws and always answers in its
 * protocol's syntax. `npm run fuzz` (fuzz/campaign.ts) runs them a million
 * times each; test/fuzz.test.ts replays every kept input in the suite.
 * One file per target here; this index lists them, in the campaign's order.
 */
import { Target } from "./contract";
import { dnsMessage } from "./dns-message";
import { dnssecRecords } from "./dnssec-records";
import { zoneFile } from "./zone-file";
import { smtpSession } from "./smtp-session";
import { mime } from "./mime";
import { imap } from "./imap";
import { pop3 } from "./pop3";
import { bencode } from "./bencode";
import { metainfo } from "./metainfo";
import { peerWire } from "./peer-wire";
import { tracking } from "./tracker";
import { notebook } from "./notebook";

export { CORPUS, Defect, ROOT, Target, corpusOf } from "./contract";

export const TARGETS: Target[] = [dnsMessage, dnssecRecords, zoneFile, smtpSession, mime, imap, pop3, bencode, metainfo, peerWire, tracking, notebook];

export function targetNamed(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target "${name}"; the targets are ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}
