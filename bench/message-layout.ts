// `npx tsx bench/message-layout.ts [--rooms=500] [--batch=450] [--messages=200000]`
// CPU per stored message (every thread, user + system) of bare tables shaped like
// Parley's `messages`, written in batches that rotate over the rooms like the ingest
// cell, in three layouts:
// - `room-index`: the rows with Parley's unique indexes, `(room_id, seq)` among them
//   (what Parley writes: each commit touches each room's end of that index);
// - `no-room-index`: the same without `(room_id, seq)`, to show what it costs;
// - `log-N`: new rows into a log without the room index, moved into the indexed
//   table in room order every N messages (the move counted): the layout the README
//   names as the way past that cost, and does not build.
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
const WARM_UP = 50_000;

const COLUMNS = `id TEXT NOT NULL, room_id TEXT NOT NULL, seq INTEGER NOT NULL,
  username TEXT NOT NULL, content TEXT NOT NULL, timestamp TEXT NOT NULL,
  client_id TEXT, attachments TEXT, reply_to TEXT, mentions TEXT`;
const KEYS = (table: string) => `
  CREATE UNIQUE INDEX ${table}_id ON ${table} (id);
  CREATE UNIQUE INDEX ${table}_client_id ON ${table} (client_id, room_id, username)
    WHERE client_id IS NOT NULL;`;

function run(layout: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'parley-message-layout-'));
  const db = new Database(join(dir, 'messages.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 10000');
    db.exec(`CREATE TABLE messages (${COLUMNS}); ${KEYS('messages')}`);
    if (layout !== 'no-room-index') {
      db.exec('CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq)');
    }
    db.exec(`CREATE TABLE log (${COLUMNS}); ${KEYS('log')}`);
    const moveEvery = layout.startsWith('log-') ? Number(layout.slice(4)) : 0;
    const insert = db.prepare(
      `INSERT INTO ${moveEvery ? 'log' : 'messages'}
         (id, room_id, seq, username, content, timestamp, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const move = db.transaction(() => {
      db.exec('INSERT INTO messages SELECT * FROM log ORDER BY room_id, seq; DELETE FROM log;');
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
        seqs[r] = (seqs[r] as number) + 1;
        insert.run(uuidv7(), rooms[r], seqs[r], `user ${k & 1}`, content, now, uuidv7());
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
      }
    };
    write(WARM_UP);
    const start = process.cpuUsage();
    write(MESSAGES);
    if (moveEvery) move();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / MESSAGES;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const LAYOUTS = ['room-index', 'no-room-index', 'log-5000', 'log-20000'];
console.log(`${ROOMS} rooms, batches of ${BATCH}, ${MESSAGES} messages; µs per message`);
for (const pass of [1, 2]) {
  console.log(`pass ${pass}: ${LAYOUTS.map((l) => `${l} ${run(l).toFixed(2)}`).join(', ')}`);
}
