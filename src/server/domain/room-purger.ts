import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ChatStore } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';

/** Rows per purge transaction: a few milliseconds of work, like one group commit. */
export const PURGE_SLICE_ROWS = 2_000;
/** Wait before trying again after a failed slice (the database may be down). */
const RETRY_MS = 5_000;

export interface RoomPurgerOptions {
  sliceRows?: number;
  retryMs?: number;
}

/**
 * Removes what deleted rooms leave behind, in slices. Deleting a room only marks
 * it (one small transaction; the room is gone for everyone at once); this purger
 * then deletes its messages `sliceRows` at a time and lets the event loop run
 * between slices, so a room of a million messages never stalls the other rooms.
 * Started at boot too: a purge cut short by a crash or restart goes on from there.
 */
export class RoomPurger {
  private readonly sliceRows: number;
  private readonly retryMs: number;
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
    this.sliceRows = opts.sliceRows ?? PURGE_SLICE_ROWS;
    this.retryMs = opts.retryMs ?? RETRY_MS;
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
      while (!this.stopped) {
        const removed = await this.store.purgeSlice(this.sliceRows);
        if (removed === 0) break;
        total += removed;
        // Let every other room's sends, reads and timers through between slices.
        await nextTurn();
      }
      if (total > 0) this.log.info({ rows: total }, 'purged deleted rooms');
    } catch (error) {
      this.log.error({ err: error, rows: total }, 'purging deleted rooms failed; will retry');
      if (!this.stopped) {
        this.retry = setTimeout(() => this.kick(), this.retryMs);
        this.retry.unref();
      }
    }
  }
}
