// New messages on their way into the SQLite search index (FTS5), indexed in
// batches after their commit instead of inside it.
import type Database from 'better-sqlite3';
import { indexText } from '../../protocol/search-text.js';
import { CommitBacklog } from './sqlite-backlog.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** How long a new message may wait for the index. */
const DELAY_MS = 250;
/**
 * Messages waiting at most; one more indexes them at once. 450 take about 1.5 ms
 * here (`npx tsx bench/micro.ts`), less than a busy commit of 450 spent on the
 * index before, so a high rate stalls the event loop no longer than it did.
 */
const MAX_PENDING = 500;

/** A committed message the index does not have yet. */
export interface Unindexed {
  rowid: number | bigint;
  content: string;
}

/**
 * FTS5 writes its pending terms as a new segment at every commit and merges
 * segments as they pile up: in a commit of one message, 7 of its 12 pages and
 * half its CPU were the index's. So a message is indexed after its commit, with
 * the others of the next quarter second, in one transaction of their own.
 *
 * Nothing reads or changes the index past this backlog:
 * - a search, an edit or delete (whose triggers take a message's old tokens out
 *   of the index) and a purge index what waits first (`flush`);
 * - after a crash, what the index misses is indexed at start (`recover`).
 *
 * Messages are indexed in rowid order, so the index holds every message up to
 * its newest entry; `recover` takes the tail after it. A deleted newest entry
 * puts indexed messages back in that tail: indexing skips a rowid the index
 * holds.
 */
export class SqliteSearchBacklog extends CommitBacklog<Unindexed> {
  private readonly indexTx: (entries: readonly Unindexed[]) => void;
  private readonly unindexedTail: Database.Statement<[], Unindexed>;

  constructor(db: Database.Database, stmts: SqliteStatements) {
    const indexTx = db.transaction((entries: readonly Unindexed[]) => {
      // Entries come in rowid order. Another store on this file (`npm run
      // bump-epoch` beside a running server) may have indexed some at its start
      // (`recover`), as may this one's after a deleted newest entry. One range
      // query for the batch: a NOT EXISTS per row made indexing about four times
      // dearer (`npx tsx bench/micro.ts`).
      const first = (entries[0] as Unindexed).rowid;
      const last = (entries[entries.length - 1] as Unindexed).rowid;
      const indexed = new Set(stmts.indexedIn.all(first, last));
      for (const e of entries) {
        if (indexed.size > 0 && indexed.has(Number(e.rowid))) continue;
        stmts.index.run(e.rowid, indexText(e.content));
      }
    });
    super(indexTx, DELAY_MS, MAX_PENDING);
    this.indexTx = indexTx;
    this.unindexedTail = db.prepare(
      `SELECT rowid, content FROM messages
        WHERE rowid > coalesce((SELECT max(id) FROM messages_fts_docsize), 0)
          AND deleted_at IS NULL
        ORDER BY rowid`,
    );
  }

  /** At start: indexes the messages a crash left out of the index. */
  recover(): void {
    const missing = this.unindexedTail.all();
    if (missing.length > 0) this.indexTx(missing);
  }
}
