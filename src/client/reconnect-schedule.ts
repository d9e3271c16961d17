// The reconnection schedule a room uses, and the one test hook that shortens it.
import type { BackoffOptions } from './backoff.js';
import { type KeyValueStore, readJson, StorageKeys } from './storage.js';

/**
 * Reconnection schedule of the web client: about 1, 2, 4, 8 and 10 s (±50 %), so
 * five quick attempts cover a server restart of ~25 s. Starting at 100 ms (the
 * Backoff default) would spend all five attempts in ~3 s, shorter than a typical
 * restart. After them a tab keeps trying every 30–60 s (evenly spread, so a long
 * outage does not end in a stampede) for as long as it is open: a tab left alone
 * must not stay "Disconnected" for ever after an outage.
 */
export const RECONNECT_BACKOFF: BackoffOptions = {
  min: 1_000,
  max: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: 5,
  slowMin: 30_000,
  slowMax: 60_000,
};

/** Shortest delay the test hook may set: even a tampered tab cannot hammer the server. */
const FLOOR_MS = 100;
const FIELDS = ['min', 'max', 'slowMin', 'slowMax'] as const;

/**
 * RECONNECT_BACKOFF, unless a browser test shortened it. Tests cannot wait out
 * 30–60 s between slow attempts, so before the page loads they store e.g.
 * `{"min":200,"max":400,"slowMin":500,"slowMax":800}` under `parley:test:reconnect`
 * in localStorage. Only those four delays are read, each a number of at least
 * 100 ms; the number of quick attempts and everything else stay as shipped.
 * Nothing in the app writes this key: someone who sets it by hand only changes
 * how eagerly their own tab retries.
 */
export function reconnectSchedule(store: KeyValueStore): BackoffOptions {
  const raw = readJson<Record<string, unknown>>(store, StorageKeys.testReconnect);
  if (typeof raw !== 'object' || raw === null) return RECONNECT_BACKOFF;
  const schedule: BackoffOptions = { ...RECONNECT_BACKOFF };
  for (const field of FIELDS) {
    const v = raw[field];
    if (typeof v === 'number' && Number.isFinite(v)) schedule[field] = Math.max(FLOOR_MS, v);
  }
  return schedule;
}
