import { AppLayerError } from "../errors";
import { findControlByte } from "../net/framing";

/**
 * The mailbox inside an SMTP path, `MAIL FROM:<mailbox>` and `RCPT TO:<mailbox>`
 * (RFC 5321 §4.1.2), checked the same way by the client before it writes a command
 * and by the server when it reads one.
 *
 * Why it matters: a client that pastes `alice@umass.edu>\r\nDATA\r\n…` into
 * `RCPT TO:<…>` has written three commands, not one — a second message with a forged
 * From. A `>` or a space would end the path early and add parameters
 * (`bob@umass.edu> NOTIFY=…`).
 */

/** Why `address` cannot be a mailbox in a path, or undefined if it can. `""` is the null sender, allowed only where `nullAllowed`. */
export function mailboxProblem(address: string, nullAllowed = false): string | undefined {
  if (address === "") return nullAllowed ? undefined : "it is empty (the null path <> is only for MAIL FROM)";
  const c = findControlByte(address);
  // RFC 5321 §4.1.2: a mailbox has no control characters; CR and LF would end the command line (§2.3.8).
  if (c) return `it holds the control byte 0x${c.byte.toString(16).padStart(2, "0")} at offset ${c.offset}`;
  // RFC 5321 §4.1.2: "<", ">" and spaces end the path or start parameters; they are not in a dot-string or a domain.
  if (/[<>\s]/.test(address)) return "it holds an angle bracket or a space";
  if (!/^[^@]+@[^@]+$/.test(address)) return "it is not of the form local-part@domain";
  return undefined;
}

/** `<alice@cs.umass.edu>` → `alice@cs.umass.edu`; `<>` (the null sender of bounces) → ""; undefined if it is no path. */
export function parsePath(text: string): string | undefined {
  const m = /^<([^<>]*)>$/.exec(text.trim());
  if (!m || mailboxProblem(m[1], true)) return undefined;
  return m[1];
}

/** The enhanced status a bad path gets, by command (RFC 3463 §3.2): X.1.7 a bad sender address, X.1.3 a bad recipient address. */
export const BAD_ADDRESS_STATUS: Record<string, string | undefined> = { MAIL: "5.1.7", RCPT: "5.1.3" };

/**
 * Returns `address` if it may go into `MAIL FROM:<…>` (`role` "from", which may be
 * the null sender "") or `RCPT TO:<…>` (`role` "to"); throws `MAIL_ADDRESS` otherwise.
 *
 * @example checkMailbox("bob@umass.edu", "to"); // "bob@umass.edu"
 * checkMailbox("alice@umass.edu>\r\nDATA", "to"); // throws MAIL_ADDRESS
 */
export function checkMailbox(address: string, role: "from" | "to"): string {
  const problem = mailboxProblem(address, role === "from");
  if (problem) throw new AppLayerError("MAIL_ADDRESS", `the ${role === "from" ? "sender" : "recipient"} address ${JSON.stringify(address.slice(0, 80))} is refused: ${problem} (RFC 5321 §4.1.2)`, { address, role, problem });
  return address;
}
