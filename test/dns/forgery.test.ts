/**
 * Lesson 35's Kaminsky lab: a forged reply that carries an NS takeover and its
 * glue wins against a fixed port and a resolver that takes what comes beside an
 * answer; it loses against random ports, against the bailiwick check (glue out
 * of the zone refused) and against a resolver that takes only the answer. A
 * forgery with the wrong question never wins. kaminskyLab lets an attack run
 * its own races: a name raced once is cached, and cannot be raced again.
 */
import { describe, expect, it } from "vitest";
import { forgeryLab, kaminskyLab, KAMINSKY_LAB } from "../../lib/src/dns/attacks/forgery";
import { DnsRecord, FLAGS, encodeMessage } from "../../lib/src/dns/wire/codec";

const rr = (name: string, type: string, data: string) => ({ name, type, ttl: 86400, class: "IN", data }) as DnsRecord;
/** Kaminsky's payload: the fresh name answered, bank.test's NS taken over, and the new server's glue. */
const forge = (nsName: string) => (name: string, id: number) =>
  encodeMessage({
    id, type: "response", flags: FLAGS.QR | FLAGS.AA, questions: [{ name, type: "A", class: "IN" }],
    answers: [rr(name, "A", KAMINSKY_LAB.attacker)], authorities: [rr(KAMINSKY_LAB.victim, "NS", nsName)], additionals: [rr(nsName, "A", KAMINSKY_LAB.attacker)],
  });

describe("forgeryLab", () => {
  it("a fixed port and no bailiwick check: the forgery takes bank.test over", { timeout: 60_000 }, async () => {
    const r = await forgeryLab({ forge: forge("ns.attacker.test."), ports: 1 });
    expect(r).toMatchObject({ forgeryBelieved: true, www: KAMINSKY_LAB.attacker });
    expect(r.races).toBeLessThan(12);
  });

  it("random ports: every race lost, www.bank.test still real", { timeout: 60_000 }, async () => {
    expect(await forgeryLab({ forge: forge("ns.attacker.test."), ports: 28_232, races: 4 })).toEqual({ races: 4, forgeryBelieved: false, www: KAMINSKY_LAB.realWww });
  });

  it("the bailiwick check refuses glue outside bank.test: the stolen NS leads nowhere (SERVFAIL); a server inside bank.test still gets through", { timeout: 60_000 }, async () => {
    expect((await forgeryLab({ forge: forge("ns.attacker.test."), authoritySection: "in-bailiwick" })).www).toBe("SERVFAIL");
    expect((await forgeryLab({ forge: forge("ns2.bank.test."), authoritySection: "in-bailiwick" })).www).toBe(KAMINSKY_LAB.attacker);
  });

  it("a resolver that takes only the answer: the race is won, the zone is not", { timeout: 60_000 }, async () => {
    expect(await forgeryLab({ forge: forge("ns.attacker.test."), authoritySection: "ignore" })).toMatchObject({ forgeryBelieved: true, www: KAMINSKY_LAB.realWww });
  });

  it("a forgery for another name never wins", { timeout: 60_000 }, async () => {
    expect(await forgeryLab({ forge: (_name, id) => forge("ns.attacker.test.")("other.bank.test.", id), races: 3 })).toEqual({ races: 3, forgeryBelieved: false, www: KAMINSKY_LAB.realWww });
  });

  describe("kaminskyLab: an attack's own races", () => {
    /** Every id, from `first` on: a flood that cannot miss on a fixed port. */
    const flood = (name: string, count: number, first = 0) => Array.from({ length: count }, (_, i) => forge("ns.attacker.test.")(name, (first + i) & 0xffff));

    it("a race with every id on a fixed port is won: the fresh name and then www.bank.test are the attacker's; the names raced are read as the resolver reads them", { timeout: 60_000 }, async () => {
      const run = await kaminskyLab((lab) => lab.race("QZXV.bank.test", flood("QZXV.bank.test.", 65_536)), { ports: 1 });
      expect(run).toEqual({ result: KAMINSKY_LAB.attacker, raced: ["qzxv.bank.test."], www: KAMINSKY_LAB.attacker });
    });

    it("a race without forgeries is lost to the real reply: NXDOMAIN, and www.bank.test stays real", { timeout: 60_000 }, async () => {
      expect(await kaminskyLab((lab) => lab.race("qzxv.bank.test.", []), { ports: 1 })).toEqual({ result: "NXDOMAIN", raced: ["qzxv.bank.test."], www: KAMINSKY_LAB.realWww });
    });

    it("a name raced once is cached: racing it again with every id wins nothing", { timeout: 60_000 }, async () => {
      const run = await kaminskyLab(async (lab) => [await lab.race("qzxv.bank.test.", []), await lab.race("qzxv.bank.test.", flood("qzxv.bank.test.", 65_536))], { ports: 1 });
      expect(run).toEqual({ result: ["NXDOMAIN", "NXDOMAIN"], raced: ["qzxv.bank.test.", "qzxv.bank.test."], www: KAMINSKY_LAB.realWww });
    });

    it("random ports: every id, sent to the port the attacker saw, misses", { timeout: 60_000 }, async () => {
      expect((await kaminskyLab((lab) => lab.race("qzxv.bank.test.", flood("qzxv.bank.test.", 65_536)), { ports: 28_232 })).www).toBe(KAMINSKY_LAB.realWww);
    });
  });
});
