import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ChatStore } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';

export interface RoomPurgerOptions {
  /**
   * Time one slice may take. SQLite runs on the event loop, so this is the longest
   * pause a purge adds for everyone else: about one ordinary commit. @default 8
   */
  sliceMs?: number;
  /** Rows in the first slice; later ones adapt to `sliceMs`. @default 500 */
  startRows?: number;
  /** @default 50 */
  minRows?: number;
  /** @default 5000 */
  maxRows?: number;
  /** Wait before trying again after a failed slice (the database may be down). @default 5000 */
  retryMs?: number;
  /**
   * Deletes up to `limit` files of deleted rooms (blobs, then their rows) and
   * resolves with how many; runs before each slice of messages, because a room's
   * row stays until its files are gone (AttachmentService.purgeDeletedRooms).
   */
  purgeFiles?: (limit: number) => Promise<number>;
}

/**
 * Removes what deleted rooms leave behind, in slices. Deleting a room only marks
 * it (one small transaction; the room is gone for everyone at once); this purger
 * then deletes its messages a slice at a time and lets the event loop run between
 * slices, so a room of a million messages never stalls the other rooms. Slices are
 * sized by time, not rows: the cost of a row varies (SQLite's page cache, WAL
 * checkpoints, a PostgreSQL round trip), the pause should not.
 * Started at boot too: a purge cut short by a crash or restart goes on from there.
 */
export class RoomPurger {
  private readonly opts: Required<Omit<RoomPurgerOptions, 'purgeFiles'>>;
  private readonly purgeFiles: ((limit: number) => Promise<number>) | undefined;
  private rows: number;
  private running: Promise<void> | null = null;
  /** Set when a deletion arrives while a run is finishing: run once more. */
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ChatStore,
    private readonly log: Logger,
    opts: RoomPurgerOptions = {},
  ) {
    this.opts = {
      sliceMs: 8,
      startRows: 500,
      minRows: 50,
      maxRows: 5_000,
      retryMs: 5_000,
      ...opts,
    };
    this.purgeFiles = opts.purgeFiles;
    this.rows = this.opts.startRows;
  }

  /** Starts purging if it is not running already; call after marking a room deleted. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) this.kick();
    });
  }

  /** Resolves when the current run (if any) is over (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops after the slice in progress; the rest is picked up at the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.idle();
  }

  private async run(): Promise<void> {
    this.again = false;
    let total = 0;
    try {
      // Not in the turn of the deletion itself: its answer goes out first.
      await nextTurn();
      while (!this.stopped) {
        const started = performance.now();
        const files = this.purgeFiles ? await this.purgeFiles(this.rows) : 0;
        const removed = files + (await this.store.purgeSlice(this.rows));
        if (removed === 0) break;
        total += removed;
        this.adapt(performance.now() - started);
        // Let every other room's sends, reads and timers through between slices.
        await nextTurn();
      }
      if (total > 0) this.log.info({ rows: total }, 'purged deleted rooms');
    } catch (error) {
      this.log.error({ err: error, rows: total }, 'purging deleted rooms failed; will retry');
      if (!this.stopped) {
        this.retry = setTimeout(() => this.kick(), this.opts.retryMs);
        this.retry.unref();
      }
    }
  }

  /** Halves the slice after one that ran over time, grows it after a quick one. */
  private adapt(ms: number): void {
    const { sliceMs, minRows, maxRows } = this.opts;
    if (ms > sliceMs) this.rows = Math.max(minRows, Math.floor(this.rows / 2));
    else if (ms < sliceMs / 2) this.rows = Math.min(maxRows, Math.ceil(this.rows * 1.25));
  }
}
