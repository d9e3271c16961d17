import type Database from 'better-sqlite3';

/**
 * Indexes new messages for search in batches instead of in each message's own
 * commit (README "Performance"). FTS5 writes a new index segment at every commit
 * and merges them as they pile up, so with a commit per message or per small
 * group-commit batch the index cost 12 to 15% of a delivery's CPU. A stored
 * message instead leaves its rowid in `search_pending`, in its own transaction,
 * and the pending messages are indexed together once there are `batchSize` of
 * them or `delayMs` has passed.
 *
 * Nothing is missed or corrupted:
 * - a crash leaves the pending rows, indexed at the next start;
 * - the store flushes before anything that reads or changes the index (a search,
 *   an edit or delete, whose triggers remove an entry by its tokens, a purge, a
 *   rebuild), inside that operation's transaction or just before it.
 */
export class SqliteSearchBatcher {
  private pending: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly pend: Database.Statement<[number | bigint]>;
  private readonly index: Database.Statement<[]>;
  private readonly clear: Database.Statement<[]>;
  private readonly flushTx: () => void;

  constructor(
    private readonly db: Database.Database,
    private readonly batchSize: number,
    private readonly delayMs: number,
  ) {
    this.pend = db.prepare('INSERT INTO search_pending (message_rowid) VALUES (?)');
    // One statement: FTS5 gathers the batch's terms in memory and writes one segment.
    // A message deleted since it was stored has nothing to index.
    this.index = db.prepare(
      `INSERT INTO messages_fts (rowid, body)
       SELECT m.rowid, parley_index_text(m.content)
       FROM search_pending p JOIN messages m ON m.rowid = p.message_rowid
       WHERE m.deleted_at IS NULL
       ORDER BY p.message_rowid`,
    );
    this.clear = db.prepare('DELETE FROM search_pending');
    this.flushTx = db.transaction(() => this.flushHere());
    // Left by a crash (or a stop mid-batch): indexed now, before anything reads the index.
    this.pending = 0;
    this.recount();
    this.flush();
  }

  /** Inside the transaction storing the message whose rowid this is. */
  add(rowid: number | bigint): void {
    this.pend.run(rowid);
    this.pending++;
  }

  /** After that transaction committed: indexes now if the batch is full, else soon. */
  committed(): void {
    if (this.pending >= this.batchSize) {
      this.flush();
    } else if (this.pending > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Indexes every pending message, in its own transaction. */
  flush(): void {
    if (this.pending === 0) return;
    this.flushTx();
  }

  /** Indexes every pending message inside the caller's transaction. */
  flushHere(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    this.index.run();
    this.clear.run();
    this.pending = 0;
  }

  /** After a transaction that flushed here rolled back: its pending rows are back. */
  recount(): void {
    this.pending = this.db.prepare('SELECT count(*) FROM search_pending').pluck().get() as number;
  }

  /** Before the connection closes: nothing is left for the next start. */
  close(): void {
    if (this.db.open) this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
