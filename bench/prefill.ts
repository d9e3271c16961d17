// Builds the history cell's database directly with better-sqlite3, on Parley's
// real schema (SqliteStore.init() runs the migrations): one room holding
// `count` messages with seq 1..count and rooms.last_seq = count, written in one
// transaction, with their room_seq entries and search index entries as the store
// writes them. Sending a million messages over WebSocket would take minutes.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { indexText } from '../src/protocol/search-text.js';
import { prepareStatements } from '../src/server/storage/sqlite-statements.js';
import { SqliteStore } from '../src/server/storage/sqlite-store.js';

export interface Prefilled {
  roomId: string;
  count: number;
  fillMs: number;
  /** SQLite's plan for the history query (`recent` in sqlite-statements.ts). */
  queryPlan: string[];
}

export async function prefillHistory(path: string, count: number): Promise<Prefilled> {
  const t0 = performance.now();
  const store = new SqliteStore({ path });
  await store.init();
  await store.close();

  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  // The store's statements are prepared below for the plan; its triggers call this.
  db.function('parley_index_text', { deterministic: true }, (content: unknown) =>
    typeof content === 'string' ? indexText(content) : '',
  );
  const roomId = randomUUID();
  const start = Date.parse('2024-01-01T00:00:00.000Z');
  const insertRoom = db.prepare(
    'INSERT INTO rooms (id, name, created_at, last_seq) VALUES (?, ?, ?, ?)',
  );
  const insert = db.prepare(
    'INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id) VALUES (?, ?, ?, ?, ?, ?, NULL)',
  );
  // Each message's search index entry, as SqliteMessageLog.appendOne writes it (migration 80).
  const index = db.prepare('INSERT INTO messages_fts (rowid, body) VALUES (?, ?)');
  // Where history finds it (sqlite-room-index.ts), every message up to the mark placed.
  const place = db.prepare('INSERT INTO room_seq (room, seq, msg) VALUES (?, ?, ?)');
  const mark = db.prepare("UPDATE parley_meta SET value = ? WHERE key = 'room_seq_through'");
  const filler = 'The quick brown fox jumps over the lazy dog while the history grows. ';
  db.transaction(() => {
    const room = insertRoom.run(roomId, 'a million messages', new Date(start).toISOString(), count);
    for (let seq = 1; seq <= count; seq++) {
      const content = `message ${seq}: ${filler}`;
      const { lastInsertRowid } = insert.run(
        randomUUID(),
        roomId,
        seq,
        `user${seq % 50}`,
        content,
        new Date(start + seq * 1000).toISOString(),
      );
      index.run(lastInsertRowid, indexText(content));
      place.run(room.lastInsertRowid, seq, lastInsertRowid);
      if (seq === count) mark.run(lastInsertRowid);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const queryPlan = db
    .prepare(`EXPLAIN QUERY PLAN ${prepareStatements(db).recent.source}`)
    .all(roomId, 500_000, 100)
    .map((row) => String((row as { detail: string }).detail));
  db.close();
  return { roomId, count, fillMs: Math.round(performance.now() - t0), queryPlan };
}

/** Rows in `messages` (the ingest cell checks that every acknowledged message was stored). */
export function countMessages(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
