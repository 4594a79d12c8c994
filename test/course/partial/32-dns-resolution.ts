import type { PartialSubmission } from "../partials";

/**
 * A query that takes the first datagram back, whatever its id; a resolver that
 * keeps only A records of the name asked (no alias followed); a full resolver
 * that finds servers without glue but stops at an alias into another zone.
 */
const partial: PartialSubmission = {
  answers: {
    "ask-solution": `function ask(server: string, port: number, name: string, type: string): Promise<DnsMessage> {
  const socket = dgram.createSocket("udp4");
  return new Promise((answered, failed) => {
    const timer = setTimeout(() => { socket.close(); failed(new Error("no answer")); }, 2000);
    socket.once("message", (bytes) => { clearTimeout(timer); socket.close(); answered(decodeMessage(bytes).message); });
    socket.send(encodeMessage({ id: 1, type: "query", questions: [{ name, type: type as "A", class: "IN" }] }), port, server);
  });
}
`,
    "resolve-solution": `async function resolve(name: string, roots: string[], port: number): Promise<string[]> {
  let servers = roots;
  for (let step = 0; step < 16 && servers.length > 0; step++) {
    const reply = await ask(servers[0], port, name, "A");
    if ((reply.answers ?? []).length > 0 || !(reply.authorities ?? []).some((r) => r.type === "NS")) {
      return (reply.answers ?? []).filter((r) => r.type === "A" && r.name === name).map((r) => (r as { data: string }).data);
    }
    servers = nextServers(reply).flatMap((s) => (s.address ? [s.address] : []));
  }
  return [];
}
`,
    "glueless-solution": `async function resolveFully(name: string, roots: string[], port: number, depth = 0): Promise<string[]> {
  let servers = roots;
  for (let step = 0; step < 16 && servers.length > 0 && depth <= 8; step++) {
    const reply = await ask(servers[0], port, name, "A");
    if ((reply.answers ?? []).length > 0 || !(reply.authorities ?? []).some((r) => r.type === "NS")) return addressesOf(name, reply.answers ?? []);
    const next = nextServers(reply);
    const glued = next.flatMap((s) => (s.address ? [s.address] : []));
    servers = glued.length > 0 ? glued : await resolveFully(next[0].name, roots, port, depth + 1);
  }
  return [];
}
`,
  },
  points: {
    // Four checks: the referral, the TXT and the silent server pass; the reply with another id is taken.
    "ask-check": 1.5,
    // Five checks: www.cs.umass.edu is an alias, the other four pass.
    "resolve-check": 3.2,
    // Eight checks: www.shop.test, store.shop.test and api.shop.test lead out of their zone; www.ibm.com, shop.test, www.blog.test, nosuch and the loop pass.
    "glueless-check": 2.5,
  },
};
export default partial;
