/**
 * Captures of real exchanges, read back by tshark: the synthesized Ethernet, IPv4,
 * UDP and TCP headers must be such that Wireshark's dissectors see the real
 * application protocol on every packet, with valid checksums and TCP numbers that
 * add up, for whole, reset and half-open connections alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Capture, MAX_CAPTURE_BYTES } from "../../lib/src/lab/capture";
import { encodeEthernetFrame, encodePcapng, internetChecksum } from "../../lib/src/lab/pcapng";
import { serveSmtp } from "../../lib/src/smtp/server";
import { sendMail } from "../../lib/src/smtp/client";
import { serveDns } from "../../lib/src/dns/authoritative/server";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { lookup } from "../../lib/src/dns/transport/client";
import { startLoopbackSwarm } from "../../lib/src/bt/loopback-swarm";
import { closeAll } from "../../lib/src/net/lifecycle";
import { SimNetwork } from "../../lib/src/sim/network";
import { captureProblems, dissect, fieldValues } from "../tshark";
import { run } from "../helpers";

const dir = mkdtempSync(join(tmpdir(), "applayer-capture-"));
let files = 0;
const write = (capture: Capture) => {
  const file = join(dir, `c${++files}.pcapng`);
  writeFileSync(file, capture.toPcapng());
  return file;
};
afterEach(() => closeAll());

const smtpSink = (capture: Capture) =>
  serveSmtp({ port: 0, capture, session: { hostname: "mail.umass.edu", localDomains: ["umass.edu"] }, store: async () => undefined });

describe("pcapng encoding", () => {
  it("writes IPv4 headers whose checksum verifies, and a UDP checksum over the pseudo-header", () => {
    const frame = encodeEthernetFrame({ proto: "udp", time: 0, src: { host: "127.0.0.1", port: 5353 }, dst: { host: "127.53.0.1", port: 53 }, payload: Buffer.from("hello") });
    expect(frame.readUInt16BE(12)).toBe(0x0800);
    expect(internetChecksum(frame.subarray(14, 34))).toBe(0); // a header with its checksum sums to zero
    expect(frame.subarray(26, 34)).toEqual(Buffer.from([127, 0, 0, 1, 127, 53, 0, 1]));
    expect(frame.readUInt16BE(38)).toBe(8 + 5); // UDP length
  });
  it("frames the file in blocks whose two length fields agree", () => {
    const file = encodePcapng([{ proto: "udp", time: 1_700_000_000_000.5, src: { host: "127.0.0.1", port: 1 }, dst: { host: "127.0.0.2", port: 2 }, payload: Buffer.from("x") }]);
    const types: number[] = [];
    for (let off = 0; off < file.length; ) {
      const len = file.readUInt32LE(off + 4);
      expect(file.readUInt32LE(off + len - 4)).toBe(len);
      types.push(file.readUInt32LE(off));
      off += len;
    }
    expect(types).toEqual([0x0a0d0d0a, 1, 6]); // section header, interface, one enhanced packet
  });
});

describe("a capture of real exchanges, read by tshark", () => {
  it("SMTP: every command and reply dissected, the message as IMF, the server shown on port 25", { timeout: 30_000 }, async () => {
    const capture = new Capture();
    const sink = await smtpSink(capture);
    await sendMail({ server: sink.address, from: "alice@cs.umass.edu", to: ["bob@umass.edu"], message: "Subject: hi\r\n\r\nHello Bob\r\n.starts with a dot\r\n" });
    await sink.close();
    const file = write(capture);
    expect(captureProblems(await dissect(file))).toEqual([]);
    // MAIL, RCPT and DATA are pipelined (RFC 2920): one segment, three commands.
    expect((await fieldValues(file, "smtp.req.command")).flatMap((v) => v.split(","))).toEqual(["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]);
    expect(await fieldValues(file, "imf.subject")).toEqual(["hi"]);
    expect(new Set(await fieldValues(file, "tcp.srcport", "smtp.response"))).toEqual(new Set(["25"]));
    expect((await fieldValues(file, "frame.number", "tcp.flags.fin == 1")).length).toBe(2); // closed both ways
    // It says what it made up: the TCP around the real bytes, and the server moved to port 25.
    const made = capture.reconstruction();
    expect(made).toMatch(/^Reconstructed, not sniffed/);
    expect(made).toContain("Ethernet, IP and TCP headers");
    expect(made).toContain("handshake, sequence and acknowledgment numbers");
    expect(made).toContain(`(${sink.address.port} → 25)`);
    expect(made).not.toContain("simulated");
    // Wireshark shows the section's comment under Capture File Properties; capinfos -k prints it.
    expect(await run("capinfos", ["-k", file])).toContain(made);
  });

  it("DNS over UDP and over TCP: each query and answer dissected, on port 53", { timeout: 30_000 }, async () => {
    const capture = new Capture();
    const zone = parseZone("$ORIGIN umass.edu.\n$TTL 3600\n@ SOA dns admin 1 7200 3600 604800 3600\n@ NS dns\ndns A 127.0.0.9\ngaia A 128.119.245.12\n");
    const server = await serveDns({ port: 0, zones: [zone], capture });
    await lookup("gaia.umass.edu", "A", { server: server.address });
    await lookup("dns.umass.edu", "A", { server: server.address, tcp: true });
    await server.close();
    const file = write(capture);
    expect(captureProblems(await dissect(file))).toEqual([]);
    expect(await fieldValues(file, "dns.qry.name", "dns.flags.response == 1")).toEqual(["gaia.umass.edu", "dns.umass.edu"]);
    expect(await fieldValues(file, "frame.protocols", "dns.flags.response == 1")).toEqual([expect.stringMatching(/:udp:dns$/), expect.stringMatching(/:tcp:dns$/)]);
  });

  it("BitTorrent and its HTTP tracker: handshakes, requests and pieces, each peer tapped once", { timeout: 60_000 }, async () => {
    const capture = new Capture();
    const swarm = await startLoopbackSwarm({ leechers: 2, megabytes: 1, capture });
    expect(await swarm.done).toEqual([true, true]);
    const folders = [swarm.folders.seed, ...swarm.folders.leechers];
    expect(folders.map((f) => existsSync(join(f, "lesson.bin")))).toEqual([true, true, true]);
    await swarm.close();
    expect(folders.filter(existsSync)).toEqual([]); // the three copies are gone with the swarm
    const file = write(capture);
    expect(captureProblems(await dissect(file))).toEqual([]);
    const types = new Set((await fieldValues(file, "bittorrent.msg.type")).flatMap((v) => v.split(",")));
    for (const t of ["1", "2", "5", "6", "7"]) expect(types).toContain(t); // unchoke, interested, bitfield, request, piece
    expect((await fieldValues(file, "http.request.uri")).every((u) => u.startsWith("/announce?"))).toBe(true);
    // A connection between two tapped peers appears once: no duplicate SYNs.
    const syns = await fieldValues(file, "tcp.stream", "tcp.flags.syn == 1 && tcp.flags.ack == 0");
    expect(new Set(syns).size).toBe(syns.length);
  });

  it("a reset connection and one still open when saved both read cleanly", { timeout: 30_000 }, async () => {
    const capture = new Capture();
    const sink = await smtpSink(capture);
    const connect = () => new Promise<net.Socket>((r) => { const s = net.connect(sink.address.port, sink.address.host, () => r(s)); });
    const reset = await connect();
    reset.write("EHLO reset.example\r\n");
    await new Promise((r) => setTimeout(r, 100));
    reset.resetAndDestroy();
    const open = await connect();
    open.write("HELO still.open\r\n");
    await new Promise((r) => setTimeout(r, 200));
    const file = write(capture); // saved while `open` is half way through its session
    open.destroy();
    expect(captureProblems(await dissect(file))).toEqual([]);
    expect((await fieldValues(file, "frame.number", "tcp.flags.reset == 1")).length).toBe(1);
    expect(await fieldValues(file, "smtp.req.command")).toEqual(["EHLO", "HELO"]);
  });
});

describe("Capture", () => {
  it("stops recording past its byte budget, and says so", () => {
    const capture = new Capture({ maxBytes: 100 });
    const a = { host: "127.0.0.1", port: 1 };
    capture.udp(a, a, new Uint8Array(60));
    capture.udp(a, a, new Uint8Array(40)); // exactly at the cap
    expect(capture.truncated).toBe(false);
    capture.udp(a, a, new Uint8Array(1));
    expect([capture.truncated, capture.packets.length]).toEqual([true, 2]);
    expect(MAX_CAPTURE_BYTES).toBe(16 * 1024 * 1024);
  });
  it("saves as NN-topic-WHAT.pcapng in APPLAYER_CAPTURE_DIR", () => {
    const where = mkdtempSync(join(tmpdir(), "applayer-save-"));
    process.env.APPLAYER_CAPTURE_DIR = where;
    process.env.APPLAYER_NOTEBOOK = "21-email-smtp";
    try {
      const capture = new Capture();
      capture.udp({ host: "127.0.0.1", port: 1 }, { host: "127.0.0.1", port: 2 }, Buffer.from("x"));
      const path = capture.save("smtp", { filter: "smtp" });
      expect(path).toBe(join(where, "21-email-smtp-smtp.pcapng"));
      expect(readFileSync(path).readUInt32LE(0)).toBe(0x0a0d0d0a);
    } finally {
      delete process.env.APPLAYER_CAPTURE_DIR;
      delete process.env.APPLAYER_NOTEBOOK;
    }
  });
});

describe("what a capture says it made up", () => {
  it("a simulated network's datagrams: UDP headers and simulated times, no TCP, no port moved", () => {
    const sim = new SimNetwork({ seed: 1 });
    const capture = new Capture({ clock: sim.clock });
    capture.watch(sim);
    capture.udp({ host: "127.53.0.1", port: 53 }, { host: "127.53.0.2", port: 4000 }, Buffer.from("x"));
    const made = capture.reconstruction();
    expect(made).toContain("Ethernet, IP and UDP headers");
    expect(made).toContain("the times are the simulated network's clock");
    expect(made).not.toMatch(/TCP|registered port/);
  });

  it("save() prints it beside the file's name when no notebook shows it", () => {
    const where = mkdtempSync(join(tmpdir(), "applayer-save-"));
    process.env.APPLAYER_CAPTURE_DIR = where;
    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(a.join(" "));
    try {
      const capture = new Capture();
      capture.udp({ host: "127.0.0.1", port: 1 }, { host: "127.0.0.1", port: 2 }, Buffer.from("x"));
      capture.save("dns");
      expect(printed.join("\n")).toContain(capture.reconstruction());
    } finally {
      console.log = log;
      delete process.env.APPLAYER_CAPTURE_DIR;
    }
  });
});
