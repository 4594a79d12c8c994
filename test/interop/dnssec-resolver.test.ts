/**
 * Our validating resolver against a hierarchy others signed and serve: BIND's
 * dnssec-signzone signs test. (NSEC3) and example.test. (NSEC); BIND serves
 * test., NSD serves example.test. and an unsigned plain.test. The resolver,
 * anchored at test.'s KSK, calls answers and NXDOMAIN from example.test. secure,
 * plain.test. insecure (BIND's NSEC3 proves there is no DS), and a changed
 * record bogus, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resolver } from "../../lib/src/dns/resolver/resolver";
import { parseRecords } from "../../lib/src/dns/wire/zone";
import { freePort, run } from "../helpers";
import { Peer, ensureLoopbackAlias, ready, signWithBind, startNamed, startNsd, stopPeers } from "./dns-peers";

const SOA = "@ SOA ns hostmaster 1 7200 3600 604800 300";
const CHILD = `$ORIGIN example.test.\n$TTL 3600\n${SOA}\n@ NS ns\nns A 127.0.0.3\nwww A 127.0.0.10\n`;
const PLAIN = `$ORIGIN plain.test.\n$TTL 3600\n${SOA}\n@ NS ns.example.test.\nwww A 127.0.0.20\n`;
const parent = (ds: string) => `$ORIGIN test.\n$TTL 3600\n${SOA}\n@ NS ns\nns A 127.0.0.2\nexample NS ns.example\nns.example A 127.0.0.3\nplain NS ns.example\n${ds}\n`;

let port: number;
let dir: string;
let peers: Peer[] = [];
let undo: () => void = () => undefined;
let anchor: string;
let childSigned: string;

/** Starts NSD for example.test. (from `childText`) and plain.test. */
async function startChild(childText: string): Promise<Peer> {
  writeFileSync(join(dir, "example.test.signed"), childText);
  const nsd = startNsd("127.0.0.3", port, [{ origin: "example.test.", file: join(dir, "example.test.signed") }, { origin: "plain.test.", file: join(dir, "plain.test.zone") }]);
  await ready([nsd], "127.0.0.3", port, "example.test.");
  return nsd;
}

beforeAll(async () => {
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), "applayer-bind-hierarchy-"));
  writeFileSync(join(dir, "plain.test.zone"), PLAIN);
  const child = await signWithBind(CHILD, "example.test.");
  childSigned = child.signed;
  const ds = await run("dnssec-dsfromkey", ["-2", child.kskFile]);
  const top = await signWithBind(parent(ds.trim()), "test.", { nsec3: true });
  expect(top.signed).toContain("NSEC3PARAM");
  anchor = readFileSync(top.kskFile, "utf8");
  writeFileSync(join(dir, "test.signed"), top.signed);
  undo = ensureLoopbackAlias("127.0.0.2");
  const named = startNamed("127.0.0.2", port, [{ origin: "test.", file: join(dir, "test.signed") }]);
  peers = [named];
  await ready(peers, "127.0.0.2", port, "test.");
  peers.push(await startChild(childSigned));
}, 120_000);
afterAll(async () => {
  await stopPeers(peers);
  undo();
});

/** A fresh validating resolver whose root hint is BIND (test.'s server) and whose anchor is test.'s KSK. */
const resolver = () => new Resolver({
  hints: parseRecords(`. 3600 IN NS ns.test.\nns.test. 3600 IN A 127.0.0.2\n`),
  upstreamPort: port,
  trustAnchor: parseRecords(`$TTL 3600\n${anchor.split("\n").filter((l) => !l.startsWith(";")).join("\n")}`),
});

describe("our validating resolver, on zones signed by dnssec-signzone and served by BIND and NSD", () => {
  it("walks test. (anchor) → DS → example.test.'s keys: the answer is secure", { timeout: 30_000 }, async () => {
    const r = await resolver().resolve("www.example.test", "A");
    expect(r.rcode).toBe("NOERROR");
    expect(r.security?.status, JSON.stringify(r.security)).toBe("secure");
    expect(r.security!.chain.map((s) => `${s.zone} ${s.what.split(" ")[0]} ${s.status}`)).toEqual([
      "test. DNSKEY secure", "example.test. DS secure", "example.test. DNSKEY secure", "example.test. www.example.test. secure",
    ]);
  });

  it("an NXDOMAIN proven by NSD's NSEC records, and a NODATA, are secure", { timeout: 30_000 }, async () => {
    const res = resolver();
    const nx = await res.resolve("nothere.example.test", "A");
    expect([nx.rcode, nx.security?.status]).toEqual(["NXDOMAIN", "secure"]);
    const nodata = await res.resolve("www.example.test", "TXT");
    expect([nodata.rcode, nodata.security?.status]).toEqual(["NOERROR", "secure"]);
  });

  it("plain.test. is insecure: BIND's NSEC3 proves test. holds no DS for it", { timeout: 30_000 }, async () => {
    const r = await resolver().resolve("www.plain.test", "A");
    expect(r.rcode).toBe("NOERROR");
    expect(r.answers.map((a) => (a as { data: unknown }).data)).toEqual(["127.0.0.20"]);
    expect(r.security).toMatchObject({ status: "insecure" });
  });

  it("a record changed after signing is bogus, the data withheld, with the reason", { timeout: 60_000 }, async () => {
    await stopPeers([peers.pop()!]);
    peers.push(await startChild(childSigned.replace(/(www\.example\.test\.\s+\d+\s+IN\s+A\s+)127\.0\.0\.10/, "$1127.0.0.66")));
    const r = await resolver().resolve("www.example.test", "A");
    expect(r.rcode).toBe("SERVFAIL");
    expect(r.answers).toEqual([]);
    expect(r.security).toMatchObject({ status: "bogus", reason: "BAD_SIGNATURE" });
  });
});
