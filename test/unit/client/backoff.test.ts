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

  it('after the quick attempts keeps going for ever at slow delays spread over [slowMin, slowMax]', () => {
    let r = 0;
    const b = new Backoff({
      min: 100,
      jitter: 0,
      maxAttempts: 2,
      slowMin: 30_000,
      slowMax: 60_000,
      random: () => r,
    });
    expect([b.next(), b.next()]).toEqual([100, 200]);
    expect(b.exhausted).toBe(true);
    const slow: (number | null)[] = [];
    for (const x of [0, 0.5, 0.999, 0, 0.25]) {
      r = x;
      slow.push(b.next());
    }
    // Full jitter over the window: each slow delay anywhere in it, never null.
    expect(slow).toEqual([30_000, 45_000, 59_970, 30_000, 37_500]);
    expect(b.attempts).toBe(7);
    for (let i = 0; i < 1000; i++) expect(b.next()).not.toBeNull();
    b.reset();
    expect(b.exhausted).toBe(false);
    expect(b.next()).toBe(100);
  });

  it('without slowMin stops after the quick attempts; slowMax defaults to twice slowMin', () => {
    const stop = new Backoff({ maxAttempts: 1, jitter: 0 });
    expect([stop.next(), stop.next(), stop.next()]).toEqual([100, null, null]);
    const slow = new Backoff({ maxAttempts: 0, slowMin: 1000, random: () => 0.999 });
    expect(slow.slowMax).toBe(2000);
    expect(slow.next()).toBe(1999);
    // A window given upside down is read as a single delay, not a negative spread.
    const odd = new Backoff({ maxAttempts: 0, slowMin: 5000, slowMax: 10, random: () => 0.9 });
    expect(odd.next()).toBe(5000);
  });
});
