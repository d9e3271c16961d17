// The SQLite store's WAL upkeep: the checkpointer thread, started once the database
// is busy, and emptying the WAL after erasures. Its own state, apart from the queries.
import type Database from 'better-sqlite3';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/**
 * WAL size, in pages, at which a commit checkpoints on its own. SQLite's default
 * (1,000) made every third or so commit of a busy server copy pages and fsync
 * on the event loop; a checkpoint copies each page once however often it changed,
 * so a larger WAL is much less work per message. With the checkpointer thread
 * this is only the bound for when that thread falls behind.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const CHECKPOINT_INTERVAL_MS = 250;
/** How long a statement waits for another connection's lock (backups, the checkpointer). */
export const BUSY_TIMEOUT_MS = 5000;
const CHECKPOINTER_AFTER_MESSAGES = 500;

export class SqliteWal {
  private checkpointer: SqliteCheckpointer | null = null;
  /** Messages still to store before the checkpointer starts; -1 once started or never. */
  private untilCheckpointer = -1;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: SqliteStoreOptions,
  ) {
    if (opts.path !== ':memory:' && this.checkpointInterval() > 0) {
      this.untilCheckpointer = opts.checkpointerAfterMessages ?? CHECKPOINTER_AFTER_MESSAGES;
    }
  }

  private checkpointInterval(): number {
    return this.opts.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
  }

  /** Starts the checkpointer thread once the database is busy (a thread costs a start-up). */
  countStored(n: number): void {
    if (this.untilCheckpointer < 0) return;
    this.untilCheckpointer -= n;
    if (this.untilCheckpointer > 0) return;
    this.startCheckpointer();
  }

  private startCheckpointer(): SqliteCheckpointer {
    this.untilCheckpointer = -1;
    const synchronous = this.opts.synchronous === 'full' ? 'FULL' : 'NORMAL';
    this.checkpointer = new SqliteCheckpointer(
      this.opts.path,
      synchronous,
      this.checkpointInterval(),
      () => this.truncateWal(),
    );
    return this.checkpointer;
  }

  /**
   * After messages were erased (deleted, or purged with their room): secure_delete
   * zeroed them in the pages the next checkpoint copies into the file, but their
   * old page images are still in the WAL, so it is emptied: the checkpointer
   * thread copies every frame, then `truncateWal` (started now if the database
   * was quiet).
   */
  scrub(): void {
    if (this.opts.path === ':memory:') return;
    if (this.checkpointInterval() > 0) {
      (this.checkpointer ?? this.startCheckpointer()).scrub();
      return;
    }
    // No thread configured: on the event loop, as every checkpoint then is.
    this.truncateWal();
  }

  /**
   * Empties the WAL, from the writer's connection between transactions. Never
   * waits: with a reader on an old snapshot (a backup) it is busy, and the
   * checkpointer is asked again.
   */
  private truncateWal(): void {
    if (!this.db.open) return;
    this.db.pragma('busy_timeout = 0');
    try {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy !== 0) this.checkpointer?.scrub();
    } catch {
      // An I/O error here fails no request; the next delete tries again.
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Whether the checkpointer thread runs (tests, through SqliteStore). */
  get checkpointing(): boolean {
    return this.checkpointer !== null;
  }

  /** Stops the checkpointer thread, before the store closes its own connection. */
  async close(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    this.untilCheckpointer = -1;
    await checkpointer?.stop();
  }
}
