/**
 * Response rate limiting: the limiter in virtual time (refill, slip, the table
 * cap), then the server on loopback: a burst from one /24 is cut down to its
 * rate, with every second limited answer slipped as TC=1; a second /24 is served
 * in full at the same moment; and dig, slipped, retries over TCP and gets its
 * answer, as a real client does.
 */
import { describe, expect, it } from "vitest";
import * as dgram from "node:dgram";
import { MAX_RRL_BUCKETS, ResponseRateLimiter } from "../../lib/src/dns/authoritative/rrl";
import { serveDns } from "../../lib/src/dns/authoritative/server";
import { parseZone } from "../../lib/src/dns/wire/zone";
import { encodeMessage, decodeMessage, FLAGS } from "../../lib/src/dns/wire/codec";
import { run } from "../helpers";

const ZONE = parseZone("$ORIGIN example.test.\n$TTL 60\n@ SOA ns hostmaster 1 7200 3600 604800 60\n@ NS ns\nns A 127.0.0.9\nwww A 127.0.0.10\n");

describe("ResponseRateLimiter", () => {
  it("sends up to the rate, then drops and slips in turn; the bucket refills with time", () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5, slip: 2 });
    const burst = Array.from({ length: 11 }, () => rrl.decide("10.1.2.3", 0));
    expect(burst).toEqual(["send", "send", "send", "send", "send", "drop", "slip", "drop", "slip", "drop", "slip"]);
    expect(rrl.decide("10.1.2.99", 0)).toBe("drop"); // the same /24 shares the bucket
    expect(rrl.decide("10.1.3.1", 0)).toBe("send"); // another /24 has its own
    expect(rrl.decide("10.1.2.3", 400)).toBe("send"); // 0.4 s later: two tokens back
    expect(rrl.stats).toMatchObject({ sent: 7, dropped: 4, slipped: 3 });
  });
  it("slip 0 never slips, slip 1 always does", () => {
    const never = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 0 });
    const always = new ResponseRateLimiter({ responsesPerSecond: 1, slip: 1 });
    expect([1, 2, 3].map(() => never.decide("10.0.0.1", 0))).toEqual(["send", "drop", "drop"]);
    expect([1, 2, 3].map(() => always.decide("10.0.0.1", 0))).toEqual(["send", "slip", "slip"]);
  });
  it("tracks at most MAX_RRL_BUCKETS client prefixes", () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1 });
    // One more distinct /24 than the cap: the oldest is forgotten.
    for (let i = 0; i <= MAX_RRL_BUCKETS; i++) rrl.decide(`${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}.1`, 0);
    expect((rrl as unknown as { buckets: Map<string, unknown> }).buckets.size).toBe(MAX_RRL_BUCKETS);
  });
});

/** Sends `count` queries for www from `source` at once and sorts the replies by kind. */
async function burst(port: number, source: string, count: number) {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, source, r));
  const got = { answered: 0, truncated: 0 };
  socket.on("message", (m) => {
    const reply = decodeMessage(m).message;
    if ((reply.flags ?? 0) & FLAGS.TC) got.truncated++;
    else if (reply.answers?.length) got.answered++;
  });
  for (let i = 0; i < count; i++) socket.send(encodeMessage({ id: i, type: "query", flags: 0, questions: [{ name: "www.example.test", type: "A" }] } as never), port, "127.0.0.1");
  await new Promise((r) => setTimeout(r, 300));
  socket.close();
  return got;
}

describe("a DNS server with --rrl", () => {
  it("limits a burst from one /24 while a second /24 is answered in full", async () => {
    const server = await serveDns({ zones: [ZONE], port: 0, rrl: { responsesPerSecond: 10, slip: 2 } });
    const [flood, other] = await Promise.all([burst(server.address.port, "127.0.0.1", 100), burst(server.address.port, "127.0.1.5", 8)]);
    expect(flood.answered).toBeGreaterThanOrEqual(10);
    expect(flood.answered).toBeLessThan(20); // 10 at once, plus what 0.3 s refills
    expect(flood.truncated).toBeGreaterThan(30); // half of the ~85 limited ones slip
    expect(other).toEqual({ answered: 8, truncated: 0 });
    expect(server.rrl!.dropped).toBeGreaterThan(30);
    await server.close();
  });
  it("a slipped dig retries over TCP and gets its answer", async () => {
    const server = await serveDns({ zones: [ZONE], port: 0, rrl: { responsesPerSecond: 1, slip: 1 } });
    await burst(server.address.port, "127.0.0.1", 5); // use up the bucket
    const out = await run("dig", ["@127.0.0.1", "-p", String(server.address.port), "+tries=1", "+norec", "www.example.test", "A"]);
    expect(out).toContain(";; Truncated, retrying in TCP mode.");
    expect(out).toMatch(/www\.example\.test\.\s+60\s+IN\s+A\s+127\.0\.0\.10/);
    await server.close();
  });
});

describe("ANY (RFC 8482)", () => {
  it("gets one RRset of the name, not every record: a smaller reply to amplify", async () => {
    const server = await serveDns({ zones: [ZONE], port: 0 });
    const out = await run("dig", ["@127.0.0.1", "-p", String(server.address.port), "+norec", "example.test", "ANY"]);
    expect(out).toMatch(/ANSWER: 1,/);
    expect(out).toMatch(/example\.test\.\s+60\s+IN\s+SOA/);
    await server.close();
  });
});
