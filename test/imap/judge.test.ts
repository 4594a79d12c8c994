/**
 * The IMAP judge of lesson 23's client: a door in front of an IMAP server that
 * passes every byte both ways and says when the server refused a command (BAD
 * or NO), against the lib's IMAP server and a fake one on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as net from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { refusalIn, withImapJudge } from "../../lib/src/imap/judge";
import { ImapClient } from "../../lib/src/imap/client";
import { ImapServer, serveImap } from "../../lib/src/imap/server";
import { Maildir } from "../../lib/src/mailstore/maildir";
import { composeMessage } from "../../lib/src/message/message";
import { Address } from "../../lib/src/net/address";
import { openCount } from "../../lib/src/net/lifecycle";

describe("refusalIn", () => {
  it.each([
    ["a5 BAD unknown command", { status: "BAD", text: "unknown command" }], // tagged BAD: malformed
    ["a2 NO [AUTHENTICATIONFAILED] wrong", { status: "NO", text: "[AUTHENTICATIONFAILED] wrong" }], // tagged NO: could not do it
    ["x.1 bad lower case", { status: "BAD", text: "lower case" }], // status words are case-insensitive
    ["a3 BAD", { status: "BAD", text: "" }], // no text
    ["* BAD line not understood", { status: "BAD", text: "line not understood" }], // untagged BAD: the server could not tell which command
    ["* NO [ALERT] disk almost full", undefined], // untagged NO: a warning, not a refusal
    ["a4 OK FETCH done", undefined],
    ["* 3 FETCH (FLAGS (\\Seen))", undefined],
    ["+ go ahead", undefined], // a continuation
    ["a6 NOOP done", undefined], // NO must be a whole word
  ])("%s", (line, refusal) => {
    expect(refusalIn(line)).toEqual(refusal);
  });
});

/** Sends `lines` on a raw connection to `address` and resolves with what came back once `last` has. */
function rawSession(address: Address, lines: string, last: RegExp): Promise<string> {
  return new Promise((done, failed) => {
    let got = "";
    const s = net.connect(address.port, address.host).on("error", failed);
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (last.test(got)) s.destroy(), done(got);
    });
    s.write(lines);
  });
}

describe("withImapJudge, in front of the lib's IMAP server", () => {
  let server: ImapServer;
  beforeEach(async () => {
    const mailboxes = new Maildir(mkdtempSync(join(tmpdir(), "applayer-judge-")));
    await mailboxes.deliver("bob", Buffer.from(composeMessage({ from: "alice@cs.umass.edu", to: ["bob@umass.edu"], subject: "Lunch?", text: "hi" })));
    server = await serveImap({ port: 0, access: { hostname: "mail.umass.edu", mailboxes, checkPassword: async (u, p) => u === "bob" && p === "bobpass" } });
  });
  afterEach(() => server.close());
  const judge = () => ({ server: server.address, name: "the test server" });

  it("a clean session: the client's answer, and the door closed after it", async () => {
    const before = openCount();
    let door: Address | undefined;
    const subjects = await withImapJudge(judge(), async (address) => {
      door = address;
      const c = await ImapClient.connect({ server: address });
      await c.login("bob", "bobpass");
      await c.select("INBOX", true);
      const [m] = await c.fetch("1", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]");
      await c.logout();
      return String(m.items["BODY[HEADER.FIELDS (SUBJECT)]"]).trim();
    });
    expect([subjects, door!.port === server.address.port, openCount()]).toEqual(["Subject: Lunch?", false, before]);
    await expect(rawSession(door!, "", /never/)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("a command the server answers BAD: IMAP_REFUSED, though the client returned, with the server's reply", async () => {
    const e = await withImapJudge(judge(), (door) => rawSession(door, "a1 LOGIN bob bobpass\r\na2 FETCH\r\na3 LOGOUT\r\n", /^a3 OK/m)).catch((x) => x);
    expect(e).toMatchObject({ code: "IMAP_REFUSED", detail: { server: "the test server", status: "BAD" } });
    expect(e.message).toBe(`the test server answered BAD to one of your client's commands: ${e.detail.text}`);
  });

  it("a command the server answers NO, then a client that throws: IMAP_REFUSED, its error as the cause", async () => {
    const e = await withImapJudge(judge(), async (door) => {
      await rawSession(door, "a1 LOGIN bob wrong\r\n", /^a1 /m);
      throw new Error("LOGIN was refused");
    }).catch((x) => x);
    expect(e).toMatchObject({ code: "IMAP_REFUSED", detail: { status: "NO", cause: "Error: LOGIN was refused" } });
    expect(e.detail.text).toMatch(/^\[AUTHENTICATIONFAILED\]/);
  });

  it("a client that throws without a refusal: its own error", async () => {
    await expect(withImapJudge(judge(), async () => Promise.reject(new Error("mine")))).rejects.toThrow("mine");
  });
});

describe("withImapJudge, in front of a fake IMAP server", () => {
  // Every byte value, and lines that would be refusals if they were not inside a literal.
  const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("\r\na1 BAD inside a literal\r\n* BAD too\r\n")]);
  const reply = Buffer.concat([Buffer.from(`* OK fake\r\n* 1 FETCH (BODY[] {${binary.length}}\r\n`), binary, Buffer.from(")\r\na1 OK done\r\n")]);

  it("passes the bytes both ways unchanged, and a BAD inside a literal is no refusal", async () => {
    const said = Buffer.concat([Buffer.from("a1 FETCH 1 BODY[]\r\n"), binary]);
    let heard = Buffer.alloc(0);
    const fake = net.createServer((s) => {
      s.on("error", () => undefined).on("data", (d) => {
        heard = Buffer.concat([heard, d]);
        if (heard.length >= said.length) s.end(reply); // all of it heard: the answer, and the end
      });
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    try {
      const got = await withImapJudge({ server: { host: "127.0.0.1", port: (fake.address() as net.AddressInfo).port }, name: "the fake" }, (door) =>
        new Promise<Buffer>((done) => {
          const parts: Buffer[] = [];
          const s = net.connect(door.port, door.host).on("data", (d) => parts.push(d)).on("end", () => done(Buffer.concat(parts)));
          s.write(said);
        }));
      expect([got.equals(reply), heard.equals(said)]).toEqual([true, true]);
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });
});
