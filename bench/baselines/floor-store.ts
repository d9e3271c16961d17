// The floor's storage (server kind `floor`): what persisting each message costs on
// SQLite, done the cheapest correct way and nothing more. Parley's own migrations make
// the file, so the table, its indexes and the search index are Parley's; each
// event-loop turn's messages are then written in one transaction (the rows, each
// room's newest seq) with the same pragmas and durability as Parley's store, and
// only then delivered. Like Parley's, the search index takes
// new messages after their commit, 500 at a time or every 250 ms, in a transaction of
// its own (FTS5 writes a segment per transaction: per turn would cost more in small
// rooms), and room_seq (where history finds a room's messages) 5,000 at a time or
// every second, room by room. No validation, no idempotency answers, no crash
// recovery of either, no metrics, no checkpointer thread (the writer checkpoints
// at Parley's WAL size).
// Parley's CPU above this floor is what its own code costs.
import Database from 'better-sqlite3';
import { indexText } from '../../src/protocol/search-text.js';
import { uuidv7 } from '../../src/protocol/uuid7.js';
import { CommitBacklog } from '../../src/server/storage/sqlite-backlog.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { WAL_AUTOCHECKPOINT_PAGES } from '../../src/server/storage/sqlite-wal.js';
import type { BaselineRoom } from './common.js';

/** A message frame's `data`, stored before it is sent. */
export interface StoredMessage {
  id: string;
  room_id: string;
  username: string;
  content: string;
  timestamp: string;
  seq: number;
  client_id?: string;
}

/** A stored message on its way into the search index and room_seq. */
interface Committed {
  rowid: number | bigint;
  content: string;
  /** The room's rowid, its number in room_seq. */
  room: number;
  seq: number;
}

interface Pending {
  room: BaselineRoom;
  data: StoredMessage;
  deliver: (data: StoredMessage) => void;
}

export class FloorStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly index: Database.Statement;
  private readonly setSeq: Database.Statement;
  private readonly addRoom: Database.Statement;
  private readonly roomRowid: Database.Statement<[string], number>;
  /** Each room's rowid, its number in room_seq. */
  private readonly roomNo = new Map<string, number>();
  private readonly write: (batch: readonly Pending[]) => void;
  /** Parley's own after-commit backlogs: the search index's and room_seq's. */
  private readonly unindexed: CommitBacklog<Committed>;
  private readonly unplaced: CommitBacklog<Committed>;
  private pending: Pending[] = [];
  /** This turn's stored messages, once committed. */
  private committed: Committed[] = [];

  /** Creates the file with Parley's migrations, then reopens it bare. */
  static async open(path: string): Promise<FloorStore> {
    const parley = new SqliteStore({ path });
    await parley.init();
    await parley.close();
    return new FloorStore(path);
  }

  private constructor(path: string) {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = normal');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    this.db = db;
    this.insert = db.prepare(
      `INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.index = db.prepare('INSERT INTO messages_fts (rowid, body) VALUES (?, ?)');
    this.setSeq = db.prepare('UPDATE rooms SET last_seq = ? WHERE id = ?');
    this.addRoom = db.prepare(
      'INSERT INTO rooms (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.roomRowid = db.prepare<[string], number>('SELECT rowid FROM rooms WHERE id = ?').pluck();
    const seqs = new Map<string, number>();
    this.write = db.transaction((batch: readonly Pending[]) => {
      for (const { data } of batch) {
        const row = this.insert.run(
          data.id,
          data.room_id,
          data.seq,
          data.username,
          data.content,
          data.timestamp,
          data.client_id ?? null,
        );
        const stored: Committed = {
          rowid: row.lastInsertRowid,
          content: data.content,
          room: this.roomNo.get(data.room_id) as number,
          seq: data.seq,
        };
        this.committed.push(stored);
        seqs.set(data.room_id, data.seq);
      }
      for (const [roomId, seq] of seqs) this.setSeq.run(seq, roomId);
      seqs.clear();
    });
    const indexAll = db.transaction((batch: readonly Committed[]) => {
      for (const m of batch) this.index.run(m.rowid, indexText(m.content));
    });
    this.unindexed = new CommitBacklog(indexAll, 250, 500);
    const place = db.prepare('INSERT INTO room_seq (room, seq, msg) VALUES (?, ?, ?)');
    const placeAll = db.transaction((batch: readonly Committed[]) => {
      const byRoom = new Map<number, Committed[]>();
      for (const m of batch) {
        const list = byRoom.get(m.room);
        if (list) list.push(m);
        else byRoom.set(m.room, [m]);
      }
      for (const list of byRoom.values()) for (const m of list) place.run(m.room, m.seq, m.rowid);
    });
    this.unplaced = new CommitBacklog(placeAll, 1_000, 5_000);
  }

  /** The room's row, which a message's foreign key needs, and its number. */
  createRoom(id: string, name: string): void {
    this.addRoom.run(id, name, new Date().toISOString());
    this.roomNo.set(id, this.roomRowid.get(id) as number);
  }

  /** Stores the message with the rest of this turn's, then hands it to `deliver`. */
  append(
    roomId: string,
    room: BaselineRoom,
    username: string,
    content: string,
    clientId: string | undefined,
    deliver: (data: StoredMessage) => void,
  ): void {
    const data: StoredMessage = {
      id: '',
      room_id: roomId,
      username,
      content,
      timestamp: '',
      seq: 0,
    };
    if (clientId !== undefined) data.client_id = clientId;
    if (this.pending.push({ room, data, deliver }) === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    this.pending = [];
    const ms = Date.now();
    const timestamp = new Date(ms).toISOString();
    for (const { room, data } of batch) {
      data.id = uuidv7(ms);
      data.timestamp = timestamp;
      data.seq = ++room.seq;
    }
    this.write(batch);
    for (const { data, deliver } of batch) deliver(data);
    this.unindexed.add(this.committed);
    this.unplaced.add(this.committed);
    this.committed = [];
  };

  close(): void {
    this.unindexed.close();
    this.unplaced.close();
    this.db.close();
  }
}
