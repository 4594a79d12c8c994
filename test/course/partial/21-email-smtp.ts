import type { PartialSubmission } from "../partials";

/**
 * The mail client half right: it reads replies, dot-stuffs and stops at a refusal with
 * QUIT, but it sends one RCPT only, to the first recipient, and it reports a refusal
 * of the message (the reply after the final dot) as a refusal at "DATA".
 */
const partial: PartialSubmission = {
  answers: {
    "send-raw": `type Outcome = { delivered: true } | { delivered: false; code: number; step: SmtpStep };
async function sendRaw(server: Address, from: string, to: string[], message: string): Promise<Outcome> {
  const socket = net.connect(server.port, server.host);
  const next = replyReader(socket);
  const steps: Array<[SmtpStep, string, number]> = [["greeting", "", 220], ["EHLO", "EHLO alice.example\\r\\n", 250],
    ["MAIL", \`MAIL FROM:<\${from}>\\r\\n\`, 250], ["RCPT", \`RCPT TO:<\${to[0]}>\\r\\n\`, 250], ["DATA", "DATA\\r\\n", 354], ["DATA", stuff(message), 250]];
  for (const [step, text, expected] of steps) {
    if (text) socket.write(text);
    const { code } = await next();
    if (code !== expected) {
      socket.end("QUIT\\r\\n");
      return { delivered: false, code, step };
    }
  }
  socket.end("QUIT\\r\\n");
  return { delivered: true };
}
`,
  },
  // send-raw: one recipient, dots, a long message pass; two recipients fail (Carol gets nothing): 3 of 4.
  // refusals: every step but the final dot's (reported as "DATA") passes, and a delivery ends with QUIT: 6 of 7.
  points: { "send-raw-check": 3, "refusals-check": 3.43 },
};
export default partial;
