import type { PartialSubmission } from "../partials";

/**
 * A student who takes the library's encodeWords for the subject (B encoding, its
 * words joined by a space on one line) and cuts base64 into PEM's 64-letter
 * lines: mailparser and the library still read the message back whole.
 */
const partial: PartialSubmission = {
  answers: {
    "subject-solution": `function encodeSubject(text: string): string {
  return encodeWords(text);
}`,
    "part-solution": `function attachmentPart(filename: string, contentType: string, content: Buffer): string {
  const name = /^[\\x20-\\x7e]*$/.test(filename) ? \`="\${filename}"\` : \`*=UTF-8''\${encodeURIComponent(filename)}\`;
  const base64 = content.toString("base64").match(/.{1,64}/g) ?? [];
  return [\`Content-Type: \${contentType}; name\${name}\`, \`Content-Disposition: attachment; filename\${name}\`, "Content-Transfer-Encoding: base64", "", ...base64].join("\\r\\n");
}`,
  },
  points: {
    // Only "read back by mailparser and decodeWords" of the six checks passes: B, not Q; one long line, not two words.
    "subject-check": 0.33,
    // The library reads the part, and the file name outside ASCII; the 76-letter lines fail, visible and hidden.
    "part-check": 1,
  },
};
export default partial;
