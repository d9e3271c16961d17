// `npx tsx bench/message-layout.ts [--rooms=500] [--batch=450] [--messages=200000]
//   [--warmup=50000] [--layouts=room-index,no-room-index,room-seq-5000]`
// CPU per stored message (every thread, user + system) of bare tables shaped like
// Parley's `messages`, written in batches that rotate over the rooms like the ingest
// cell, after `--warmup` messages (a file with more history per room: a larger one),
// in these layouts:
// - `room-index`: the rows with the unique index `(room_id, seq)` beside Parley's
//   others (Parley before round 9: each commit touches each room's end of it);
// - `room-index-int`: the same keyed by an integer room number instead of the
//   room's UUID (smaller entries);
// - `no-room-index`: the rows without `(room_id, seq)`, to show what it costs;
// - `room-seq-N`: the rows without it, and `(room number, seq) -> rowid` entries in
//   a table of their own written every N messages, room by room, in a transaction
//   of their own (Parley since round 9: room_seq, sqlite-room-index.ts);
// - `room-seq-uuid-N`: the same keyed by the room's UUID instead of its number;
// - `log-N`: new rows into a log without the room index, moved into the indexed
//   table in room order every N messages (rows and their other indexes written
//   twice).
// No search index and no Parley code: only the rows and their indexes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { uuidv7 } from '../src/protocol/uuid7.js';
import { numberOption } from './cli.js';

const ROOMS = numberOption('rooms', 500);
const BATCH = numberOption('batch', 450);
const MESSAGES = numberOption('messages', 200_000);
const WARM_UP = numberOption('warmup', 50_000);
const LAYOUTS = (
  process.argv.find((a) => a.startsWith('--layouts='))?.slice('--layouts='.length) ??
  'room-index,no-room-index,room-seq-5000,log-5000'
).split(',');

const COLUMNS = `id TEXT NOT NULL, room_id TEXT NOT NULL, seq INTEGER NOT NULL,
  username TEXT NOT NULL, content TEXT NOT NULL, timestamp TEXT NOT NULL,
  client_id TEXT, attachments TEXT, reply_to TEXT, mentions TEXT, room_no INTEGER`;
const KEYS = (table: string) => `
  CREATE UNIQUE INDEX ${table}_id ON ${table} (id);
  CREATE UNIQUE INDEX ${table}_client_id ON ${table} (client_id, room_id, username)
    WHERE client_id IS NOT NULL;`;

/** N of a layout named `<prefix>N`, or 0. */
const every = (layout: string, prefix: string) =>
  layout.startsWith(prefix) ? Number(layout.slice(prefix.length)) : 0;

function run(layout: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'parley-message-layout-'));
  const db = new Database(join(dir, 'messages.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 10000');
    db.exec(`CREATE TABLE messages (${COLUMNS}); ${KEYS('messages')}`);
    if (layout === 'room-index' || layout.startsWith('log-')) {
      db.exec('CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq)');
    } else if (layout === 'room-index-int') {
      db.exec('CREATE UNIQUE INDEX messages_room_seq ON messages (room_no, seq)');
    }
    db.exec(`CREATE TABLE log (${COLUMNS}); ${KEYS('log')}`);
    const byUuid = layout.startsWith('room-seq-uuid-');
    db.exec(`CREATE TABLE room_seq (room ${byUuid ? 'TEXT' : 'INTEGER'} NOT NULL,
      seq INTEGER NOT NULL, msg INTEGER NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID`);
    const moveEvery = every(layout, 'log-');
    const placeEvery = every(layout, byUuid ? 'room-seq-uuid-' : 'room-seq-');
    const insert = db.prepare(
      `INSERT INTO ${moveEvery ? 'log' : 'messages'}
         (id, room_id, seq, username, content, timestamp, client_id, room_no)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const move = db.transaction(() => {
      db.exec('INSERT INTO messages SELECT * FROM log ORDER BY room_id, seq; DELETE FROM log;');
    });
    // room_seq's entries wait here, grouped by room (each room's come in seq order).
    const unplaced = new Map<number | string, [number, number | bigint][]>();
    let waiting = 0;
    const placeOne = db.prepare('INSERT INTO room_seq (room, seq, msg) VALUES (?, ?, ?)');
    const place = db.transaction(() => {
      for (const [room, list] of unplaced)
        for (const [seq, msg] of list) placeOne.run(room, seq, msg);
      unplaced.clear();
      waiting = 0;
    });
    const rooms = Array.from({ length: ROOMS }, () => uuidv7());
    const seqs = new Array<number>(ROOMS).fill(0);
    const content = 'x'.repeat(64);
    let k = 0;
    let sinceMove = 0;
    const batch = db.transaction(() => {
      const now = new Date().toISOString();
      for (let j = 0; j < BATCH; j++, k++) {
        const r = k % ROOMS;
        const room = rooms[r] as string;
        const seq = (seqs[r] as number) + 1;
        seqs[r] = seq;
        const row = insert.run(uuidv7(), room, seq, `user ${k & 1}`, content, now, uuidv7(), r);
        if (placeEvery) {
          const key = byUuid ? room : r;
          const list = unplaced.get(key);
          if (list) list.push([seq, row.lastInsertRowid]);
          else unplaced.set(key, [[seq, row.lastInsertRowid]]);
          waiting++;
        }
      }
    });
    const write = (count: number) => {
      for (let i = 0; i < count; i += BATCH) {
        batch();
        sinceMove += BATCH;
        if (moveEvery && sinceMove >= moveEvery) {
          move();
          sinceMove = 0;
        }
        if (placeEvery && waiting >= placeEvery) place();
      }
    };
    write(WARM_UP);
    const start = process.cpuUsage();
    write(MESSAGES);
    if (moveEvery) move();
    if (placeEvery) place();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / MESSAGES;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `${ROOMS} rooms, batches of ${BATCH}, ${MESSAGES} messages after ${WARM_UP}; µs per message`,
);
for (const pass of [1, 2]) {
  console.log(`pass ${pass}: ${LAYOUTS.map((l) => `${l} ${run(l).toFixed(2)}`).join(', ')}`);
}
