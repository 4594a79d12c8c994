import { execFile } from "node:child_process";
import { AppLayerError } from "../errors";

/** How long tshark may take to read one capture, ms: a lesson's capture takes well under a second. */
export const TSHARK_TIMEOUT_MS = 20_000;

/**
 * Reads a capture the way Wireshark shows it: tshark (Debian's package) keeps
 * the frames `filter` (a Wireshark display filter) matches and gives the values
 * of `fields` in each, one row per frame, in the file's order. A field a frame
 * lacks is "", and a field a frame holds several times (two answers' addresses)
 * is its values joined by ",", as tshark prints them. This is how a lesson's
 * Wireshark questions are checked: the true answer is what Wireshark reads in
 * the recorded file, not what the code that made it meant to send.
 *
 * Throws CAPTURE_READ when tshark is missing, the file cannot be read, or the
 * filter or a field name is not one tshark knows.
 *
 * @example
 * const rows = await tsharkFields(fixturePath("captures/34-dns-messages-dns.pcapng"), "dns.flags.rcode == 3", ["dns.id", "udp.srcport"]);
 * // [["0x713d", "53"]]
 */
export function tsharkFields(file: string, filter: string, fields: readonly string[]): Promise<string[][]> {
  if (fields.length === 0) return Promise.reject(new AppLayerError("BAD_ARGUMENT", "tsharkFields needs at least one field to read"));
  const args = ["-r", file, "-Y", filter, "-T", "fields", "-E", "separator=\t", ...fields.flatMap((f) => ["-e", f])];
  return new Promise((resolve, reject) => {
    execFile("tshark", args, { timeout: TSHARK_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // tshark warns on stderr when it runs as root ("could be dangerous"); only a failed run counts.
      if (error) {
        const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "tshark is not installed (apt-get install tshark)" : stderr.trim().split("\n").filter((l) => !/Running as user/.test(l)).join(" ") || error.message;
        return reject(new AppLayerError("CAPTURE_READ", `tshark could not read ${file} with filter "${filter}": ${why}`, { file, filter, fields: [...fields] }));
      }
      const lines = stdout === "" ? [] : stdout.replace(/\n$/, "").split("\n"); // a frame that lacks every field is an empty line, kept
      resolve(lines.map((line) => line.split("\t")));
    });
  });
}
