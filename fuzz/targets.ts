/**
 * The fuzzing campaign's targets: each parser (or session) of the lib, the
 * structure-aware inputs that reach deep into it, and the oracle an input must
 * satisfy. A target fails an input only when the code under test breaks its own
 * contract: a decoder may refuse bytes only with an AppLayerError of one of its
 * stable codes; a server session never throws and always answers in its
 * protocol's syntax. `npm run fuzz` (fuzz/campaign.ts) runs them a million
 * times each; test/fuzz.test.ts replays every kept input in the suite.
 */
import fc from "fast-check";
import * as dnsPacket from "dns-packet";
import { mkdtempSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { isAppLayerError } from "../lib/src/errors";
import { decodeMessage } from "../lib/src/dns/codec";
import { compressMessage } from "../lib/src/dns/compress";
import { decodeUpdate } from "../lib/src/dns/update";
import { Authority } from "../lib/src/dns/authority";
import { respond } from "../lib/src/dns/server";
import { PacketCache } from "../lib/src/dns/packet-cache";
import { intake } from "../lib/src/dns/transport";
import { parseZone } from "../lib/src/dns/zone";
import { malformedDnssec } from "../lib/src/dns/dnssec/wellformed";
import { parseNsec3param } from "../lib/src/dns/dnssec/nsec3";
import { SmtpSession } from "../lib/src/smtp/session";
import { ReplyParser, formatReply } from "../lib/src/smtp/reply";
import { parseMessage, mimeOutline } from "../lib/src/message/message";
import { decodeWords, parseAddressList, parseHeaderBlock, parseParameterized } from "../lib/src/message/header";
import { ImapFramer, parseImapDate, parseSequenceSet, tokenize } from "../lib/src/imap/syntax";
import { ImapSession } from "../lib/src/imap/session";
import { Pop3Session } from "../lib/src/pop3/session";
import { Maildir, MailAccess } from "../lib/src/mailstore/maildir";
import { LineSplitter } from "../lib/src/net/framing";
import { decodeBencode, encodeBencode } from "../lib/src/bt/bencode";
import { parseTorrent } from "../lib/src/bt/metainfo";
import { WireDecoder, WireMessage, bitfieldToWords, decodeHandshake, encodeWireMessage, encodeHandshake } from "../lib/src/bt/wire";
import { TrackerState, parseAnnounceResponse, percentEncode } from "../lib/src/bt/tracker";
import { parseNotebook, sourceOf } from "../lib/src/course/notebook";
import { gradeIdOf, isLocked } from "../lib/src/course/format";
import { lintNotebook } from "../lib/src/course/lint";
import { releaseNotebook } from "../lib/src/course/release";
import { sanitizeSubmission } from "../lib/src/course/sanitize";
import { inputsFrom } from "./mutate";

export const ROOT = join(__dirname, "..");
/** Where each target keeps its seed corpus and the inputs of fixed crashes. */
export const CORPUS = join(ROOT, "test", "fixtures", "fuzz");

export interface Target {
  name: string;
  /** What it drives, for the report. */
  what: string;
  /** The lib files whose branch coverage the report gives (relative to lib/src). */
  files: string[];
  /** Inputs, built from the seed corpus. */
  inputs(seeds: Buffer[]): fc.Arbitrary<Buffer>;
  /** Throws (or rejects) when the input breaks the code's contract. */
  check(input: Buffer): void | Promise<void>;
}

/** The kept inputs of a target: seeds (seed-*) and fixed crashes and hangs (crash-*, hang-*). */
export function corpusOf(target: string): Array<{ file: string; bytes: Buffer }> {
  const dir = join(CORPUS, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((file) => ({ file, bytes: readFileSync(join(dir, file)) }));
}

/** A contract broken: what the campaign saves and the suite replays. */
export class Defect extends Error {}

/** Runs f; anything it throws must be an AppLayerError with one of `codes` (or an error of a class named there). */
function refusesCleanly<T>(f: () => T, codes: string[]): T | undefined {
  try {
    return f();
  } catch (e) {
    if (isAppLayerError(e) ? codes.includes(e.code) : e instanceof Error && codes.includes(e.constructor.name)) return undefined;
    throw new Defect(`threw ${isAppLayerError(e) ? `code ${e.code}` : (e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Defect(what);
}

/** Splits `input` into chunks at offsets taken from its own bytes, so a stream is fed as TCP might cut it. */
function chunks(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let k = 0; at < input.length; k++) {
    const size = 1 + ((input[k % input.length] * 7 + k) % 97);
    out.push(input.subarray(at, at + size));
    at += size;
  }
  return out;
}

const text = (lines: fc.Arbitrary<string[]>, eol: fc.Arbitrary<string> = fc.constantFrom("\r\n", "\r\n", "\r\n", "\n")) =>
  fc.tuple(lines, eol).map(([ls, e]) => Buffer.from(ls.map((l) => l + e).join(""), "latin1"));
const label = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const dnsName = fc.oneof(fc.array(label, { minLength: 0, maxLength: 5 }).map((ls) => ls.join(".")), fc.constantFrom("umass.edu", "cs.umass.edu", "gaia.cs.umass.edu", "nosuch.umass.edu", "*.umass.edu"));
const word = fc.oneof(fc.stringMatching(/^[\x21-\x7e]{0,12}$/), fc.string({ maxLength: 8 }), fc.constantFrom("", " ", "<>", "()", '"', "{", "}", "\\", "=?", "?="));

// ---------------------------------------------------------------- DNS

const recordArb: fc.Arbitrary<dnsPacket.Answer> = fc.oneof(
  fc.record({ type: fc.constant("A" as const), name: dnsName, ttl: fc.nat(), data: fc.ipV4() }),
  fc.record({ type: fc.constant("AAAA" as const), name: dnsName, ttl: fc.nat(), data: fc.constantFrom("::1", "2001:db8::1") }),
  fc.record({ type: fc.constantFrom("NS" as const, "CNAME" as const, "PTR" as const), name: dnsName, ttl: fc.nat(), data: dnsName }),
  fc.record({ type: fc.constant("MX" as const), name: dnsName, ttl: fc.nat(), data: fc.record({ preference: fc.nat(65535), exchange: dnsName }) }),
  fc.record({ type: fc.constant("TXT" as const), name: dnsName, ttl: fc.nat(), data: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant("SOA" as const), name: dnsName, ttl: fc.nat(), data: fc.record({ mname: dnsName, rname: dnsName, serial: fc.nat(), refresh: fc.nat(), retry: fc.nat(), expire: fc.nat(), minimum: fc.nat() }) }),
) as fc.Arbitrary<dnsPacket.Answer>;
const optArb = fc.record({ name: fc.constant("."), type: fc.constant("OPT"), udpPayloadSize: fc.oneof(fc.constant(1232), fc.nat(65535)), flags: fc.constantFrom(0, 0x8000),
  options: fc.array(fc.oneof(fc.record({ code: fc.constant(10), data: fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)) }), fc.record({ code: fc.nat(65535), data: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) })), { maxLength: 2 }) }) as unknown as fc.Arbitrary<dnsPacket.Answer>;
const messageArb = (records: fc.Arbitrary<dnsPacket.Answer>) =>
  fc.record({
    id: fc.nat(65535),
    type: fc.constant("query" as const),
    flags: fc.oneof(fc.constantFrom(0, 0x0100, 0x0110, 0x2800, 0x7800), fc.nat(0x7fff)),
    questions: fc.array(fc.record({ name: dnsName, type: fc.constantFrom("A", "AAAA", "MX", "NS", "SOA", "TXT", "ANY", "AXFR", "DNSKEY", "DS", "NSEC3PARAM", "CNAME") as fc.Arbitrary<dnsPacket.RecordType>, class: fc.constantFrom("IN", "CH", "ANY") as fc.Arbitrary<dnsPacket.RecordClass> }), { minLength: 0, maxLength: 2 }),
    answers: fc.array(records, { maxLength: 3 }),
    authorities: fc.array(records, { maxLength: 2 }),
    additionals: fc.oneof(fc.constant([]), fc.tuple(optArb).map((o) => [...o])),
  }).map((m) => {
    try {
      return dnsPacket.encode(m as dnsPacket.Packet);
    } catch {
      return Buffer.alloc(12); // a combination dns-packet will not encode: a bare header
    }
  });

let authority: Authority | undefined;
/** Shared by all inputs, as a server's is: a repeated question is answered from it. */
const packetCache = new PacketCache(10_000);
const umass = () => (authority ??= new Authority([parseZone(readFileSync(join(ROOT, "test", "fixtures", "dns", "umass.edu.zone"), "utf8"), { origin: "umass.edu." })]));

const dnsMessage: Target = {
  name: "dns-message",
  what: "DNS message decoding (RFC 1035 §4), name compression, and the authoritative server's edge: decode, answer, encode, truncate",
  files: ["dns/codec.ts", "dns/compress.ts", "dns/transport.ts", "dns/server.ts", "dns/authority.ts", "dns/packet-cache.ts", "dns/update.ts", "dns/cookie.ts"],
  inputs: (seeds) => inputsFrom(seeds, messageArb(recordArb)),
  check(input) {
    const decoded = refusesCleanly(() => decodeMessage(input), ["DNS_FORMAT"]);
    refusesCleanly(() => decodeUpdate(input), ["DNS_FORMAT"]);
    // Compression keeps every name: the compressed message decodes to what the original did.
    const compressed = refusesCleanly(() => compressMessage(input), ["DNS_FORMAT"]);
    if (decoded && compressed) expect(JSON.stringify(decodeMessage(compressed).message) === JSON.stringify(decoded.message), "the compressed message decodes differently");
    for (const transport of ["udp", "tcp"] as const) {
      const out = refusesCleanly(() => respond(umass(), input, transport, undefined, "127.0.0.1", { allowUpdate: false, cache: packetCache }), []);
      if (!out?.reply) continue;
      expect(out.reply.length >= 12, `a ${out.reply.length}-byte reply is shorter than a header`);
      expect(out.reply[0] === input[0] && out.reply[1] === input[1], "the reply's id is not the query's");
      expect((out.reply[2] & 0x80) !== 0, "the reply does not have QR set");
      if (transport === "udp") expect(out.reply.length <= 65535, "a UDP reply over 64 KiB");
    }
  },
};

const dnssecRdata = fc.oneof(
  fc.record({ type: fc.constant("DNSKEY"), name: dnsName, ttl: fc.nat(), data: fc.record({ flags: fc.constantFrom(256, 257, 0, 1), algorithm: fc.constantFrom(8, 13, 15, 5, 0), key: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }) }),
  fc.record({ type: fc.constant("RRSIG"), name: dnsName, ttl: fc.nat(), data: fc.record({ typeCovered: fc.constantFrom("A", "SOA", "DNSKEY"), algorithm: fc.constantFrom(8, 13, 15), labels: fc.nat(255), originalTTL: fc.nat(), expiration: fc.nat(), inception: fc.nat(), keyTag: fc.nat(65535), signersName: dnsName, signature: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }) }),
  fc.record({ type: fc.constant("DS"), name: dnsName, ttl: fc.nat(), data: fc.record({ keyTag: fc.nat(65535), algorithm: fc.constantFrom(8, 13, 15), digestType: fc.constantFrom(1, 2, 4, 9), digest: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }) }),
  fc.record({ type: fc.constant("NSEC"), name: dnsName, ttl: fc.nat(), data: fc.record({ nextDomain: dnsName, rrtypes: fc.array(fc.constantFrom("A", "NS", "SOA", "MX", "TXT", "AAAA", "RRSIG", "NSEC", "DNSKEY"), { maxLength: 6 }) }) }),
  fc.record({ type: fc.constant("NSEC3"), name: dnsName, ttl: fc.nat(), data: fc.record({ algorithm: fc.constantFrom(1, 2), flags: fc.nat(255), iterations: fc.oneof(fc.nat(200), fc.nat(65535)), salt: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)), nextDomain: fc.uint8Array({ minLength: 0, maxLength: 32 }).map((b) => Buffer.from(b)), rrtypes: fc.array(fc.constantFrom("A", "NS", "SOA", "RRSIG", "DNSKEY", "NSEC3PARAM"), { maxLength: 5 }) }) }),
  fc.record({ type: fc.constant("NSEC3PARAM" as never), name: dnsName, ttl: fc.nat(), data: fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => Buffer.from(b)) }),
) as unknown as fc.Arbitrary<dnsPacket.Answer>;

const dnssecRecords: Target = {
  name: "dnssec-records",
  what: "DNSSEC records in messages (RFC 4034, RFC 5155): DNSKEY, RRSIG, DS, NSEC, NSEC3, NSEC3PARAM, and the FORMERR checks",
  files: ["dns/dnssec/wellformed.ts", "dns/dnssec/nsec3.ts", "dns/transport.ts"],
  inputs: (seeds) => inputsFrom(seeds, messageArb(dnssecRdata)),
  check(input) {
    const got = refusesCleanly(() => intake(input), []);
    if (got && "query" in got) {
      for (const r of [...(got.query.answers ?? []), ...(got.query.authorities ?? []), ...(got.query.additionals ?? [])]) {
        refusesCleanly(() => malformedDnssec(r), []);
        if ((r.type as string) === "NSEC3PARAM" && Buffer.isBuffer((r as { data?: unknown }).data)) refusesCleanly(() => parseNsec3param((r as { data: Buffer }).data), ["DNS_FORMAT", "DNSSEC"]);
      }
    }
  },
};

const zoneLine = fc.oneof(
  fc.tuple(fc.constantFrom("$ORIGIN", "$TTL", "$INCLUDE", "$GENERATE"), word).map(([d, w]) => `${d} ${w}`),
  fc.tuple(fc.oneof(dnsName, fc.constantFrom("@", "", " ", "*")), fc.oneof(fc.constant(""), fc.nat(100000).map(String), fc.constantFrom("1h", "2d", "1w30m", "-1")), fc.constantFrom("", "IN", "CH"),
    fc.constantFrom("A", "AAAA", "NS", "CNAME", "MX", "TXT", "SOA", "PTR", "SRV", "CAA", "DS", "DNSKEY", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "TYPE65534", "BOGUS"),
    fc.array(fc.oneof(word, dnsName, fc.nat(70000).map(String), fc.constantFrom("(", ")", ";", '"quoted text"', '"unterminated', "\\065", "\\.")), { maxLength: 8 }))
    .map(([n, t, c, ty, rd]) => [n, t, c, ty, ...rd].join(" ")),
  fc.constantFrom("; a comment", "(", ")", "\t\tIN A 10.0.0.1", '@ TXT "a" "b" ( "c" )'),
);

const zoneFile: Target = {
  name: "zone-file",
  what: "master files (RFC 1035 §5): directives, TTLs, parentheses, quoting, every record type the lessons use",
  files: ["dns/zone.ts", "dns/records.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(fc.array(zoneLine, { minLength: 1, maxLength: 12 }), fc.constant("\n"))),
  check(input) {
    refusesCleanly(() => parseZone(input.toString("utf8"), { origin: "umass.edu." }), ["ZONE_SYNTAX", "DNS_NAME"]);
  },
};

// ---------------------------------------------------------------- mail

const mailbox = fc.oneof(fc.constantFrom("bob@umass.edu", "alice@cs.umass.edu", "", "x@y", "postmaster"), fc.tuple(word, dnsName).map(([u, d]) => `${u}@${d}`));
const smtpLine = fc.oneof(
  fc.tuple(fc.constantFrom("EHLO", "HELO", "ehlo"), dnsName).map(([c, d]) => `${c} ${d}`),
  mailbox.map((m) => `MAIL FROM:<${m}>`),
  fc.tuple(mailbox, fc.constantFrom("", " BODY=8BITMIME", " SIZE=100", " SIZE=99999999", " BOGUS=1")).map(([m, p]) => `MAIL FROM:<${m}>${p}`),
  mailbox.map((m) => `RCPT TO:<${m}>`),
  fc.constantFrom("DATA", "RSET", "NOOP", "QUIT", "VRFY bob", "EXPN list", "HELP", "STARTTLS", "AUTH PLAIN", "AUTH PLAIN AGJvYgBwdw==", "AUTH LOGIN", "*", "=", ".", "..", "MAIL", "RCPT TO:", "BDAT 10 LAST"),
  fc.tuple(word, word).map(([a, b]) => `${a} ${b}`),
  fc.string({ maxLength: 80 }),
);
const smtpStream = fc.array(smtpLine, { minLength: 1, maxLength: 16 });

const smtpSession: Target = {
  name: "smtp-session",
  what: "the SMTP server's session (RFC 5321): commands, the DATA phase to CRLF.CRLF, AUTH PLAIN, STARTTLS, limits",
  files: ["smtp/session.ts", "smtp/reply.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(smtpStream)),
  check(input) {
    const s = new SmtpSession({ hostname: "mail.umass.edu", localDomains: ["umass.edu"], isLocalUser: (a) => a.startsWith("bob@"), auth: true, tls: (input.length & 1) === 1, maxMessageSize: 4000, maxRecipients: 4, maxBadCommands: 6 });
    let closed = false;
    for (const chunk of chunks(input)) {
      let out = refusesCleanly(() => s.feed(chunk), [])!;
      for (;;) {
        for (const r of out.replies) {
          // Every reply, as the client reads it back line by line, has the code the session gave it.
          const parser = new ReplyParser();
          const lines = formatReply(r).split("\r\n").slice(0, -1);
          const read = lines.map((l) => refusesCleanly(() => parser.push(l), [])).at(-1);
          expect(read?.code === r.code && read.lines.length === r.lines.length, `reply ${r.code} read back as ${read?.code}`);
        }
        if (out.close) closed = true;
        if (out.deliver) out = s.delivered(out.deliver.message.length % 2 === 0);
        else if (out.authenticate) out = s.authenticated(out.authenticate.password === "pw");
        else if (out.startTls) out = s.tlsStarted();
        else break;
      }
      if (closed) break;
    }
  },
};

const header = fc.tuple(fc.constantFrom("From", "To", "Cc", "Subject", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", "X-Junk", "Date"),
  fc.oneof(word, fc.constantFrom('multipart/mixed; boundary="b1"', "multipart/alternative; boundary=b2", "text/plain; charset=utf-8", 'text/plain; charset="iso-8859-1"', "message/rfc822", "base64", "quoted-printable", "8bit",
    'attachment; filename="a.txt"', "attachment; filename*=UTF-8''%e2%82%ac.txt", "=?UTF-8?B?w6k=?=", "=?ISO-8859-1?Q?caf=E9?=", "Alice <alice@cs.umass.edu>, bob@umass.edu", '"Doe, J" <j@x>', "(comment) <a@b>")))
  .map(([n, v]) => `${n}: ${v}`);
const mimeBody = fc.array(fc.oneof(fc.constantFrom("--b1", "--b1--", "--b2", "--b2--", "", "hello", "=E9t=E9", "SGVsbG8=", "=", "=\r", "Content-Type: text/html", "Content-Type: multipart/mixed; boundary=b1"), fc.string({ maxLength: 60 })), { maxLength: 20 });

const mime: Target = {
  name: "mime",
  what: "RFC 5322 messages and MIME (RFC 2045–2047, 2231): headers, folding, encoded words, addresses, nested multiparts, transfer encodings",
  files: ["message/message.ts", "message/header.ts", "message/encoding.ts"],
  inputs: (seeds) => inputsFrom(seeds, fc.tuple(fc.array(header, { maxLength: 8 }), mimeBody).map(([h, b]) => Buffer.from([...h, "", ...b].join("\r\n"), "latin1"))),
  check(input) {
    const m = refusesCleanly(() => parseMessage(input), ["MIME_LIMIT"]);
    if (m) refusesCleanly(() => mimeOutline(m), []);
    const head = input.toString("latin1").split(/\r?\n\r?\n/)[0];
    for (const field of refusesCleanly(() => parseHeaderBlock(head), []) ?? []) {
      refusesCleanly(() => decodeWords(field.value), []);
      refusesCleanly(() => parseAddressList(field.value), []);
      refusesCleanly(() => parseParameterized(field.value), []);
    }
  },
};

/**
 * A maildir with three messages for bob. Every MAILDIR_SESSIONS sessions it starts
 * over in a fresh folder: APPENDs would otherwise grow it without end (slowing
 * every SELECT), and EXPUNGEs and DELEs empty it.
 */
const MAILDIR_SESSIONS = 300;
let access: MailAccess | undefined;
let sessions = 0;
async function mailAccess(): Promise<MailAccess> {
  if (!access || sessions++ % MAILDIR_SESSIONS === 0) {
    if (access) rmSync(access.mailboxes.root, { recursive: true, force: true });
    const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
    access = { hostname: "mail.umass.edu", mailboxes: new Maildir(mkdtempSync(join(base, "applayer-fuzz-"))), checkPassword: async (u, p) => u === "bob" && p === "bobpass" };
    for (const m of ["Subject: one\r\n\r\nfirst\r\n", "Subject: two\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart\r\n--b--\r\n", "Subject: three\r\n\r\n.dot\r\n"])
      await access.mailboxes.deliver("bob", Buffer.from(m));
  }
  return access;
}

const seqSet = fc.constantFrom("1", "1:*", "*", "2,1", "1:3", "0", "4294967296", "3:1", "1,,2", "");
const imapCommand = fc.oneof(
  fc.constantFrom("LOGIN bob bobpass", 'LOGIN "bob" {7+}\r\nbobpass', "SELECT INBOX", "EXAMINE INBOX", "SELECT nosuch", "CAPABILITY", "NOOP", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "LIST \"\" *", "LSUB \"\" %", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT)",
    "CREATE Work", "DELETE Work", "RENAME Work Play", "SUBSCRIBE INBOX", "IDLE", "DONE", "NAMESPACE", "ID NIL", "AUTHENTICATE PLAIN", "AUTHENTICATE PLAIN AGJvYgBib2JwYXNz", "APPEND INBOX {5}\r\nhello", "APPEND INBOX (\\Seen) {3+}\r\nabc", "LOGOUT"),
  fc.tuple(fc.constantFrom("FETCH", "UID FETCH"), seqSet, fc.constantFrom("FLAGS", "(FLAGS UID RFC822.SIZE)", "BODY[]", "BODY.PEEK[HEADER.FIELDS (Subject)]", "BODY[1]", "BODY[2.1.MIME]", "BODY[]<0.5>", "ENVELOPE", "BODYSTRUCTURE", "ALL", "FULL", "(BODY[TEXT]<10.>)", "BOGUS"))
    .map(([c, s, f]) => `${c} ${s} ${f}`),
  fc.tuple(fc.constantFrom("STORE", "UID STORE"), seqSet, fc.constantFrom("+FLAGS", "-FLAGS.SILENT", "FLAGS"), fc.constantFrom("(\\Seen)", "(\\Deleted)", "(\\Flagged $Junk)", "()", "\\Recent")).map((p) => p.join(" ")),
  fc.tuple(fc.constantFrom("SEARCH", "UID SEARCH"), fc.constantFrom("ALL", "UNSEEN", "FROM alice", "SUBJECT \"two\"", "SINCE 1-Jan-2020", "BEFORE 32-Foo-99", "OR SEEN DELETED", "NOT 1:2", "LARGER 10", "UID 1:*", "CHARSET UTF-8 TEXT x", "(")).map((p) => p.join(" ")),
  fc.tuple(fc.constantFrom("COPY", "MOVE", "UID MOVE"), seqSet, fc.constantFrom("INBOX", "Work", '"a b"')).map((p) => p.join(" ")),
  fc.tuple(word, word, word).map((p) => p.join(" ")),
);
const imapStream = fc.array(fc.tuple(fc.constantFrom("a1", "a2", "*", "+", "A.B", ""), imapCommand).map(([t, c]) => `${t} ${c}`), { minLength: 1, maxLength: 10 });

const imap: Target = {
  name: "imap",
  what: "IMAP4rev1 (RFC 3501): the framer (lines, literals, LITERAL+), the tokenizer, sequence sets, dates and the server session on a real maildir",
  files: ["imap/syntax.ts", "imap/session.ts", "imap/fetch.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(imapStream)),
  async check(input) {
    const session = new ImapSession(await mailAccess());
    const framer = new ImapFramer(1000, 4096, true); // as the server reads commands: CRLF only, no control bytes outside literals
    for (const chunk of chunks(input)) {
      for (const event of refusesCleanly(() => framer.push(chunk), []) ?? []) {
        if (event.kind === "line") {
          refusesCleanly(() => tokenize(event.text, event.literals), ["ImapSyntaxError"]);
          const seq = event.text.split(" ")[2] ?? "";
          refusesCleanly(() => parseSequenceSet(seq, 3)(2), ["ImapSyntaxError"]);
          refusesCleanly(() => parseImapDate(event.text), []);
        }
        let out;
        try {
          out = await session.handle(event);
        } catch (e) {
          throw new Defect(`the session threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
        }
        expect(out.text === "" || out.text.endsWith("\r\n"), `a reply not ending in CRLF: ${JSON.stringify(out.text.slice(-20))}`);
        if (out.close) return;
      }
    }
  },
};

