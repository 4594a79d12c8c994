import { Address } from "../net/address";
import { Network } from "../net/network";
import { lookup } from "../dns/transport/client";
import { MxLookup } from "../smtp/queue";

/**
 * MX lookup through the lesson's DNS: ask a local DNS server for the domain's MX
 * records, most preferred (lowest number) first, then for each exchange's
 * address. Lesson mail servers listen on `smtpPort` (25 in the real world).
 *
 * @example const mx = dnsMx({ host: "127.53.0.53", port: world.port }, 2525);
 */
export function dnsMx(resolver: Address, smtpPort = 25, network?: Network): MxLookup {
  return async (domain) => {
    const mx = (await lookup(domain, "MX", { server: resolver, network })).records
      .filter((r) => r.type === "MX")
      .map((r) => r.value.split(" "))
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    const hosts: Address[] = [];
    for (const [, exchange] of mx) {
      const a = (await lookup(exchange, "A", { server: resolver, network })).records.find((r) => r.type === "A");
      if (a) hosts.push({ host: a.value, port: smtpPort });
    }
    return hosts;
  };
}
