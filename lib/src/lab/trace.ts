import { Clock, realClock } from "../net/clock";

/** One arrow in a sequence diagram (or, with from === to, a note on one lifeline). */
export interface TraceEntry {
  /** Milliseconds since the trace started, on the trace's clock. */
  time: number;
  from: string;
  to: string;
  label: string;
  bytes?: number;
}

/** A readable one-line preview of a payload: printable ASCII kept, the rest as \xNN, cut at `max`. */
export function preview(data: Uint8Array | string, max = 40): string {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  let s = "";
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x0d) s += "\\r";
    else if (b === 0x0a) s += "\\n";
    else s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return bytes.length > max ? `${s}… (${bytes.length} bytes)` : s;
}

/**
 * Records who sent what to whom, in order, so a real exchange can be printed as a
 * transcript or drawn as a sequence diagram (see `sequenceDiagram`). Servers and
 * clients in the lib take an optional `trace` and record into it as they work.
 *
 * @example
 * const trace = new Trace();
 * trace.record("client", "server", "hello");
 * trace.record("server", "client", "HELLO");
 * console.log(trace.transcript());
 */
export class Trace {
  readonly entries: TraceEntry[] = [];
  private readonly start: number;
  constructor(private readonly clock: Clock = realClock, readonly maxEntries = 10_000) {
    this.start = clock.now();
  }

  /** Records a message from `from` to `to`. A byte payload is previewed as the label. */
  record(from: string, to: string, payload: Uint8Array | string): void {
    if (this.entries.length >= this.maxEntries) return;
    const label = typeof payload === "string" ? payload : preview(payload);
    const bytes = typeof payload === "string" ? undefined : payload.length;
    this.entries.push({ time: this.clock.now() - this.start, from, to, label, bytes });
  }

  /** Records an event on one lifeline, such as "connection opened". */
  note(at: string, label: string): void {
    this.record(at, at, label);
  }

  /**
   * Renames participants (say, an ephemeral "client 127.0.0.1:53817" to "Alice's
   * user agent"): `rename` gets each name and returns the new one, or the same.
   */
  rename(rename: (name: string) => string): this {
    for (const e of this.entries) {
      e.from = rename(e.from);
      e.to = rename(e.to);
    }
    return this;
  }

  /** The participants in order of first appearance: the columns of the diagram. */
  participants(): string[] {
    const seen = new Set<string>();
    for (const e of this.entries) {
      seen.add(e.from);
      seen.add(e.to);
    }
    return [...seen];
  }

  /** Messages sent plus received by each participant (notes excluded): the load each one carried. */
  messageCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.entries) {
      if (e.from === e.to) continue;
      counts.set(e.from, (counts.get(e.from) ?? 0) + 1);
      counts.set(e.to, (counts.get(e.to) ?? 0) + 1);
    }
    return counts;
  }

  /** The exchange as text, one line per entry: `  0.42 ms  client → server  hello`. */
  transcript(): string {
    return this.entries
      .map((e) => {
        const t = `${e.time.toFixed(2).padStart(8)} ms  `;
        return e.from === e.to ? `${t}[${e.from}] ${e.label}` : `${t}${e.from} → ${e.to}  ${e.label}`;
      })
      .join("\n");
  }
}
