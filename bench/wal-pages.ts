// `npx tsx bench/wal-pages.ts [--rooms=1] [--batch=20] [--random-ids | --numbered-ids] [--old-index]`
// What one group commit writes: the pages of its WAL frames, each named by the
// table or index it belongs to (SQLite's dbstat), for a batch of new messages
// after 1,000 batches of warm-up. Pages the commit allocated are "(new pages)".
// New messages reach the search index after their commit, in a transaction of
// their own with those of a quarter second (SqliteSearchBacklog): its pages for
// the batch alone are shown apart.
// Keys are time-ordered (UUIDv7) as the web client's; --random-ids sends UUIDv4,
// --numbered-ids the load generator's former `room-sender-n`; --old-index puts
// back the client_id index before migration 90, (room_id, username, client_id).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { uuidv7 } from '../src/protocol/uuid7.js';
import type { NewMessage } from '../src/server/storage/chat-store.js';
import { SqliteStore } from '../src/server/storage/sqlite-store.js';
import { numberOption } from './cli.js';

const flag = (name: string) => process.argv.includes(`--${name}`);
const ROOMS = numberOption('rooms', 1);
const BATCH = numberOption('batch', 20);
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-wal-pages-'));
  const path = join(dir, 'chat.db');
  const store = new SqliteStore({ path, synchronous: 'normal' });
  await store.init();
  // The store's own connection, for the checkpoints between measured commits.
  const db = (store as unknown as { db: Database.Database }).db;
  if (flag('old-index')) {
    db.exec(`DROP INDEX messages_client_id;
      CREATE UNIQUE INDEX messages_room_sender_client_id
        ON messages (room_id, username, client_id) WHERE client_id IS NOT NULL`);
  }
  const rooms: string[] = [];
  for (let i = 0; i < ROOMS; i++) rooms.push((await store.createRoom(`room ${i}`)).id);
  let k = 0;
  const clientId = () =>
    flag('random-ids')
      ? randomUUID()
      : flag('numbered-ids')
        ? `lg-${k % ROOMS}-${k & 1}-${k}`
        : uuidv7();
  const batch = (): NewMessage[] =>
    Array.from({ length: BATCH }, () => {
      k++;
      return {
        roomId: rooms[k % ROOMS] as string,
        username: `user ${k & 1}`,
        content: `${WORDS[k % 8]} ${k} ${WORDS[(k * 5) % 8]} x${k % 1000}`,
        clientId: clientId(),
      };
    });
  for (let i = 0; i < 1000; i++) await store.appendMessages(batch());

  const reader = new Database(path, { readonly: true });
  const names = reader.prepare<[], { name: string; pageno: number }>(
    'SELECT name, pageno FROM dbstat',
  );
  // The pages one action writes: from an empty WAL (the checkpointer thread may
  // hold it for a moment), each frame named by the owner of its page before it.
  const pagesOf = async (action: () => Promise<unknown>) => {
    while ((db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const owner = new Map(names.all().map((r) => [r.pageno, r.name]));
    await action();
    const wal = readFileSync(`${path}-wal`);
    if (wal.length < 32) return { frames: 0, parts: '' };
    const pageSize = wal.readUInt32BE(8);
    const counts = new Map<string, number>();
    let frames = 0;
    for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
      const name = owner.get(wal.readUInt32BE(at)) ?? '(new pages)';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      frames++;
    }
    const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`);
    return { frames, parts: parts.join(', ') };
  };
  // A search indexes what waits for the search index (SqliteSearchBacklog).
  const indexWaiting = () =>
    store.searchMessages({ include: [['x']], exclude: [], from: [], roomNames: [], limit: 1 });
  await indexWaiting();
  for (let run = 1; run <= 3; run++) {
    const commit = await pagesOf(() => store.appendMessages(batch()));
    console.log(
      `commit ${run}: ${BATCH} messages over ${ROOMS} rooms, ${commit.frames} pages: ${commit.parts}`,
    );
    // In a server the index's transaction takes every message of a quarter second.
    const index = await pagesOf(indexWaiting);
    console.log(`  their search index entries, alone: ${index.frames} pages: ${index.parts}`);
  }
  reader.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
