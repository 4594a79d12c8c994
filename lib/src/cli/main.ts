#!/usr/bin/env node
import { parseArgs } from "node:util";
import { isAppLayerError } from "../errors";
import type { Command } from "./command";

/**
 * The command groups, each loaded only when one of its commands runs (or for the
 * whole help): `applayer download` does not load the DNS, mail and grading code,
 * which was half of every command's start-up (80 ms, where `node -e 0` takes 40).
 * test/cli/main.test.ts checks each group's names against the commands it loads.
 */
export const GROUPS: Array<{ names: string[]; load: () => Command[] }> = [
  { names: ["udp-upper", "tcp-upper", "relay", "ping"], load: () => (require("./sockets") as typeof import("./sockets")).socketCommands },
  { names: ["mail-server", "send"], load: () => (require("./mail") as typeof import("./mail")).mailCommands },
  { names: ["dnssec", "dns-server", "dns-resolver", "dns-world", "dig"], load: () => (require("./dns") as typeof import("./dns")).dnsCommands },
  { names: ["torrent", "tracker", "seed", "download", "swarm"], load: () => (require("./p2p") as typeof import("./p2p")).p2pCommands },
  { names: ["course"], load: () => (require("./course") as typeof import("./course")).courseCommands },
  { names: ["hub"], load: () => (require("./class") as typeof import("./class")).classCommands },
];

function help(): string {
  const commands = GROUPS.flatMap((g) => g.load());
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "usage: applayer <command> [options]",
    "",
    "Every server binds loopback only, prints 'listening on H:N' once bound, and exits 0 on SIGINT/SIGTERM.",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n  ${" ".repeat(width)}    ${c.name} ${c.usage}`),
    "",
    "applayer <command> --help shows one command.",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = GROUPS.find((g) => g.names.includes(name))?.load().find((c) => c.name === name);
  if (!command) {
    console.error(`applayer: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: applayer ${command.name} ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals ?? false });
    return (await command.run(values, positionals)) ?? 0;
  } catch (e) {
    const msg = isAppLayerError(e) ? `${e.message} [${e.code}]` : (e as Error).message;
    console.error(`applayer ${command.name}: ${msg}\nusage: applayer ${command.name} ${command.usage}`);
    return isAppLayerError(e) || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
