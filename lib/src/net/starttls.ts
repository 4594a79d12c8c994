import * as net from "node:net";
import * as tls from "node:tls";
import { AppLayerError } from "../errors";
import { Certificate } from "./certificate";

/**
 * The TLS context a server's STARTTLS (IMAP) or STLS (POP3) upgrades with, or
 * undefined when it was given no certificate (then it offers no upgrade). A server
 * told to take passwords only over TLS needs one.
 *
 * @example const context = starttlsContext(await selfSignedCertificate("mail.umass.edu"), true);
 */
export function starttlsContext(certificate: Certificate | undefined, requireTls = false): tls.SecureContext | undefined {
  if (requireTls && !certificate) throw new AppLayerError("BAD_ARGUMENT", "requireTls needs a certificate: pass certificate: await selfSignedCertificate(hostname)");
  return certificate && tls.createSecureContext(certificate);
}

/**
 * The server side of an upgrade in place: the go-ahead went out in the clear, and
 * from here the same TCP connection carries TLS records. `onData` moves from the
 * plain socket to the TLS one (it then gets decrypted bytes); `onSecure` runs once
 * the handshake is done. A failed handshake closes the connection.
 *
 * @example socket = upgradeToTls(plain, context, onData, () => session.tlsStarted());
 */
export function upgradeToTls(plain: net.Socket, context: tls.SecureContext | undefined, onData: (chunk: Buffer) => void, onSecure: () => void): tls.TLSSocket {
  plain.removeListener("data", onData);
  const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
  secure.on("error", () => plain.destroy());
  secure.once("secure", onSecure);
  secure.on("data", onData);
  return secure;
}
