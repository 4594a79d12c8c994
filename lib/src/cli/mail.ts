import { readFileSync } from "node:fs";
import { isAppLayerError } from "../errors";
import { parseAddress } from "../net/address";
import { startMailServer } from "../mail/mail-server";
import { composeMessage } from "../message/message";
import { sendMail } from "../smtp/client";
import { staticMx } from "../smtp/queue";
import { Command, portOption, serveUntilSignalled } from "./command";

/** The e-mail lesson's commands. */
export const mailCommands: Command[] = [
  {
    name: "mail-server",
    summary: "one domain's mail server: SMTP into per-user Maildirs, submission, IMAP, POP3, webmail (try: swaks --server H:N --to bob@DOMAIN)",
    usage: "--domain D --data DIR --user NAME:PASSWORD [--user …] [--host H] [--smtp-port N] [--submission-port N] [--imap-port N] [--pop3-port N] [--http-port N] [--mx DOMAIN=HOST:PORT …]",
    options: {
      domain: { type: "string" }, data: { type: "string" }, user: { type: "string", multiple: true }, host: { type: "string" },
      "smtp-port": { type: "string" }, "submission-port": { type: "string" }, "imap-port": { type: "string" }, "pop3-port": { type: "string" },
      "http-port": { type: "string" }, mx: { type: "string", multiple: true },
    },
    async run(v) {
      if (typeof v.domain !== "string" || typeof v.data !== "string") throw new Error("--domain and --data are required");
      const optionalPort = (name: string) => (v[name] === undefined ? undefined : portOption(v[name], name));
      const server = await startMailServer({
        domain: v.domain, dataDir: v.data, users: (v.user as string[] | undefined) ?? [], host: v.host as string | undefined, smtpPort: portOption(v["smtp-port"], "smtp-port", 0),
        submissionPort: optionalPort("submission-port"),
        imapPort: optionalPort("imap-port"),
        pop3Port: optionalPort("pop3-port"),
        httpPort: optionalPort("http-port"),
        mx: staticMx(Object.fromEntries(((v.mx as string[] | undefined) ?? []).map((m) => {
          const [d, a] = m.split("=");
          if (!a) throw new Error(`--mx wants DOMAIN=HOST:PORT, not "${m}"`);
          return [d.toLowerCase(), parseAddress(a)];
        }))),
        onDelivery: (e) => console.error(`queue ${e.id}: ${e.to} ${e.outcome} (${e.detail})`),
      });
      // close() stops every service of the mail server, and may be called for each of them.
      return serveUntilSignalled(server.services.map((s) => ({ name: s.name, address: s.address, server })));
    },
  },
  {
    name: "send",
    summary: "send one message with the lib's SMTP client; prints the server's reply (non-zero exit on failure)",
    usage: "--server H:N --from A --to B [--to …] --subject S (--body TEXT | --file MSG.eml) [--user U:P] [--starttls]",
    options: {
      server: { type: "string" }, from: { type: "string" }, to: { type: "string", multiple: true }, subject: { type: "string" },
      body: { type: "string" }, file: { type: "string" }, user: { type: "string" }, starttls: { type: "boolean" },
    },
    async run(v) {
      const to = (v.to as string[] | undefined) ?? [];
      if (typeof v.from !== "string" || !to.length) throw new Error("--from and at least one --to are required");
      const message = typeof v.file === "string" ? readFileSync(v.file) : composeMessage({ from: v.from, to, subject: String(v.subject ?? ""), body: String(v.body ?? "") });
      const auth = typeof v.user === "string" ? { user: v.user.slice(0, v.user.indexOf(":")), password: v.user.slice(v.user.indexOf(":") + 1) } : undefined;
      try {
        const r = await sendMail({ server: parseAddress(String(v.server ?? "")), from: v.from, to, message, auth, starttls: v.starttls ? "always" : "never" });
        console.log(`${r.reply.code} ${r.reply.enhanced ?? ""} ${r.reply.lines.join(" ")}`.replace(/\s+/g, " "));
        for (const x of r.refused) console.log(`refused ${x.to}: ${x.reply.code} ${x.reply.lines.join(" ")}`);
        return r.refused.length ? 1 : 0;
      } catch (e) {
        if (!isAppLayerError(e, "SMTP_REPLY")) throw e;
        console.log(e.message);
        if (e.detail.reply === 538) console.log("hint: add --starttls to encrypt the connection before logging in");
        return 1;
      }
    },
  },
];
