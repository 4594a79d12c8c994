import { isIP } from "node:net";
import { AppLayerError } from "../errors";

/** Where a socket is: an IPv4 address and a port. */
export interface Address {
  host: string;
  port: number;
}

/** The default host of every lesson server: loopback, never all interfaces. */
export const DEFAULT_HOST = "127.0.0.1";

/** `"127.0.0.1:5300"` — the form the CLI prints and `dig @H -p N` takes apart. */
export function formatAddress(a: Address): string {
  return `${a.host}:${a.port}`;
}

/**
 * Parses `"H:N"` (or `"N"` alone, meaning 127.0.0.1:N). Lessons run on loopback
 * only, so any host outside 127.0.0.0/8 is refused with `NOT_LOOPBACK`.
 *
 * @example parseAddress("127.0.0.2:53") // { host: "127.0.0.2", port: 53 }
 */
export function parseAddress(text: string, defaultHost = DEFAULT_HOST): Address {
  const m = /^(?:([^:]+):)?(\d{1,5})$/.exec(text.trim());
  if (!m) {
    throw new AppLayerError("BAD_ADDRESS", `"${text}" is not HOST:PORT (for example 127.0.0.1:5300)`, { text });
  }
  const host = m[1] ?? defaultHost;
  const port = Number(m[2]);
  if (port > 65535) throw new AppLayerError("BAD_ADDRESS", `port ${port} is above 65535`, { text });
  assertLoopback(host);
  return { host, port };
}

/** Throws `NOT_LOOPBACK` unless `host` is an IPv4 address in 127.0.0.0/8. */
export function assertLoopback(host: string): void {
  if (isIP(host) !== 4 || !host.startsWith("127.")) {
    throw new AppLayerError(
      "NOT_LOOPBACK",
      `${host} is not a loopback address: lesson servers use 127.0.0.0/8 only (try 127.0.0.1)`,
      { host },
    );
  }
}
