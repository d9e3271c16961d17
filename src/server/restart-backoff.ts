// When the supervisor (cluster.ts) restarts a worker that died.

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;
/** A worker that ran this long before dying was healthy: its next crash counts as the first. */
export const HEALTHY_AFTER_MS = 30_000;

/**
 * The wait before restarting a worker after its `crashes`-th crash in a row: none
 * the first time (a crash must not become an outage), then 1 s doubling up to a
 * minute while it keeps crashing, so a crash loop does not spin.
 */
export function restartDelayMs(crashes: number): number {
  if (crashes <= 1) return 0;
  return Math.min(FIRST_BACKOFF_MS * 2 ** (crashes - 2), MAX_BACKOFF_MS);
}
