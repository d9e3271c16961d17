/**
 * A token bucket: `capacity` tokens, refilled continuously at `ratePerSec`.
 * Time is passed in so callers on a hot path can share one clock read.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly ratePerSec: number,
    now: number = performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now: number = performance.now()): boolean {
    const elapsed = now - this.last;
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSec) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until `take` can succeed; 0 when it can now. */
  msUntilToken(now: number = performance.now()): number {
    const tokens = this.tokens + ((now - this.last) * this.ratePerSec) / 1000;
    return tokens >= 1 ? 0 : ((1 - tokens) * 1000) / this.ratePerSec;
  }

  /** True once the bucket has refilled completely, i.e. it carries no state worth keeping. */
  isFull(now: number = performance.now()): boolean {
    return this.tokens + ((now - this.last) * this.ratePerSec) / 1000 >= this.capacity;
  }
}
