import type { PartialSubmission } from "../partials";

/**
 * A client that logs in without quoting its arguments, and fetches the subjects
 * with BODY[…] instead of BODY.PEEK[…]: the subjects come back right, but every
 * message it looks at is marked read.
 */
const partial: PartialSubmission = {
  answers: {
    "imap-login-solution": `async function login(imap: Imap, user: string, password: string): Promise<boolean> {
  return (await command(imap, \`LOGIN \${user} \${password}\`)).status === "OK";
}
async function selectInbox(imap: Imap): Promise<number> {
  const r = await command(imap, "SELECT INBOX");
  if (r.status !== "OK") throw new Error(\`SELECT answered \${r.status}\`);
  const exists = r.lines.map((l) => /^\\* (\\d+) EXISTS$/i.exec(l)).find((m) => m);
  return Number(exists![1]);
}`,
    "unread-solution": `async function unreadSubjects(address: { host: string; port: number }, user: string, password: string): Promise<string[]> {
  const imap = await connectImap(address);
  try {
    if (!(await login(imap, user, password))) throw new Error("LOGIN was refused");
    await selectInbox(imap);
    const unseen = await searchUnseen(imap);
    const subjects = new Map<number, string>();
    if (unseen.length > 0) {
      const r = await command(imap, \`FETCH \${unseen.join(",")} (BODY[HEADER.FIELDS (SUBJECT)])\`);
      for (const line of r.lines) {
        const m = /^\\* (\\d+) FETCH [^]*?\\}\\r\\n([^]*)$/i.exec(line);
        const field = m && /^Subject:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)/im.exec(m[2]);
        if (m) subjects.set(Number(m[1]), decodeWords((field?.[1] ?? "").replace(/\\r\\n/g, "").trim()));
      }
    }
    await command(imap, "LOGOUT");
    return unseen.map((n) => subjects.get(n) ?? "");
  } finally {
    imap.socket.destroy();
  }
}`,
  },
  points: {
    // Bob's plain password passes, and so does the wrong one; the hidden password with a space and a quote is BAD unquoted.
    "imap-login-check": 1.33,
    // The subjects pass on both servers (2 checks), and so does an INBOX with nothing unread; both "still unread"
    // checks fail, and so does the hidden one on Dovecot (its messages were marked read by the first look).
    "unread-check": 2,
  },
};
export default partial;
