import * as net from "node:net";
import * as tls from "node:tls";
import { AppLayerError } from "../errors";
import { Address, formatAddress } from "./address";
import { CallOptions, withDeadline } from "./lifecycle";

/**
 * The client side of one TCP connection, as the mail clients (SMTP, IMAP, POP3)
 * use it: connect with a deadline and an error that says what to do, count the
 * bytes each way, and upgrade to TLS in place (STARTTLS) — the protocol code
 * above sees the same stream of bytes before and after.
 *
 * @example
 * const ch = await Channel.connect("POP3", { server }, (bytes) => parser.push(bytes), (e) => fail(e));
 * ch.write("STAT\r\n");
 */
export class Channel {
  /** Bytes received and sent so far (after TLS: the plaintext bytes). */
  bytesIn = 0;
  bytesOut = 0;
  /** The server's certificate, once TLS is on. */
  peerCertificate?: tls.PeerCertificate;
  private socket: net.Socket;

  private constructor(
    socket: net.Socket,
    private readonly onData: (chunk: Buffer) => void,
    private readonly onEnd: (e: AppLayerError) => void,
    readonly server: Address,
    readonly what: string,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.onData(chunk);
    });
    socket.on("error", (e) => this.onEnd(new AppLayerError("CONNECTION_CLOSED", `${this.what} connection to ${formatAddress(this.server)} failed: ${e.message}`)));
    socket.on("close", () => this.onEnd(new AppLayerError("CONNECTION_CLOSED", `${this.what} server ${formatAddress(this.server)} closed the connection`)));
  }

  /** Opens a TCP connection (Nagle off: a command must leave at once, not wait for an ACK). */
  static connect(what: string, options: CallOptions & { server: Address }, onData: (chunk: Buffer) => void, onEnd: (e: AppLayerError) => void): Promise<Channel> {
    const where = formatAddress(options.server);
    return withDeadline(`${what} connect to ${where}`, { timeoutMs: 5000, ...options }, (signal) =>
      new Promise<Channel>((resolve, reject) => {
        const socket = net.connect({ host: options.server.host, port: options.server.port, noDelay: true });
        signal.addEventListener("abort", () => socket.destroy());
        socket.once("error", (e: NodeJS.ErrnoException) =>
          reject(new AppLayerError("CONNECTION_CLOSED", `cannot connect to ${where}: ${e.code === "ECONNREFUSED" ? `nothing is listening there (is the ${what} server started?)` : e.message}`)));
        socket.once("connect", () => resolve(new Channel(socket, onData, onEnd, options.server, what)));
      }),
    );
  }

  /** The local end, "127.0.0.1:50123". */
  get local(): string {
    return `${this.socket.localAddress}:${this.socket.localPort}`;
  }

  get encrypted(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    this.bytesOut += bytes.length;
    this.socket.write(bytes);
  }

  /**
   * Turns the connection into TLS (after the server said go ahead to STARTTLS).
   * Lesson servers use certificates made on the fly, so by default the certificate
   * is not checked against a CA; pass `ca` to check it.
   */
  startTls(options: { servername?: string; ca?: string | Buffer } = {}): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    plain.removeAllListeners("close");
    plain.removeAllListeners("error");
    plain.on("error", () => undefined);
    return new Promise((resolve, reject) => {
      const secure = tls.connect({ socket: plain, servername: options.servername, ca: options.ca, rejectUnauthorized: options.ca !== undefined }, () => {
        this.peerCertificate = secure.getPeerCertificate();
        resolve();
      });
      secure.once("error", (e) => reject(new AppLayerError("CONNECTION_CLOSED", `TLS handshake with ${formatAddress(this.server)} failed: ${e.message}`)));
      this.socket = secure;
      this.attach(secure);
    });
  }

  /** Says goodbye (QUIT, LOGOUT) and closes, even if the goodbye fails. */
  async closeAfter(goodbye: () => Promise<unknown>): Promise<void> {
    try {
      await goodbye();
    } finally {
      await this.close();
    }
  }

  /** Ends the connection (FIN) and resolves once it is closed. */
  close(): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", () => resolve());
      socket.end();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
