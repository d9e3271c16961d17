import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../src/server/storage/sqlite-migrations.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { storeContract } from '../contracts/store-contract.js';

storeContract('SQLite (:memory:)', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  return store;
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
