/**
 * The BitTorrent peer's limits and tuning, each with its reason. The wire's own
 * limits (message length, request length) are in wire.ts beside the codec; the
 * choker's slots and rounds in choker.ts, shared with the swarm simulator.
 */

/**
 * Retries of the first announce when the tracker cannot be reached, before a
 * download that has no peer gives up with TRACKER_UNREACHABLE. BEP 3 says nothing;
 * clients back off (libtorrent: 5 s growing by 250 %), but a lesson's tracker is on
 * the same machine: if it is not there after a few seconds, it was not started.
 */
export const TRACKER_RETRIES = 4;
/** The wait before the first retry; each further retry waits twice as long (0.5 + 1 + 2 + 4 = 7.5 s in all). */
export const TRACKER_RETRY_MS = 500;
