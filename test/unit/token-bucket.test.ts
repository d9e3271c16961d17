import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/server/util/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst of `capacity`, then refills at the rate', () => {
    const bucket = new TokenBucket(3, 10, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.take(50)).toBe(false); // half a token
    expect(bucket.take(100)).toBe(true); // one token after 100 ms at 10/s
    expect(bucket.isFull(100)).toBe(false);
    expect(bucket.isFull(10_000)).toBe(true);
  });

  it('never holds more than its capacity', () => {
    const bucket = new TokenBucket(2, 100, 0);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('tells how long until the next token', () => {
    const bucket = new TokenBucket(2, 20, 0);
    expect(bucket.msUntilToken(0)).toBe(0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.msUntilToken(0)).toBe(50); // one token every 50 ms at 20/s
    expect(bucket.msUntilToken(30)).toBeCloseTo(20);
    expect(bucket.msUntilToken(50)).toBe(0);
    expect(bucket.take(50)).toBe(true);
  });
});
