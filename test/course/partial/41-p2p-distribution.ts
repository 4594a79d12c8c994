import type { PartialSubmission } from "../partials";

/** Client-server right; the P2P bound forgets the swarm's upload (it is the client-server time again). */
const partial: PartialSubmission = {
  answers: {
    "formulas-solution": `function dcs(n: number): number {
  return Math.max((n * F) / (10 * u), F / (10 * u));
}
function dp2p(n: number): number {
  return Math.max((n * F) / (10 * u), F / (10 * u));
}
`,
  },
  // Three checks: client-server passes; the P2P bound, and the hidden one that asks both, fail.
  points: { "formulas-check": 0.67 },
};
export default partial;
