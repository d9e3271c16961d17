import type { RawData } from 'ws';
import { TokenBucket } from '../util/token-bucket.js';

export interface FrameThrottleOptions {
  /** Frames per second a connection may have processed, and how many at once after a pause. */
  ratePerSec: number;
  burst: number;
  /** Throttled without a break for this long: `overLimit`. 0 never gives up on a connection. */
  maxThrottledMs: number;
}

/** What the throttle drives: the socket's reading, the frame handler, the verdict. */
export interface ThrottleTarget {
  pauseReading(): void;
  resumeReading(): void;
  process(data: RawData, isBinary: boolean): void;
  /** Throttled for `maxThrottledMs` without a break; the throttle has stopped and dropped its queue. */
  overLimit(): void;
  /** Frames started (true) or stopped (false) waiting in the queue. */
  backlog(waiting: boolean): void;
}

interface Queued {
  data: RawData;
  isBinary: boolean;
}

/** Compact the queue once this many processed entries sit at its head. */
const COMPACT_AT = 1024;

/**
 * Rate limiting that slows a sender down instead of dropping its frames. A frame
 * with a token is processed at once; otherwise reading from the socket pauses
 * (TCP backpressure slows the client) and the frame waits in order for its token,
 * with every frame after it. Reading resumes once the queue is empty.
 *
 * The queue is bounded: frames still arrive after the pause only from data ws
 * already took from the socket (one read, at most 64 KiB, plus a partial frame).
 */
export class FrameThrottle {
  private readonly bucket: TokenBucket;
  private readonly tokenMs: number;
  private queue: Queued[] = [];
  /** Index of the next frame to process; entries before it are done. */
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  /** Reading was paused since the last `takeHeld` (the heartbeat's question). */
  private heldSinceCheck = false;
  /** When the current stretch of throttling began; null when not throttled. */
  private throttledSince: number | null = null;
  /** When the queue last ran empty. */
  private drainedAt = 0;
  private stopped = false;

  constructor(
    private readonly opts: FrameThrottleOptions,
    private readonly target: ThrottleTarget,
  ) {
    this.bucket = new TokenBucket(opts.burst, opts.ratePerSec);
    this.tokenMs = 1000 / opts.ratePerSec;
  }

  /** Frames waiting for a token. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  push(data: RawData, isBinary: boolean): void {
    if (this.stopped) return;
    const now = performance.now();
    if (this.head === this.queue.length) {
      // Throttling ends once the queue has stayed empty for a token's time: the client paused.
      if (this.throttledSince !== null && now - this.drainedAt >= this.tokenMs) {
        this.throttledSince = null;
      }
      if (this.bucket.take(now)) {
        this.target.process(data, isBinary);
        return;
      }
    }
    this.queue.push({ data, isBinary });
    if (this.timer !== null) return;
    // The first frame to wait: stop reading until the queue is empty again.
    this.throttledSince ??= now;
    this.paused = true;
    this.heldSinceCheck = true;
    this.target.pauseReading();
    this.target.backlog(true);
    this.schedule(now);
  }

  /** True when reading was held back at any time since the last call. */
  takeHeld(): boolean {
    const held = this.heldSinceCheck;
    this.heldSinceCheck = this.paused;
    return held;
  }

  /** Processes every queued frame now, tokens or not, and accepts no more (shutdown). */
  flush(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    while (this.head < this.queue.length) {
      const frame = this.queue[this.head++] as Queued;
      this.target.process(frame.data, frame.isBinary);
    }
    this.reset();
  }

  /** Drops the queue and accepts no more frames; reading stays paused. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    this.reset();
  }

  private readonly drain = (): void => {
    this.timer = null;
    const now = performance.now();
    while (this.head < this.queue.length && this.bucket.take(now)) {
      const frame = this.queue[this.head] as Queued;
      this.queue[this.head++] = undefined as unknown as Queued; // let it be collected
      this.target.process(frame.data, frame.isBinary);
      if (this.stopped) return;
    }
    if (this.head === this.queue.length) {
      this.reset();
      this.drainedAt = now;
      this.paused = false;
      this.target.resumeReading();
      return;
    }
    const since = this.throttledSince ?? now;
    if (this.opts.maxThrottledMs > 0 && now - since >= this.opts.maxThrottledMs) {
      this.stop();
      this.target.overLimit();
      return;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.schedule(now);
  };

  private schedule(now: number): void {
    const wait = Math.max(1, Math.ceil(this.bucket.msUntilToken(now)));
    this.timer = setTimeout(this.drain, wait);
    // At shutdown the gateway flushes the queue; a timer alone must not keep the process up.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private reset(): void {
    const had = this.queue.length > 0;
    this.queue = [];
    this.head = 0;
    if (had) this.target.backlog(false);
  }
}
