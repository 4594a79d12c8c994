/**
 * startDovecot, the judge lesson 23's checks start: a real Dovecot that serves
 * what deliver() hands it as new mail, in order, tells BODY.PEEK from BODY as the lesson
 * says it does, and is gone after close().
 */
import { describe, expect, it } from "vitest";
import * as net from "node:net";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDovecot } from "../../lib/src/mail/dovecot";
import { ImapClient } from "../../lib/src/imap/client";

const refused = (port: number) =>
  new Promise<boolean>((r) => net.connect(port, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); r(false); }).once("error", () => r(true)));

describe("startDovecot", () => {
  it("serves delivered mail as unseen: BODY.PEEK leaves it so, BODY[] marks it read", async () => {
    const dovecot = await startDovecot({ users: ["bob:bobpass"] });
    try {
      dovecot.deliver("bob", "Subject: first\r\n\r\none\r\n");
      dovecot.deliver("bob", "Subject: second\r\n\r\ntwo\r\n");
      const c = await ImapClient.connect({ server: dovecot.imap });
      await c.login("bob", "bobpass");
      await c.select("INBOX");
      const unseen = [await c.search("UNSEEN")];
      const peeked = await c.fetch("1:2", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]");
      unseen.push(await c.search("UNSEEN"));
      await c.fetch("1", "BODY[]");
      unseen.push(await c.search("UNSEEN"));
      await c.logout();
      expect(peeked.map((m) => String(m.items["BODY[HEADER.FIELDS (SUBJECT)]"]).trim())).toEqual(["Subject: first", "Subject: second"]);
      expect(unseen).toEqual([[1, 2], [1, 2], [2]]);
    } finally {
      await dovecot.close();
    }
  });

  it("keeps the order of delivery, on any file system (the sandbox's tmpfs lists new/ backwards)", async () => {
    const dovecot = await startDovecot({ users: ["bob:bobpass"] });
    try {
      const subjects = ["one", "two", "three", "four", "five", "six"];
      for (const s of subjects) dovecot.deliver("bob", `Subject: ${s}\r\n\r\n${s}\r\n`);
      const c = await ImapClient.connect({ server: dovecot.imap });
      await c.login("bob", "bobpass");
      await c.select("INBOX", true);
      const got = (await c.fetch("1:*", "ENVELOPE")).map((m) => (m.items.ENVELOPE as unknown[])[1]);
      await c.logout();
      expect(got).toEqual(subjects);
    } finally {
      await dovecot.close();
    }
  });

  it("refuses a wrong password, and is gone after close(): port and folder", async () => {
    const parent = mkdtempSync(join(tmpdir(), "applayer-dovecot-judge-"));
    const dovecot = await startDovecot({ users: ["bob:bobpass"], parent });
    const c = await ImapClient.connect({ server: dovecot.imap });
    await expect(c.login("bob", "wrong")).rejects.toMatchObject({ code: "IMAP_REPLY" });
    await c.close();
    expect(readdirSync(parent)).toHaveLength(1);
    await dovecot.close();
    expect([await refused(dovecot.imap.port), readdirSync(parent), existsSync(parent)]).toEqual([true, [], true]);
  });
});
