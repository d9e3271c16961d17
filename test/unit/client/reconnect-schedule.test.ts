import { describe, expect, it } from 'vitest';
import { reconnectSchedule } from '../../../src/client/reconnect-schedule.js';
import { RECONNECT_BACKOFF } from '../../../src/client/room-session.js';
import { memoryStorage, StorageKeys } from '../../../src/client/storage.js';
import { describeState } from '../../../src/client/ui/views/status.js';

describe('reconnect schedule', () => {
  it('ships with 5 quick attempts, then an attempt every 30–60 s for ever', () => {
    expect(RECONNECT_BACKOFF).toMatchObject({ maxAttempts: 5, slowMin: 30_000, slowMax: 60_000 });
    expect(reconnectSchedule(memoryStorage())).toBe(RECONNECT_BACKOFF);
  });

  it('the test hook shortens the four delays only, never below 100 ms', () => {
    const store = memoryStorage();
    store.setItem(
      StorageKeys.testReconnect,
      JSON.stringify({ min: 200, max: 0, slowMin: 500, slowMax: 'x', maxAttempts: 1, jitter: 5 }),
    );
    expect(reconnectSchedule(store)).toEqual({
      ...RECONNECT_BACKOFF,
      min: 200,
      max: 100,
      slowMin: 500,
    });
  });

  it('ignores a hook that is not a JSON object', () => {
    const store = memoryStorage();
    for (const raw of ['{', 'null', '42', '"fast"']) {
      store.setItem(StorageKeys.testReconnect, raw);
      expect(reconnectSchedule(store)).toEqual(RECONNECT_BACKOFF);
    }
  });
});

describe('connection banner text', () => {
  it('after the quick attempts says Disconnected, counts down to the next slow attempt and offers Retry', () => {
    const now = 1_000_000;
    const t = describeState(
      { kind: 'gave_up', code: 1006, reason: '', retryAt: now + 41_200 },
      now,
    );
    expect(t).toMatchObject({ short: 'Disconnected', tone: 'bad', retry: 'retry' });
    expect(t.long).toContain('Trying again in 42s.');
    const slowAttempt = describeState({ kind: 'connecting', attempt: 9, maxAttempts: 5 }, now);
    expect(slowAttempt.long).toBe('Disconnected. Trying to reach the server…');
    expect(slowAttempt.long).not.toMatch(/attempt \d+ of/);
    const quick = describeState({ kind: 'connecting', attempt: 3, maxAttempts: 5 }, now);
    expect(quick.long).toContain('attempt 3 of 5');
  });
});