const pop3Line = fc.oneof(fc.constantFrom("USER bob", "PASS bobpass", "PASS wrong", "APOP bob 0123", "STAT", "LIST", "LIST 1", "LIST 99", "RETR 1", "RETR 0", "TOP 2 1", "TOP 1 -1", "DELE 1", "DELE 1", "RSET", "UIDL", "UIDL 2", "NOOP", "CAPA", "QUIT", "list 1 2", ""),
  fc.tuple(fc.constantFrom("RETR", "DELE", "TOP", "LIST", "UIDL"), fc.oneof(fc.nat(5).map(String), word)).map((p) => p.join(" ")), fc.string({ maxLength: 30 }));

const pop3: Target = {
  name: "pop3",
  what: "POP3 (RFC 1939): the line splitter, authorization and transaction states on a real maildir",
  files: ["pop3/session.ts", "net/framing.ts"],
  inputs: (seeds) => inputsFrom(seeds, text(fc.array(pop3Line, { minLength: 1, maxLength: 12 }))),
  async check(input) {
    const session = new Pop3Session(await mailAccess());
    const splitter = new LineSplitter(255 * 4, true); // as the server reads commands: CRLF only
    try {
      for (const chunk of chunks(input)) {
        let lines: Buffer[];
        try {
          lines = splitter.push(chunk);
        } catch (e) {
          if (isAppLayerError(e)) return; // an over-long line: the server says -ERR and closes
          throw e;
        }
        for (const line of lines) {
          const out = await session.handle(line.toString("latin1"));
          expect(out.text === "" || /^(\+OK|-ERR)/.test(out.text), `a reply that is neither +OK nor -ERR: ${JSON.stringify(out.text.slice(0, 30))}`);
          if (out.close) return;
        }
      }
    } catch (e) {
      if (e instanceof Defect) throw e;
      throw new Defect(`the session threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
    } finally {
      session.release();
    }
  },
};

// ---------------------------------------------------------------- BitTorrent

type B = number | string | B[] | { [k: string]: B };
const bvalue: fc.Arbitrary<B> = fc.letrec<{ v: B }>((tie) => ({
  v: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.integer(), fc.string({ maxLength: 20 }), fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 4 })),
})).v;
const bencodeArb = bvalue.map((v) => encodeBencode(v));

const bencode: Target = {
  name: "bencode",
  what: "bencode (BEP 3): integers, strings, lists, dictionaries, nesting limits; decode then encode is stable",
  files: ["bt/bencode.ts"],
  inputs: (seeds) => inputsFrom(seeds, bencodeArb),
  check(input) {
    const v = refusesCleanly(() => decodeBencode(input), ["BENCODE"]);
    if (v === undefined) return;
    const again = encodeBencode(v);
    expect(encodeBencode(decodeBencode(again)).equals(again), "decode(encode(v)) does not encode to the same bytes");
  },
};

const infoDict = fc.record({
  name: fc.oneof(fc.constantFrom("lesson.bin", "../etc/passwd", "a/b", "", "."), fc.string({ maxLength: 12 })),
  "piece length": fc.oneof(fc.constantFrom(16384, 262144, 0, -1, 3), fc.integer()),
  pieces: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
  length: fc.oneof(fc.nat(1_000_000), fc.integer()),
  files: fc.option(fc.array(fc.record({ length: fc.integer({ min: -5, max: 100000 }), path: fc.array(fc.constantFrom("a", "..", "", "b.txt", "/"), { maxLength: 3 }) }), { maxLength: 3 }), { nil: undefined }),
  private: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
});
const torrentArb = fc.record({ announce: fc.constantFrom("http://127.0.0.1:6969/announce", "udp://x", ""), info: infoDict, comment: fc.option(fc.string(), { nil: undefined }) }).map((t) => encodeBencode(t as never));

const metainfo: Target = {
  name: "metainfo",
  what: "metainfo files (.torrent, BEP 3): the info dictionary, piece hashes, single and multi-file layouts, unsafe paths",
  files: ["bt/metainfo.ts", "bt/bencode.ts"],
  inputs: (seeds) => inputsFrom(seeds, torrentArb),
  check(input) {
    const t = refusesCleanly(() => parseTorrent(input), ["TORRENT", "BENCODE"]);
    if (!t) return;
    expect(t.infoHashBytes.length === 20, "an info-hash that is not 20 bytes");
    expect(t.pieces.length === Math.ceil(t.length / t.pieceLength), `${t.pieces.length} piece hashes for ${t.length} bytes in pieces of ${t.pieceLength}`);
    for (const f of t.files) expect(!f.path.some((c) => c === ".." || c.includes("/")), `a file path that climbs out of the download: ${f.path.join("/")}`);
  },
};

const wireMessage = fc.oneof(
  fc.constantFrom("choke", "unchoke", "interested", "not-interested", "keep-alive").map((type) => ({ type }) as never),
  fc.nat().map((piece) => ({ type: "have", piece }) as never),
  fc.uint8Array({ maxLength: 16 }).map((b) => ({ type: "bitfield", bits: Buffer.from(b) }) as never),
  fc.record({ type: fc.constantFrom("request", "cancel"), piece: fc.nat(), begin: fc.nat(), length: fc.nat(1 << 18) }) as fc.Arbitrary<never>,
  fc.record({ type: fc.constant("piece"), piece: fc.nat(), begin: fc.nat(), block: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }) as fc.Arbitrary<never>,
  fc.nat(65535).map((port) => ({ type: "port", port }) as never),
);
const wireArb = fc.tuple(fc.boolean(), fc.array(wireMessage, { maxLength: 10 })).map(([hs, ms]) =>
  Buffer.concat([...(hs ? [encodeHandshake(Buffer.alloc(20, 1), Buffer.alloc(20, 2))] : []), ...ms.map((m) => encodeWireMessage(m))]));

const peerWire: Target = {
  name: "peer-wire",
  what: "the peer wire protocol (BEP 3): the handshake, length-prefixed messages fed in any cut, bitfields",
  files: ["bt/wire.ts"],
  inputs: (seeds) => inputsFrom(seeds, wireArb),
  check(input) {
    let rest = input;
    if (input.length >= 68 && input[0] === 19) {
      refusesCleanly(() => decodeHandshake(input.subarray(0, 68)), ["PEER_WIRE"]);
      rest = input.subarray(68);
    }
    // A second decoder is fed the same stream through one reused read buffer, overwritten after each push, and its
    // sink gives a slot for every other block (and a wrong-sized one, to be ignored, for the rest): it must read the
    // same messages, refuse at the same point, and keep nothing of the chunks it was given.
    const decoder = new WireDecoder(4096);
    const sunk = new WireDecoder(4096, (_piece, begin, length) => Buffer.alloc(begin % 2 === 0 ? length : length + 1));
    const reused = Buffer.alloc(97);
    const got: WireMessage[] = [];
    const sunkGot: WireMessage[] = [];
    for (const chunk of chunks(rest)) {
      const messages = refusesCleanly(() => decoder.push(chunk), ["PEER_WIRE"]);
      chunk.copy(reused);
      const sunkMessages = refusesCleanly(() => sunk.push(reused.subarray(0, chunk.length)), ["PEER_WIRE"]);
      reused.fill(0xa5);
      expect(!messages === !sunkMessages, "a decoder with a sink refused where the plain one did not (or the other way)");
      if (!messages || !sunkMessages) return; // the connection would be dropped
      got.push(...messages);
      sunkGot.push(...sunkMessages);
      for (const m of messages) if (m.type === "bitfield") refusesCleanly(() => bitfieldToWords(m.bits, 37), ["PEER_WIRE"]);
    }
    expect(isDeepStrictEqual(got, sunkGot), "a decoder with a sink, reading through a reused buffer, read other messages");
  },
};

const hash20 = fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => percentEncode(b));
const trackerQuery = fc.tuple(fc.constantFrom("/announce", "/scrape", "/", "/announce/x"),
  fc.array(fc.oneof(
    hash20.map((h) => `info_hash=${h}`), hash20.map((h) => `peer_id=${h}`),
    fc.tuple(fc.constantFrom("port", "left", "numwant", "uploaded", "downloaded", "compact", "event"), fc.oneof(fc.integer().map(String), fc.constantFrom("started", "stopped", "completed", "x", "", "1e400", "NaN", "-0"))).map(([k, v]) => `${k}=${v}`),
    fc.constantFrom("&", "=", "%", "%zz", "%4", "+"),
  ), { maxLength: 9 })).map(([path, parts]) => Buffer.from(`${path}?${parts.join("&")}`, "latin1"));

/** Inputs one tracker state sees before a fresh one: its swarms would otherwise grow without end (and every announce walks its swarm). */
const TRACKER_INPUTS = 1000;
let tracker: TrackerState | undefined;
let announces = 0;
const tracking: Target = {
  name: "tracker",
  what: "the HTTP tracker (BEP 3, BEP 23): announce and scrape queries with percent-encoded binary, and the client's reading of answers",
  files: ["bt/tracker.ts"],
  inputs: (seeds) => inputsFrom(seeds, fc.oneof(trackerQuery, bencodeArb)),
  check(input) {
    if (!tracker || announces++ % TRACKER_INPUTS === 0) tracker = new TrackerState({ interval: 30 });
    const url = input.toString("latin1");
    const state = tracker;
    const body = refusesCleanly(() => state.handle(url.startsWith("POST") ? "POST" : "GET", url, `127.0.0.${input.length % 4}`, input.length * 1000), []);
    if (body) refusesCleanly(() => decodeBencode(body), []); // every answer is bencode
    refusesCleanly(() => parseAnnounceResponse(input), ["TRACKER"]);
  },
};

// ---------------------------------------------------------------- course

const cellArb = fc.record({
  cell_type: fc.constantFrom("code", "markdown", "raw", "bogus"),
  source: fc.oneof(fc.array(fc.constantFrom("// BEGIN SOLUTION\n", "// END SOLUTION\n", "// BEGIN HIDDEN TESTS\n", "// END HIDDEN TESTS\n", "check(1 + 1, 2);\n", "const x = 1;\n", "### BEGIN SOLUTION\n", "  // BEGIN SOLUTION\n", "\n"), { maxLength: 8 }), fc.string({ maxLength: 40 })),
  metadata: fc.record({ nbgrader: fc.option(fc.record({ grade: fc.boolean(), solution: fc.boolean(), locked: fc.boolean(), grade_id: fc.constantFrom("q1", "q2", "q1", "", "a b"), points: fc.oneof(fc.nat(10), fc.double()), schema_version: fc.constantFrom(3, 1) }, { requiredKeys: [] }), { nil: undefined }) }, { requiredKeys: [] }),
  outputs: fc.constant([]),
  execution_count: fc.constant(null),
}, { requiredKeys: ["cell_type", "source"] });
const notebookArb = fc.record({ cells: fc.array(cellArb, { maxLength: 6 }), metadata: fc.constant({ kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } }), nbformat: fc.constantFrom(4, 3), nbformat_minor: fc.nat(5) })
  .map((nb) => Buffer.from(JSON.stringify(nb)));

let source: ReturnType<typeof parseNotebook> | undefined;
const notebook: Target = {
  name: "notebook",
  what: "the course's notebook handling: reading .ipynb JSON, linting nbgrader cells, releasing, and sanitizing a submission against its source",
  files: ["course/notebook.ts", "course/lint.ts", "course/format.ts", "course/release.ts", "course/sanitize.ts"],
  inputs: (seeds) => inputsFrom(seeds, notebookArb),
  check(input) {
    source ??= parseNotebook(readFileSync(join(ROOT, "test", "fixtures", "course", "source", "01-grading.ipynb"), "utf8"));
    const nb = refusesCleanly(() => parseNotebook(input.toString("utf8"), "fuzz.ipynb"), ["NOTEBOOK"]);
    if (!nb) return;
    refusesCleanly(() => lintNotebook(nb), []);
    refusesCleanly(() => releaseNotebook(nb), ["NOTEBOOK", "COURSE"]);
    const clean = refusesCleanly(() => sanitizeSubmission(nb, source!), ["NOTEBOOK", "COURSE"]);
    if (!clean) return;
    // Every locked cell of the source is back exactly once, as the source has it; no grade id is graded twice.
    for (const original of source.cells.filter(isLocked)) {
      const copies = clean.notebook.cells.filter((c) => gradeIdOf(c) === gradeIdOf(original));
      expect(copies.length === 1 && sourceOf(copies[0]) === sourceOf(original), `the locked cell "${gradeIdOf(original)}" is in the sanitized submission ${copies.length} times, or changed`);
    }
    const ids = clean.notebook.cells.map(gradeIdOf).filter((id) => id !== undefined);
    expect(new Set(ids).size === ids.length, `a grade id twice in the sanitized submission: ${ids.join(", ")}`);
  },
};

export const TARGETS: Target[] = [dnsMessage, dnssecRecords, zoneFile, smtpSession, mime, imap, pop3, bencode, metainfo, peerWire, tracking, notebook];

export function targetNamed(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target "${name}"; the targets are ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}
