import { describe, expect, it } from 'vitest';
import { restartDelayMs } from '../../src/server/restart-backoff.js';

describe('restartDelayMs', () => {
  it('restarts at once after the first crash, then backs off while crashes continue', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(restartDelayMs)).toEqual([
      0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it('never waits more than a minute', () => {
    expect(restartDelayMs(1_000)).toBe(60_000);
  });
});
