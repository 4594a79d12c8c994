import type { PartialSubmission } from "../partials";

/**
 * A client that sorts the answer section by value, which hides the server's
 * rotation, and that waits for a reply forever.
 */
const partial: PartialSubmission = {
  answers: {
    "ask-solution": `function ask(server: Address, name: string, type: string): Promise<Answer[]> {
  const id = 4242;
  const socket = dgram.createSocket("udp4");
  return new Promise<Answer[]>((resolve) => {
    socket.on("message", (datagram) => {
      const reply = decodeMessage(datagram).message;
      if (reply.id !== id) return;
      socket.close();
      const answers = (reply.answers ?? []).map((record) => { const { name, type, value } = rrTuple(record); return { name, type, value }; });
      resolve(answers.sort((a, b) => a.value.localeCompare(b.value)));
    });
    socket.send(encodeMessage({ id, type: "query", flags: 0x0100, questions: [{ name, type: type as "A", class: "IN" }] }), server.port, server.host);
  });
}
`,
  },
  points: {
    // Five checks: the address, the alias and the mail servers pass; every first address is the lowest, and the silent server is waited for past the deadline.
    "ask-check": 2.4,
  },
};
export default partial;
