import { parseArgs } from "node:util";
import { AppLayerError } from "../errors";
import { formatAddress, Address } from "../net/address";
import { Closable } from "../net/lifecycle";

/** One `applayer` subcommand. */
export interface Command {
  name: string;
  summary: string;
  /** The options line shown by --help, e.g. "--port N [--host H]". */
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  /** Positional arguments allowed. */
  positionals?: boolean;
  run(values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number | void>;
}

/** Reads a numeric option, with a clear error naming the option. */
export function intOption(value: unknown, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new AppLayerError("BAD_ARGUMENT", `--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AppLayerError("BAD_ARGUMENT", `--${name} must be a whole number, not "${value}"`);
  return n;
}

/** The largest TCP or UDP port number (RFC 793, RFC 768: 16 bits). */
export const MAX_PORT = 65_535;

/**
 * Reads a port option: a whole number from 0 (any free port) to 65535. Node would
 * wrap 99999 to 34463 and listen there without a word, so it is refused here.
 */
export function portOption(value: unknown, name: string, fallback?: number): number {
  const port = intOption(value, name, fallback);
  if (port > MAX_PORT) throw new AppLayerError("BAD_ARGUMENT", `--${name} must be a port from 0 to ${MAX_PORT}, not ${port}`);
  return port;
}

/**
 * The one way every server of the CLI runs: print `listening on H:N` once bound
 * (one line per service, prefixed with its name when there are several), then wait
 * for SIGINT or SIGTERM, close everything, and exit 0.
 */
export async function serveUntilSignalled(services: Array<{ name?: string; address: Address; server: Closable }>): Promise<number> {
  // Handlers first: whoever reads "listening on" may signal at once.
  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  for (const s of services) console.log(`${s.name ? `${s.name} ` : ""}listening on ${formatAddress(s.address)}`);
  const signal = await signalled;
  await Promise.all(services.map((s) => s.server.close()));
  console.error(`${signal}: closed, bye`);
  return 0;
}
