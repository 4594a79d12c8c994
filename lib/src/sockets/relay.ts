import { Address, formatAddress } from "../net/address";
import { Closable, ListenOptions } from "../net/lifecycle";
import { DatagramSocket, Network, loopback } from "../net/network";
import { Random } from "../sim/random";
import { AppLayerError } from "../errors";
import { RELAY_MAX_DELAY_MS } from "./limits";

/** How the relay mistreats datagrams, in both directions. */
export interface Impairment {
  /** Probability in [0, 1] that a datagram is dropped. */
  loss?: number;
  /** Fixed delay added to every datagram. */
  delayMs?: number;
  /**
   * Extra random delay in [0, jitterMs), drawn for each datagram: when it exceeds the
   * gap between two sends, the later datagram overtakes the earlier one (reordering).
   * delayMs + jitterMs is at most RELAY_MAX_DELAY_MS.
   */
  jitterMs?: number;
  /** Seed of the relay's random choices: the same seed drops the same datagrams. */
  seed?: number;
}

/** A running lossy relay; see {@link startRelay}. */
export interface Relay extends Closable {
  readonly address: Address;
  readonly stats: { forwarded: number; dropped: number };
}

/**
 * A UDP relay that makes a perfect loopback behave like the Internet: clients send
 * to the relay, which passes each datagram on to `target` — or drops it, or holds
 * it back — and does the same to the replies. Each client gets its own upstream
 * socket, so the target's replies find their way back (as through a NAT).
 *
 * A loss outside [0, 1], or a delay that is negative or longer than RELAY_MAX_DELAY_MS
 * in all, throws BAD_ARGUMENT before anything is bound.
 *
 * @example
 * const relay = await startRelay({ target: server.address, loss: 0.3, delayMs: 5, jitterMs: 10, seed: 1 });
 * await udpUpperRequest("hi", { server: relay.address, timeoutMs: 200 }); // may time out: that's the lesson
 */
export async function startRelay(options: ListenOptions & Impairment & { target: Address; network?: Network }): Promise<Relay> {
  checkImpairment(options);
  const network = options.network ?? loopback;
  const rng = new Random(options.seed ?? 1);
  const stats = { forwarded: 0, dropped: 0 };
  const front = await network.openUdp(options);
  const upstreams = new Map<string, Promise<DatagramSocket>>();

  const pass = (via: DatagramSocket, data: Uint8Array, to: Address) => {
    if (rng.chance(options.loss ?? 0)) {
      stats.dropped++;
      return;
    }
    const delay = (options.delayMs ?? 0) + (options.jitterMs ? rng.next() * options.jitterMs : 0);
    network.clock.setTimer(() => {
      stats.forwarded++;
      via.send(data, to);
    }, delay);
  };

  front.onMessage(async (data, client) => {
    const key = formatAddress(client);
    let upstream = upstreams.get(key);
    if (!upstream) {
      upstream = network.openUdp({ host: front.address.host }).then((s) => {
        s.onMessage((reply, from) => {
          if (from.host === options.target.host && from.port === options.target.port) pass(front, reply, client);
        });
        return s;
      });
      upstreams.set(key, upstream);
    }
    pass(await upstream, data, options.target);
  });

  return {
    address: front.address,
    stats,
    async close() {
      await front.close();
      await Promise.all([...upstreams.values()].map(async (s) => (await s).close()));
    },
  };
}

/** Refuses an impairment the relay cannot apply: a loss that is not a probability, a delay that is negative or too long. */
function checkImpairment(o: Impairment): void {
  const loss = o.loss ?? 0;
  const delay = o.delayMs ?? 0;
  const jitter = o.jitterMs ?? 0;
  if (!(loss >= 0 && loss <= 1)) throw new AppLayerError("BAD_ARGUMENT", `relay: loss must be a probability in [0, 1], not ${loss}`);
  if (!(delay >= 0 && jitter >= 0)) throw new AppLayerError("BAD_ARGUMENT", `relay: delayMs and jitterMs cannot be negative (${delay}, ${jitter})`);
  if (delay + jitter > RELAY_MAX_DELAY_MS) throw new AppLayerError("BAD_ARGUMENT", `relay: delayMs + jitterMs is ${delay + jitter} ms, more than RELAY_MAX_DELAY_MS (${RELAY_MAX_DELAY_MS} ms)`);
}
