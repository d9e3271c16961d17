// Where each room's messages are, by seq: the room_seq table (migration 110), which
// history, resume, unread counts and the purge read by. Written in bulk after the
// messages' commit instead of inside it.
import type Database from 'better-sqlite3';
import { CommitBacklog } from './sqlite-backlog.js';

/** How long a new message may wait for its room_seq entry. */
const DELAY_MS = 1_000;
/**
 * Entries waiting at most; one more writes them at once. The gain is entries per
 * room per write: 5,000 over the ingest cell's 500 rooms are ten to a room's page.
 */
const MAX_PENDING = 5_000;

/** A committed message room_seq does not have yet. */
export interface Unplaced {
  rowid: number | bigint;
  /** The room's rowid. */
  room: number;
  seq: number;
}

const THROUGH = 'room_seq_through';

/**
 * Kept in a room's order, an entry lands at that room's end of the index: a
 * commit of 450 messages over 500 rooms wrote about 600 of its 700 pages there,
 * one per room, and bare tables with that index cost about three times as much
 * per stored row as without it (`npx tsx bench/message-layout.ts`). Written a
 * few thousand at a time, room by room, each room's page is written once for all
 * of its entries there.
 *
 * Nothing reads room_seq past this backlog: history, resume, unread counts and
 * the purge write what waits first (`flush`). After a crash,
 * the messages stored since the last write are placed at start (`recover`):
 * every message with a rowid up to room_seq_through (in parley_meta) has its
 * entry. Rowids are taken in commit order, and a purge that deletes the newest
 * rows lowers the mark, since SQLite may give their rowids again.
 */
export class SqliteRoomIndex extends CommitBacklog<Unplaced> {
  private readonly placeTx: (entries: readonly Unplaced[]) => void;
  private readonly unplacedTail: Database.Statement<[], Unplaced>;
  private readonly lowerMark: Database.Statement<[]>;

  constructor(db: Database.Database) {
    // OR IGNORE: another store on this file (`npm run bump-epoch` beside a running
    // server) may have placed some at its start (`recover`).
    const place = db.prepare<[number, number, number | bigint]>(
      'INSERT OR IGNORE INTO room_seq (room, seq, msg) VALUES (?, ?, ?)',
    );
    const raiseMark = db.prepare<[number | bigint, number | bigint]>(
      `UPDATE parley_meta SET value = ? WHERE key = '${THROUGH}' AND CAST(value AS INTEGER) < ?`,
    );
    const placeTx = db.transaction((entries: readonly Unplaced[]) => {
      // Room by room: each room's end of the index is found once and filled.
      // Within a room they come in seq order already.
      const byRoom = new Map<number, Unplaced[]>();
      let last: number | bigint = 0;
      for (const e of entries) {
        const list = byRoom.get(e.room);
        if (list) list.push(e);
        else byRoom.set(e.room, [e]);
        if (e.rowid > last) last = e.rowid;
      }
      for (const list of byRoom.values()) for (const e of list) place.run(e.room, e.seq, e.rowid);
      raiseMark.run(last, last);
    });
    super(placeTx, DELAY_MS, MAX_PENDING);
    this.placeTx = placeTx;
    this.unplacedTail = db.prepare(
      `SELECT m.rowid, r.rowid AS room, m.seq FROM messages m JOIN rooms r ON r.id = m.room_id
        WHERE m.rowid > (SELECT CAST(value AS INTEGER) FROM parley_meta WHERE key = '${THROUGH}')
        ORDER BY m.rowid`,
    );
    this.lowerMark = db.prepare(
      `UPDATE parley_meta SET value = (SELECT coalesce(max(rowid), 0) FROM messages)
        WHERE key = '${THROUGH}'
          AND CAST(value AS INTEGER) > (SELECT coalesce(max(rowid), 0) FROM messages)`,
    );
  }

  /** At start: places the messages a crash left waiting. */
  recover(): void {
    const missing = this.unplacedTail.all();
    if (missing.length > 0) this.placeTx(missing);
  }

  /**
   * Inside a purge's transaction, after it deleted messages: a new message may
   * take a deleted one's rowid when it was the newest, so the mark comes down to
   * the newest left.
   */
  purged(): void {
    this.lowerMark.run();
  }
}
