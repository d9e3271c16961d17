import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/client/backoff.js';

describe('Backoff', () => {
  it('doubles from min without jitter and stops after maxAttempts', () => {
    const b = new Backoff({ min: 100, max: 10_000, factor: 2, jitter: 0, maxAttempts: 5 });
    const delays = [b.next(), b.next(), b.next(), b.next(), b.next(), b.next()];
    expect(delays).toEqual([100, 200, 400, 800, 1600, null]);
    expect(b.attempts).toBe(5);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('caps at max', () => {
    const b = new Backoff({ min: 1000, max: 3000, jitter: 0, maxAttempts: 10 });
    const delays = Array.from({ length: 5 }, () => b.next());
    expect(delays).toEqual([1000, 2000, 3000, 3000, 3000]);
  });

  it('spreads delays with jitter but stays within [min, max]', () => {
    for (const r of [0, 0.25, 0.5, 0.99]) {
      const b = new Backoff({
        min: 100,
        max: 10_000,
        jitter: 0.5,
        maxAttempts: 20,
        random: () => r,
      });
      for (let i = 0; i < 20; i++) {
        const d = b.next();
        expect(d).not.toBeNull();
        expect(d!).toBeGreaterThanOrEqual(100);
        expect(d!).toBeLessThanOrEqual(10_000);
      }
    }
    const low = new Backoff({ jitter: 0.5, random: () => 0 });
    const high = new Backoff({ jitter: 0.5, random: () => 0.999 });
    low.next();
    high.next();
    expect(low.next()).toBeLessThan(high.next()!);
  });
});
