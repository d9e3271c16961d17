/** Options of {@link Backoff}; every field has a default. */
export interface BackoffOptions {
  /** Base delay of the first attempt, in ms. @default 100 */
  min?: number;
  /** Largest delay, in ms. @default 10_000 */
  max?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Random spread around the delay, 0..1 (0.5 means ±50 %). @default 0.5 */
  jitter?: number;
  /** Quick (exponential) attempts; after them come slow ones, or none. @default 5 */
  maxAttempts?: number;
  /**
   * Shortest delay of the slow attempts that follow the quick ones, in ms. Without
   * `slowMin` there are none: `next()` returns null once the quick attempts are used.
   */
  slowMin?: number;
  /** Longest delay of a slow attempt, in ms. @default slowMin * 2 */
  slowMax?: number;
  /** Source of randomness, for tests. @default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff with jitter (after socket.io's backo2): attempt k waits
 * about `min * factor^k` ms, capped at `max`, spread by `jitter` so that many
 * clients cut off at once do not all come back in the same millisecond. After
 * `maxAttempts` quick attempts it either stops or, with `slowMin`, keeps going
 * forever at a delay drawn evenly from [slowMin, slowMax] (full jitter over that
 * window: a long outage must not end with every client knocking at once).
 */
export class Backoff {
  readonly min: number;
  readonly max: number;
  readonly factor: number;
  readonly jitter: number;
  readonly maxAttempts: number;
  readonly slowMin: number | undefined;
  readonly slowMax: number | undefined;
  private readonly random: () => number;
  private count = 0;

  constructor(opts: BackoffOptions = {}) {
    this.min = opts.min ?? 100;
    this.max = opts.max ?? 10_000;
    this.factor = opts.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.random = opts.random ?? Math.random;
    if (opts.slowMin !== undefined) {
      this.slowMin = Math.max(0, opts.slowMin);
      this.slowMax = Math.max(this.slowMin, opts.slowMax ?? this.slowMin * 2);
    }
  }

  /** Attempts used since the last reset (quick and slow). */
  get attempts(): number {
    return this.count;
  }

  /** Whether the quick attempts are used up, so the next delay is a slow one (or none). */
  get exhausted(): boolean {
    return this.count >= this.maxAttempts;
  }

  /** The delay before the next attempt (and counts it), or null once every attempt is used. */
  next(): number | null {
    if (this.exhausted) {
      if (this.slowMin === undefined || this.slowMax === undefined) return null;
      this.count++;
      return Math.round(this.slowMin + this.random() * (this.slowMax - this.slowMin));
    }
    const base = Math.min(this.max, this.min * this.factor ** this.count);
    this.count++;
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.round(Math.min(this.max, Math.max(this.min, base + spread)));
  }

  reset(): void {
    this.count = 0;
  }
}
