/**
 * applayer — the Internet's application layer, running on real sockets.
 * Notebooks import everything from here: `import { serveUdpUpper, show } from "applayer"`.
 */
export * from "./errors";
export * from "./net/address";
export * from "./net/clock";
export * from "./net/lifecycle";
export * from "./net/network";
export * from "./net/framing";
export * from "./sim/random";
export * from "./sim/clock";
export * from "./sim/network";
export * from "./charts/render";
export * from "./charts/specs";
export * from "./charts/sequence";
export * from "./charts/display";
export * from "./lab/kernel";
export * from "./lab/trace";
export * from "./lab/hexdump";
export * from "./lab/progress";
export * from "./lab/check";
export * from "./sockets/limits";
export * from "./sockets/uppercase";
export * from "./sockets/udp-upper";
export * from "./sockets/tcp-upper";
export * from "./sockets/relay";
export * from "./sockets/pinger";
export * from "./sockets/charts";
export * from "./sockets/stream";
export * from "./dns/limits";
export * from "./dns/codec";
export * from "./dns/records";
export * from "./dns/zone";
export * from "./dns/authority";
export * from "./dns/server";
export * from "./dns/transport";
export * from "./dns/cache";
export * from "./dns/resolution";
export * from "./dns/client";
export * from "./dns/resolver";
export * from "./dns/world";
export * from "./dns/update";
export * from "./dns/load";
export * from "./dns/annotate";
export * from "./dns/charts";
export * from "./dns/packet-cache";
