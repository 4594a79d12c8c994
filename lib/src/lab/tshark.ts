import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { AppLayerError } from "../errors";

/** How long tshark may take to read one capture, ms: a lesson's capture takes well under a second. */
export const TSHARK_TIMEOUT_MS = 20_000;

/**
 * How many readings tsharkFields keeps, the oldest forgotten first. Each tshark
 * run costs about half a second of CPU, most of it loading the dissectors, and a
 * lesson's Wireshark checks ask the same question of the same file several times.
 */
export const TSHARK_READINGS_KEPT = 64;

/** Readings by file (its path, size, change time and inode) and question: a file written again is read again. */
const readings = new Map<string, Promise<string[][]>>();

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
 * filter or a field name is not one tshark knows. The same question of the same
 * file, unchanged, is answered from the last reading (TSHARK_READINGS_KEPT).
 *
 * @example
 * const rows = await tsharkFields(fixturePath("captures/34-dns-messages-dns.pcapng"), "dns.flags.rcode == 3", ["dns.id", "udp.srcport"]);
 * // [["0x713d", "53"]]
 */
export function tsharkFields(file: string, filter: string, fields: readonly string[]): Promise<string[][]> {
  if (fields.length === 0) return Promise.reject(new AppLayerError("BAD_ARGUMENT", "tsharkFields needs at least one field to read"));
  const args = ["-r", file, "-Y", filter, "-T", "fields", "-E", "separator=\t", ...fields.flatMap((f) => ["-e", f])];
  let key: string;
  try {
    const s = statSync(file);
    key = JSON.stringify([resolvePath(file), s.size, s.mtimeMs, s.ctimeMs, s.ino, args]);
  } catch {
    return readCapture(file, filter, fields, args); // tshark says why it cannot be read
  }
  let reading = readings.get(key);
  if (!reading) {
    reading = readCapture(file, filter, fields, args);
    readings.set(key, reading);
    reading.catch(() => readings.delete(key));
    if (readings.size > TSHARK_READINGS_KEPT) readings.delete(readings.keys().next().value!);
  }
  // Each caller gets rows of its own, free to change.
  return reading.then((rows) => rows.map((row) => [...row]));
}

/** One tshark run over the file: its rows, or the CAPTURE_READ error that says why not. */
function readCapture(file: string, filter: string, fields: readonly string[], args: string[]): Promise<string[][]> {
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
