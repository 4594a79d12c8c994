import type * as Selfsigned from "selfsigned";

/** A private key and its certificate, PEM-encoded, as node:tls takes them. */
export interface Certificate {
  key: string;
  cert: string;
}

const made = new Map<string, Promise<Certificate>>();

/**
 * A self-signed certificate for `hostname` (and 127.0.0.1), made on the fly the
 * first time it is asked for and reused after that. It is valid for two days. Lesson
 * servers use it for STARTTLS; a client that wants to check it passes `cert` as its CA.
 *
 * @example
 * const { key, cert } = await selfSignedCertificate("mail.umass.edu");
 */
export function selfSignedCertificate(hostname: string): Promise<Certificate> {
  let c = made.get(hostname);
  if (!c) {
    // Loaded on first use: selfsigned and its X.509 library are half of the command line's start-up time.
    const { generate } = require("selfsigned") as typeof Selfsigned;
    c = generate([{ name: "commonName", value: hostname }], {
        keyType: "ec", // P-256: made in milliseconds, where RSA-2048 takes a quarter second
        notAfterDate: new Date(Date.now() + 2 * 86_400_000),
        extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: hostname }, { type: 7, ip: "127.0.0.1" }] }],
      }).then((p) => ({ key: p.private, cert: p.cert }));
    made.set(hostname, c);
  }
  return c;
}
