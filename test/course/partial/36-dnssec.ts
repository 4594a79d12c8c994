import type { PartialSubmission } from "../partials";

/**
 * A DS line with the algorithm written as 13 whatever the key; a parent that
 * publishes the DS of shop.test's key-signing key whatever DS it is given; a
 * tamperer that finds the record by its owner's exact letters.
 */
const partial: PartialSubmission = {
  answers: {
    "dsrecord-solution": `function dsRecord(owner: string, dnskey: Dnskey): string {
  return \`\${owner} 3600 IN DS \${keyTag(dnskey)} 13 2 \${dsDigest(owner, dnskey)}\`;
}
`,
    "publish-solution": `function parentZoneText(ds: string): string {
  return signedZoneText(\`\${parentText}\${dsRecord("shop.test.", ksk.dnskey)}\\n\`, "test.", parentKsk, parentZsk);
}
`,
    "tamper-solution": `function tamper(text: string, name: string, address: string): string {
  return text.split("\\n").map((line) => (line.startsWith(name) && line.split(/\\s+/)[3] === "A" ? line.replace(/\\S+$/, address) : line)).join("\\n");
}
`,
  },
  points: {
    // Three checks: both ECDSA keys pass; the Ed25519 key's DS says algorithm 13.
    "dsrecord-check": 1.33,
    // Three checks: www and mail validate; the DS of the wrong key is never published, so the chain holds.
    "publish-check": 2.67,
    // Three checks: www is changed and bogus, mail untouched and secure; "MAIL.shop.test" matches no line, so mail stays secure.
    "tamper-check": 1.33,
  },
};
export default partial;
