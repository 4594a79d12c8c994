/**
 * Every error the lib throws is an {@link AppLayerError} with a stable `code`
 * from {@link ERROR_CODES}. Tests and exercise checks compare codes, never the
 * message text, so messages are free to explain what to do next.
 *
 * @example
 * try { await udpUpperRequest("hi", { server, timeoutMs: 100 }); }
 * catch (e) { if (isAppLayerError(e, "TIMEOUT")) console.log("no reply, try again"); }
 */
export const ERROR_CODES = {
  TIMEOUT: "no answer arrived within the time allowed",
  ABORTED: "the caller aborted the operation",
  BAD_ADDRESS: "an address was not of the form HOST:PORT on loopback",
  NOT_LOOPBACK: "a lesson server may only bind or talk to 127.0.0.0/8",
  LINE_TOO_LONG: "a line exceeded the protocol's limit",
  FRAME_TOO_LARGE: "a length-prefixed frame exceeded the limit",
  CONNECTION_CLOSED: "the peer closed the connection before answering",
  BAD_ARGUMENT: "a function or command was called with an invalid argument",
  SIM_UNREACHABLE: "the simulated network has no host or port at that address",
  CHART_RENDER: "a Vega-Lite spec could not be rendered",
  DNS_FORMAT: "a DNS message could not be decoded (truncated, bad pointer, lying counts, trailing bytes)",
  DNS_NAME: "a domain name breaks RFC 1035's limits (label over 63 octets, name over 255)",
  ZONE_SYNTAX: "a zone (master) file has a syntax error at the given line",
  SMTP_REPLY: "an SMTP server answered a command with a failure reply (4xx or 5xx)",
  SMTP_PROTOCOL: "an SMTP peer broke the protocol (a malformed or unexpected reply)",
  MAIL_ADDRESS: "an e-mail address is not an SMTP mailbox (RFC 5321 §4.1.2): a CR, LF, NUL or other control byte, a space or an angle bracket would inject commands or parameters; refused before anything was sent",
  COMMAND_INJECTION: "a command argument holds CR, LF, NUL or another control byte, which would end the command line and start another; refused before anything was sent",
  LOGIN_THROTTLED: "too many failed logins from this client or for this user: further attempts are refused for a while, even with the right password",
  MIME_LIMIT: "a message breaks a MIME limit (too many parts): refused rather than parsed",
  IMAP_REPLY: "an IMAP server answered a command with NO or BAD",
  IMAP_PROTOCOL: "an IMAP peer broke the protocol (a malformed response)",
  IMAP_REFUSED: "the IMAP server judging a student's client answered one of its commands with BAD or NO: the client sent a command the server would not take",
  POP3_REPLY: "a POP3 server answered a command with -ERR",
  WEBMAIL: "the webmail refused what a browser asked (a failed login, a page without its form): the HTTP status says which",
  BENCODE: "bencoded data is malformed (not canonical, unsorted keys, truncated, trailing bytes)",
  TORRENT: "a .torrent file is not valid metainfo (BEP 3)",
  TRACKER: "a tracker refused an announce (failure reason) or answered with something that is not a tracker response",
  TRACKER_UNREACHABLE: "a tracker could not be reached (connection refused or reset): is it started, and is the torrent's announce URL right?",
  PEER_WIRE: "a peer broke the BitTorrent wire protocol (bad handshake, bad message, wrong data)",
  JUDGE_HUNG_UP: "aria2c, judging a student's peer, hung up on it: the peer sent something aria2c would not accept",
  CAPTURE_READ: "tshark could not read a capture (no such file, a display filter or field it does not know, or tshark not installed)",
  NOTEBOOK: "a file is not a Jupyter notebook the course tools can read (not JSON, not nbformat 4, not a cell list)",
  GRADING: "a submission could not be graded (no matching source notebook, the wrong kernel, too big, a kernel that would not start)",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code (see {@link ERROR_CODES}) and optional detail. */
export class AppLayerError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = "AppLayerError";
    this.code = code;
    this.detail = detail;
  }
}

/** True when `e` is an {@link AppLayerError}, optionally with the given code. */
export function isAppLayerError(e: unknown, code?: ErrorCode): e is AppLayerError {
  return e instanceof AppLayerError && (code === undefined || e.code === code);
}
