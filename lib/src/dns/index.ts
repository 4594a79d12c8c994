/**
 * What the DNS lessons see of dns/ (through `import … from "applayer"`): the
 * names a notebook calls or names, and the main piece of each layer. Everything
 * else stays inside; code of this project imports it from its own file.
 *
 * The folders are layers, each importing only those below it (test/house.test.ts):
 *   wire           the message and its records as bytes and text, zone files, limits
 *   dnssec         keys, signing, validation and the denial proofs (RFC 4033–4035, 5155)
 *   transport      sockets: a query's exchange over UDP/TCP, the servers' endpoint, cookies
 *   authoritative  answering from zones (sans-I/O Authority, then the server around it)
 *   resolver       resolving through the hierarchy (sans-I/O Resolution, caches, live Resolver)
 *   world          whole hierarchies: the textbook's on loopback, its signed copy, the synthetic one
 *   attacks        poisoning, amplification and reflection floods, run against the layers below
 *   charts         the lessons' pictures of the above
 */

// wire
export { MAX_LABEL_LENGTH, MAX_NAME_LENGTH, UDP_PAYLOAD_DEFAULT, UDP_PAYLOAD_MAX, TCP_MESSAGE_MAX } from "./wire/limits";
export { DnsMessage, DnsRecord, DnsQuestion, FLAGS, DO_BIT, RCODES, Rcode, rcodeOf, decodeMessage, encodeMessage, nameKey, isInZone } from "./wire/codec";
export { compressMessage } from "./wire/compress";
export { RECORD_TYPES, RecordType, RRTuple, fqdn, formatRdata, rrTuple, formatRecord, summarizeMessage, flagNames, formatMessage } from "./wire/records";
export { Zone, parseZone, parseRecords } from "./wire/zone";
export { Nsec3, base32hex } from "./wire/nsec3-rdata";
export { HEADER_FLAG_BITS, annotateMessage } from "./wire/annotate";

// dnssec
export { DnssecAlgorithm, Dnskey, Ds, ZoneKey, keyTag, dsFromDnskey, generateZoneKey } from "./dnssec/keys";
export { canonicalName, canonicalRdata, canonicalRrset, compareNames, typeNumber } from "./dnssec/canonical";
export { Rrsig, signedData, signZone } from "./dnssec/sign";
export { nsec3Hash } from "./dnssec/nsec3";
export { Validation, publicKeyOf, rrsetOf, rrsigsOf, validateRrset } from "./dnssec/validate";
export { ChainStep, ChainValidator } from "./dnssec/chain";

// transport
export { Exchange, ExchangeOptions, exchange, digCommand, Lookup, lookup } from "./transport/client";

// authoritative
export { Authority, AnswerKind } from "./authoritative/authority";
export { DnsServer, DnsServerOptions, serveDns } from "./authoritative/server";
export { UpdateMessage, sendUpdate } from "./authoritative/update";

// resolver
export { DnsCache } from "./resolver/cache";
export { Resolution, AuthoritySection } from "./resolver/resolution";
export { Resolver, Resolved, ResolverOptions, serveResolver } from "./resolver/resolver";

// world
export { World, WorldOptions, WORLD_RESOLVER_ADDRESS, startWorld, describeWorld, traceWorld, linkWorld, messagesByLevel } from "./world/textbook";
export { SEEDED_WINDOW, signHierarchy } from "./world/signed";
export { judgeChain, ChainJudgement } from "./world/chain-judge";
export { SyntheticWorld, syntheticWorld } from "./world/synthetic";
export { LoadResult, simulateLoad } from "./world/load";
export { ANYCAST_CITIES, AnycastCity, AnycastOptions, AnycastResult, anycastRoot, cityRttMs } from "./world/anycast";

// attacks
export { amplificationOf } from "./attacks/amplification";
export { reflectionFlood } from "./attacks/flood";
export { raceOdds, kaminskyRace } from "./attacks/poisoning";
export { forgeryLab, ForgeryLabOptions, ForgeryLabResult, KAMINSKY_LAB, kaminskyLab, KaminskyLab, KaminskyLabOptions, KaminskyLabRun } from "./attacks/forgery";

// charts
export { loadByLevelChart, hourlyLoadChart, ttlSweepChart, stalenessChart } from "./charts/load";
export { raceChart, poisoningOverTimeChart, amplificationChart, outageChart, warmthChart, chainDiagram } from "./charts/security";
export { anycastLoadChart } from "./charts/anycast";
