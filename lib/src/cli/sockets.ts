import { Address, parseAddress } from "../net/address";
import { Closable, ListenOptions } from "../net/lifecycle";
import { serveTcpUpper } from "../sockets/tcp-upper";
import { serveUdpUpper } from "../sockets/udp-upper";
import { startRelay } from "../sockets/relay";
import { formatPing, formatReport, ping } from "../sockets/pinger";
import { Command, intOption, portOption, serveUntilSignalled } from "./command";

const listenOptions = { host: { type: "string" }, port: { type: "string" } } as const;

/** `udp-upper` and `tcp-upper`: the same options, a different transport. */
function upperCommand(name: string, summary: string, serve: (o: ListenOptions) => Promise<Closable & { address: Address }>): Command {
  return {
    name,
    summary,
    usage: "--port N [--host H]",
    options: listenOptions,
    async run(v) {
      const server = await serve({ host: v.host as string | undefined, port: portOption(v.port, "port") });
      return serveUntilSignalled([{ address: server.address, server }]);
    },
  };
}

/** The socket-programming lesson's commands. */
export const socketCommands: Command[] = [
  upperCommand("udp-upper", "UDP uppercase server (try: printf 'hi' | nc -u -w1 127.0.0.1 N)", serveUdpUpper),
  upperCommand("tcp-upper", "TCP uppercase server (try: printf 'hi\\n' | nc -N 127.0.0.1 N)", serveTcpUpper),
  {
    name: "relay",
    summary: "lossy, delaying UDP relay in front of a UDP server",
    usage: "--target H:N --port N [--host H] [--loss P] [--delay MS] [--jitter MS] [--seed S]",
    options: { ...listenOptions, target: { type: "string" }, loss: { type: "string" }, delay: { type: "string" }, jitter: { type: "string" }, seed: { type: "string" } },
    async run(v) {
      const relay = await startRelay({
        host: v.host as string | undefined,
        port: portOption(v.port, "port"),
        target: parseAddress(String(v.target ?? "")),
        loss: Number(v.loss ?? 0),
        delayMs: Number(v.delay ?? 0),
        jitterMs: Number(v.jitter ?? 0),
        seed: intOption(v.seed, "seed", 1),
      });
      return serveUntilSignalled([{ address: relay.address, server: relay }]);
    },
  },
  {
    name: "ping",
    summary: "UDP pinger against an uppercase/echo server",
    usage: "H:N [--count N] [--timeout MS] [--interval MS]",
    positionals: true,
    options: { count: { type: "string" }, timeout: { type: "string" }, interval: { type: "string" } },
    async run(v, args) {
      const report = await ping({
        target: parseAddress(args[0] ?? ""),
        count: intOption(v.count, "count", 10),
        timeoutMs: intOption(v.timeout, "timeout", 1000),
        intervalMs: intOption(v.interval, "interval", 0),
        onPing: (p) => console.log(formatPing(p)),
      });
      console.log(formatReport(report));
      return report.received > 0 ? 0 : 1;
    },
  },
];
