import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatStore } from '../../src/server/storage/chat-store.js';
import { SQLITE_MIGRATIONS } from '../../src/server/storage/sqlite-migrations.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { accountStoreContract } from '../contracts/account-store-contract.js';
import { searchContract } from '../contracts/search-contract.js';
import { storeContract } from '../contracts/store-contract.js';

// A file per store (not :memory:), so a store can be closed and opened again.
const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
const paths = new Map<ChatStore, string>();
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path });
  await store.init();
  paths.set(store, path);
  return store;
}

storeContract(
  'SQLite',
  () => open(join(dir, `store-${++n}.db`)),
  (closed) => open(paths.get(closed) as string),
);

searchContract('SQLite', () => open(join(dir, `search-${++n}.db`)));
accountStoreContract('SQLite', () => open(join(dir, `accounts-${++n}.db`)));

describe('SQLite migrations', () => {
  it('upgrades a version-1 database with data in place', async () => {
    const path = join(dir, 'v1.db');
    const v1 = new Database(path);
    v1.exec((SQLITE_MIGRATIONS[0] as { sql: string }).sql);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO rooms (id, name, created_at, last_seq) VALUES ('r1', 'old', ?, 1)").run(
      new Date().toISOString(),
    );
    v1.prepare(
      `INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id)
       VALUES ('m1', 'r1', 1, 'alice', 'before the upgrade', ?, 'cid')`,
    ).run(new Date().toISOString());
    v1.close();

    const store = await open(path);
    try {
      expect((await store.listRooms()).map((r) => r.name)).toEqual(['old']);
      expect((await store.recentMessages('r1', 10)).map((m) => m.content)).toEqual([
        'before the upgrade',
      ]);
      // the migration indexed the messages already there
      const found = await store.searchMessages({
        include: [['upgrade']],
        exclude: [],
        from: [],
        roomNames: [],
        limit: 10,
      });
      expect(found.map((h) => h.message.content)).toEqual(['before the upgrade']);
      const [retry, other] = await store.appendMessages([
        { roomId: 'r1', username: 'alice', content: 'retry', clientId: 'cid' },
        { roomId: 'r1', username: 'bob', content: 'bob reuses the id', clientId: 'cid' },
      ]);
      expect(retry).toMatchObject({ ok: true, duplicate: true, message: { seq: 1 } });
      expect(other).toMatchObject({ ok: true, duplicate: false, message: { seq: 2 } });
      expect(await store.deleteRoom('r1')).toBe(true);
      expect(await store.listRooms()).toEqual([]);
      expect(await store.purgeSlice(100)).toBe(3);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite store file', () => {
  const tempDb = () => join(mkdtempSync(join(tmpdir(), 'parley-store-')), 'chat.db');

  it('keeps its epoch across restarts, and a renewed one too', async () => {
    const path = tempDb();
    const first = new SqliteStore({ path });
    await first.init();
    const epoch = await first.epoch();
    await first.close();
    const second = new SqliteStore({ path });
    await second.init();
    expect(await second.epoch()).toBe(epoch);
    const renewed = await second.renewEpoch();
    await second.close();
    const third = new SqliteStore({ path });
    await third.init();
    expect(await third.epoch()).toBe(renewed);
    await third.close();
  });

  it('upgrades a database of schema version 1, keeping its data and giving it an epoch', async () => {
    const path = tempDb();
    // A database as the first release left it: migration 1 only.
    const v1 = SQLITE_MIGRATIONS.find((m) => m.version === 1);
    const db = new Database(path);
    db.exec(v1?.sql ?? '');
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO rooms (id, name, created_at) VALUES ('r1', 'old', '2024-01-01')").run();
    db.close();
    const store = new SqliteStore({ path });
    await store.init();
    expect((await store.listRooms()).map((r) => r.name)).toEqual(['old']);
    expect(await store.epoch()).toMatch(/^[0-9a-f]{16}$/);
    await store.close();
  });
});
