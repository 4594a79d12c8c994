/**
 * Reading a capture as Wireshark does: tshark (Debian's package) dissects it, with
 * IPv4, UDP and TCP checksum validation on, and we look at every frame.
 */
import { run } from "./helpers";
import { tsharkFields } from "../lib/src/lab/tshark";

/** One frame as tshark dissected it. */
export interface Frame {
  number: number;
  /** The protocol stack, such as ["eth", "ethertype", "ip", "tcp", "smtp"]. */
  protocols: string[];
  /** Payload bytes above TCP or UDP. */
  payload: number;
  /** For a TCP segment of a PDU that spans several segments: the frame where it is put together. */
  reassembledIn?: number;
  /** Expert-info severities (Wireshark's numbers: 0x800000 is an error). */
  severities: number[];
  /** Set when TCP analysis flagged something: a retransmission, an ACK of unseen data, … */
  tcpAnalysis: boolean;
}

const FIELDS = ["frame.number", "frame.protocols", "tcp.len", "udp.length", "tcp.reassembled_in", "_ws.expert.severity", "tcp.analysis.flags"];
const CHECKSUMS = ["ip.check_checksum:TRUE", "tcp.check_checksum:TRUE", "udp.check_checksum:TRUE"].flatMap((o) => ["-o", o]);
export const EXPERT_ERROR = 0x800000;

/** Every frame of a capture file, dissected by tshark in two passes (so a segment knows the frame its PDU is reassembled in), checksums validated. */
export async function dissect(file: string, filter?: string): Promise<Frame[]> {
  const args = ["-2", "-r", file, ...CHECKSUMS, "-T", "fields", "-E", "separator=\t", ...FIELDS.flatMap((f) => ["-e", f]), ...(filter ? ["-Y", filter] : [])];
  const out = await run("tshark", args, "", { timeoutMs: 60_000 });
  return out.split("\n").filter(Boolean).map((line) => {
    const [number, protocols, tcpLen, udpLen, reassembled, severity, analysis] = line.split("\t");
    return {
      number: Number(number),
      protocols: protocols.split(":"),
      payload: tcpLen ? Number(tcpLen) : udpLen ? Number(udpLen) - 8 : 0,
      reassembledIn: reassembled ? Number(reassembled) : undefined,
      severities: severity ? severity.split(",").map(Number) : [],
      tcpAnalysis: analysis !== undefined && analysis !== "",
    };
  });
}

/** Values of one field, one entry per frame that has it (several values in one frame are joined by ","). */
export async function fieldValues(file: string, field: string, filter?: string): Promise<string[]> {
  return (await tsharkFields(file, filter ?? "", [field])).map(([value]) => value).filter(Boolean);
}

/**
 * What is wrong with a capture, frame by frame: a malformed packet, an expert
 * error (bad checksum, a reassembly error), TCP numbers that do not add up, or a
 * frame with payload that no application protocol claims (and that is not part
 * of a PDU put together in a later frame).
 */
export function captureProblems(frames: Frame[]): string[] {
  const problems: string[] = [];
  for (const f of frames) {
    const stack = f.protocols.join(":");
    if (f.protocols.includes("_ws.malformed")) problems.push(`frame ${f.number}: malformed (${stack})`);
    if (f.severities.some((s) => s >= EXPERT_ERROR)) problems.push(`frame ${f.number}: expert error (${stack})`);
    if (f.tcpAnalysis) problems.push(`frame ${f.number}: TCP analysis flagged it (${stack})`);
    const transport = Math.max(f.protocols.lastIndexOf("tcp"), f.protocols.lastIndexOf("udp"));
    if (f.payload > 0 && transport === f.protocols.length - 1 && f.reassembledIn === undefined) problems.push(`frame ${f.number}: ${f.payload} payload bytes no protocol claims (${stack})`);
  }
  return problems;
}
