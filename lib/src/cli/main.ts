#!/usr/bin/env node
import { parseArgs } from "node:util";
import { isAppLayerError } from "../errors";
import { Command } from "./command";
import { socketCommands } from "./sockets";
import { dnsCommands } from "./dns";
import { mailCommands } from "./mail";
import { p2pCommands } from "./p2p";
import { courseCommands } from "./course";
import { classCommands } from "./class";

const commands: Command[] = [...socketCommands, ...mailCommands, ...dnsCommands, ...p2pCommands, ...courseCommands, ...classCommands];

function help(): string {
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
  const command = commands.find((c) => c.name === name);
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
