import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS } from '../../src/server/storage/postgres-migrations.js';
import { PostgresStore } from '../../src/server/storage/postgres-store.js';
import { accountStoreContract } from '../contracts/account-store-contract.js';
import { changesContract } from '../contracts/changes-contract.js';
import { searchContract } from '../contracts/search-contract.js';
import { sidebarStoreContract } from '../contracts/sidebar-store-contract.js';
import { storeContract } from '../contracts/store-contract.js';
import {
  dropSchemas,
  requirePostgres,
  TEST_PG_URL,
  type TestSchema,
  testSchema,
} from '../support/services.js';

const run = await requirePostgres();
const schemas: TestSchema[] = [];

/** A store on a schema of its own, dropped after the file. */
async function freshStore(schema = testSchema()): Promise<PostgresStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = new PostgresStore({ url: TEST_PG_URL, schema: schema.name, poolSize: 4 });
  await store.init();
  return store;
}

afterAll(async () => {
  await dropSchemas(schemas);
});

const schemaOf = new Map<PostgresStore, TestSchema>();

describe.runIf(run)('PostgreSQL store', () => {
  storeContract(
    'PostgreSQL',
    async () => {
      const schema = testSchema();
      const store = await freshStore(schema);
      schemaOf.set(store, schema);
      return store;
    },
    (closed) => freshStore(schemaOf.get(closed as PostgresStore)),
  );
  accountStoreContract('PostgreSQL', () => freshStore());
  sidebarStoreContract(
    'PostgreSQL',
    async () => {
      const schema = testSchema();
      const store = await freshStore(schema);
      schemaOf.set(store, schema);
      return store;
    },
    async (store) => {
      const schema = schemaOf.get(store as PostgresStore) as TestSchema;
      await store.close();
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        await client.query(
          `SET search_path = "${schema.name}"; DROP TABLE sidebar_rooms; DELETE FROM parley_migrations WHERE version = 60`,
        );
      } finally {
        await client.end();
      }
      return freshStore(schema);
    },
  );

  searchContract('PostgreSQL', () => freshStore());
  changesContract('PostgreSQL', () => freshStore());

  it('migrates once when several processes start together, and again is a no-op', async () => {
    const schema = testSchema();
    const stores = await Promise.all([1, 2, 3].map(() => freshStore(schema)));
    const room = await (stores[0] as PostgresStore).createRoom('shared');
    for (const s of stores) expect(await s.getRoom(room.id)).toEqual(room);
    const again = await freshStore(schema);
    expect(await again.listRooms()).toEqual([room]);
    // one epoch for the database, the same for every process, kept across restarts
    const epochs = await Promise.all([...stores, again].map((s) => s.epoch()));
    expect(new Set(epochs).size).toBe(1);
    await Promise.all([...stores, again].map((s) => s.close()));
  });

  it('gives dense, unique seqs when several processes write one room at once', async () => {
    const schema = testSchema();
    const stores = await Promise.all([1, 2, 3].map(() => freshStore(schema)));
    const room = await (stores[0] as PostgresStore).createRoom('contended');
    const writes = stores.flatMap((s, p) =>
      Array.from({ length: 10 }, (_, b) =>
        s.appendMessages(
          Array.from({ length: 4 }, (_, i) => ({
            roomId: room.id,
            // one user's first message of each batch, retried through every process
            username: i === 0 ? 'retrier' : `p${p}`,
            content: `p${p} b${b} m${i}`,
            clientId: i === 0 ? `same-${b}` : undefined,
          })),
        ),
      ),
    );
    const results = (await Promise.all(writes)).flat();
    const fresh = results.filter((r) => r.ok && !r.duplicate);
    const dups = results.filter((r) => r.ok && r.duplicate);
    // 10 client ids shared by 3 processes: stored once each, twice reported as duplicates
    expect(fresh).toHaveLength(120 - 20);
    expect(dups).toHaveLength(20);
    const history = await (stores[1] as PostgresStore).recentMessages(room.id, 1000);
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await (stores[2] as PostgresStore).latestSeq(room.id)).toBe(100);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('upgrades a version-1 schema with data in place', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema.name}"; SET search_path = "${schema.name}"`);
      await client.query(
        'CREATE TABLE parley_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      await client.query((POSTGRES_MIGRATIONS[0] as { sql: string }).sql);
      await client.query('INSERT INTO parley_migrations (version) VALUES (1)');
      await client.query(
        "INSERT INTO rooms (id, name, created_at, last_seq) VALUES ('r1', 'old', now(), 1)",
      );
      await client.query(
        `INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id)
         VALUES ('m1', 'r1', 1, 'alice', 'before the upgrade', now(), 'cid')`,
      );
    } finally {
      await client.end();
    }
    const store = await freshStore(schema);
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
    expect(await store.purgeSlice(100)).toBe(3);
    await store.close();
  });

  it('fails fast, not hangs, when the database is unreachable', async () => {
    const store = new PostgresStore({
      url: 'postgres://postgres@127.0.0.1:1/test',
      timeoutMs: 500,
    });
    const started = Date.now();
    await expect(store.ping()).rejects.toThrow();
    await expect(
      store.appendMessages([{ roomId: 'r', username: 'u', content: 'c' }]),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await store.close();
  });
});
