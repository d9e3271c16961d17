// `npx tsx bench/store-append.ts [--rooms=500] [--batch=100] [--messages=100000] [--random-ids]`
// CPU time per stored message of SqliteStore.appendMessages alone: no sockets, no
// fan-out. Batches rotate over the rooms like the ingest cell (every message has a
// client_id, time-ordered like the web client's and the load generator's, or random
// UUIDs with --random-ids, as a client of its own may send: the worst case for the
// client_id index); between batches the event loop turns, as between group commits.
// CPU is the whole process (every thread, the checkpointer included), user + system.
// BENCH_STORE_MODULE=path/to/other/sqlite-store.ts compares another version.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '../src/protocol/uuid7.js';
import type { NewMessage } from '../src/server/storage/chat-store.js';
import type { SqliteStore as Store } from '../src/server/storage/sqlite-store.js';
import { numberOption } from './cli.js';

const ROOMS = numberOption('rooms', 500);
const BATCH = numberOption('batch', 100);
const MESSAGES = numberOption('messages', 100_000);
const RANDOM_IDS = process.argv.includes('--random-ids');

async function main(): Promise<void> {
  const modulePath = process.env.BENCH_STORE_MODULE ?? '../src/server/storage/sqlite-store.js';
  const { SqliteStore } = (await import(modulePath)) as { SqliteStore: typeof Store };
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-append-'));
  const store = new SqliteStore({ path: join(dir, 'chat.db'), synchronous: 'normal' });
  await store.init();
  const rooms: string[] = [];
  for (let i = 0; i < ROOMS; i++) rooms.push((await store.createRoom(`room ${i}`)).id);
  const content = 'x'.repeat(64);
  let k = 0;
  const run = async (count: number) => {
    for (let i = 0; i < count; i += BATCH) {
      const batch: NewMessage[] = [];
      for (let j = 0; j < BATCH; j++, k++) {
        batch.push({
          roomId: rooms[k % ROOMS] as string,
          username: `user ${k & 1}`,
          content,
          clientId: RANDOM_IDS ? randomUUID() : uuidv7(),
        });
      }
      await store.appendMessages(batch);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await run(MESSAGES / 5); // warm-up: statements prepared, checkpointer started, WAL in use
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run(MESSAGES);
  // A search indexes what still waits for the search index (SqliteSearchBacklog):
  // that work belongs to these messages too.
  await store.searchMessages({ include: [['x']], exclude: [], from: [], roomNames: [], limit: 1 });
  const used = process.cpuUsage(cpu);
  const wallUs = (performance.now() - start) * 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const per = (us: number) => (us / MESSAGES).toFixed(2);
  console.log(
    `${ROOMS} rooms, batches of ${BATCH}: ${per(used.user + used.system)} µs CPU per message ` +
      `(user ${per(used.user)}, system ${per(used.system)}), ${per(wallUs)} µs wall`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
