import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DnsRecord, nameKey } from "../wire/codec";
import { parseRecords, parseZone } from "../wire/zone";
import { Dnskey } from "../dnssec/keys";
import { serveDns } from "../authoritative/server";
import { Resolver } from "../resolver/resolver";

/** How long delv may take for one question, ms: a chain of two zones on loopback takes well under a second. */
export const DELV_TIMEOUT_MS = 15_000;

/** What two validators made of one question. */
export interface ChainJudgement {
  /** delv's verdict line without its "; ": "fully validated", or why resolution failed. */
  delv: string;
  /** The addresses delv printed (A and AAAA records), in its order. */
  delvAddresses: string[];
  /** The lib's validating resolver: secure, insecure or bogus. */
  validator: string;
}

/**
 * Serves `zones` (zone-file texts, signed) from one server on 127.0.0.1 and asks
 * two validators for (name, type), each trusting only `anchor`, the key-signing
 * key of the zone `anchorZone`: BIND's `delv` (Debian's bind9-dnsutils, with
 * `+root=` set to that zone) and the lib's own Resolver. So a chain of trust a
 * lesson builds, a parent that publishes its child's DS, is judged by a peer.
 * The server is closed before this returns, whatever happens.
 *
 * @example
 * const j = await judgeChain({ zones: [parentText, childText], anchorZone: "test.", anchor: parentKsk.dnskey, name: "www.shop.test.", type: "A" });
 * j.delv; // "fully validated"
 */
export async function judgeChain(o: { zones: string[]; anchorZone: string; anchor: Dnskey; name: string; type: string }): Promise<ChainJudgement> {
  const server = await serveDns({ zones: o.zones.map((text) => parseZone(text)), port: 0, host: "127.0.0.1" });
  const folder = mkdtempSync(join(tmpdir(), "applayer-delv-"));
  try {
    const port = server.address.port;
    const zone = `${nameKey(o.anchorZone)}.`.replace(/^\.\.$/, ".");
    const anchorFile = join(folder, "anchor.conf");
    writeFileSync(anchorFile, `trust-anchors { ${zone} static-key ${o.anchor.flags} 3 ${o.anchor.algorithm} "${o.anchor.key.toString("base64")}"; };\n`);
    const out = await new Promise<string>((done) =>
      execFile("delv", ["@127.0.0.1", "-p", String(port), "-a", anchorFile, `+root=${zone}`, o.name, o.type], { timeout: DELV_TIMEOUT_MS }, (_e, stdout, stderr) => done(`${stdout}${stderr}`)),
    );
    const verdict = out.split("\n").find((l) => l.startsWith("; ") || l.startsWith(";; "))?.replace(/^;+ /, "").replace(/#\d+/g, "") ?? out.trim().split("\n")[0] ?? "";
    const delvAddresses = out.split("\n").map((l) => l.split(/\s+/)).filter((f) => f.length >= 5 && f[2] === "IN" && (f[3] === "A" || f[3] === "AAAA")).map((f) => f[4]);
    const key: DnsRecord = { name: zone, type: "DNSKEY", ttl: 3600, class: "IN", data: o.anchor } as DnsRecord;
    const resolver = new Resolver({ hints: parseRecords(`. 3600 IN NS judge.\njudge. 3600 IN A 127.0.0.1\n`), upstreamPort: port, trustAnchor: [key] });
    const r = await resolver.resolve(o.name, o.type);
    return { delv: verdict, delvAddresses, validator: r.security?.status ?? "unvalidated" };
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await server.close();
  }
}
