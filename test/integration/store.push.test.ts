// The push-subscription store on both backends (contract), and where each keeps
// the VAPID key pair: a file beside the SQLite database, a row in PostgreSQL.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVapidKeys, VAPID_FILE, vapidKeyHome } from '../../src/server/push/vapid-keys.js';
import type { ChatStoreWithAccounts } from '../../src/server/storage/index.js';
import { PostgresStore } from '../../src/server/storage/postgres-store.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { pushStoreContract } from '../contracts/push-store-contract.js';
import {
  dropSchemas,
  requirePostgres,
  TEST_PG_URL,
  type TestSchema,
  testSchema,
} from '../support/services.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-push-store-'));
let n = 0;
const schemas: TestSchema[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(schemas);
});

const paths = new WeakMap<object, string>();

async function sqlite(path = join(dir, `push-${++n}.db`)): Promise<SqliteStore> {
  const store = new SqliteStore({ path });
  await store.init();
  paths.set(store, path);
  return store;
}

async function redoSqliteOwnerMigration(store: ChatStoreWithAccounts): Promise<SqliteStore> {
  const path = paths.get(store) as string;
  await store.close();
  const db = new Database(path);
  db.exec('DELETE FROM parley_migrations WHERE version = 100');
  db.close();
  return sqlite(path);
}

const schemaOf = new WeakMap<object, TestSchema>();

async function postgres(schema = testSchema()): Promise<PostgresStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = new PostgresStore({ url: TEST_PG_URL, schema: schema.name, poolSize: 4 });
  await store.init();
  schemaOf.set(store, schema);
  return store;
}

async function redoPostgresOwnerMigration(store: ChatStoreWithAccounts): Promise<PostgresStore> {
  const schema = schemaOf.get(store) as TestSchema;
  await store.close();
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(
      `SET search_path = "${schema.name}"; DELETE FROM parley_migrations WHERE version = 100`,
    );
  } finally {
    await client.end();
  }
  return postgres(schema);
}

pushStoreContract('SQLite', () => sqlite(), redoSqliteOwnerMigration);

describe('VAPID keys beside the SQLite database', () => {
  it('are made once, owner-only, and read back by every later start', async () => {
    const dbPath = join(dir, 'data', 'parley.db');
    const home = vapidKeyHome(dbPath, {});
    expect(home).toEqual({ kind: 'file', path: join(dir, 'data', VAPID_FILE) });
    const [a, b] = await Promise.all([loadVapidKeys(home), loadVapidKeys(home)]);
    expect(b).toEqual(a);
    expect(await loadVapidKeys(home)).toEqual(a);
    const path = join(dir, 'data', VAPID_FILE);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(a);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(a.publicKey, 'base64url')).toHaveLength(65);
  });

  it('a throwaway database gets throwaway keys', async () => {
    const home = vapidKeyHome(':memory:', {});
    expect(home.kind).toBe('memory');
    expect(await loadVapidKeys(home)).not.toEqual(await loadVapidKeys(home));
  });

  it('a file that is not a key pair is an error, not silently replaced', async () => {
    const sub = join(dir, 'broken');
    const home = vapidKeyHome(join(sub, 'parley.db'), {});
    await loadVapidKeys(home);
    const path = join(sub, VAPID_FILE);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '{"publicKey": "x"}');
    await expect(loadVapidKeys(home)).rejects.toThrow(/VAPID/);
  });
});

const runPg = await requirePostgres();
describe.runIf(runPg)('PostgreSQL', () => {
  pushStoreContract('PostgreSQL', () => postgres(), redoPostgresOwnerMigration);

  it('every process of a deployment gets the one key pair in the database', async () => {
    const schema = testSchema();
    const stores = await Promise.all([1, 2, 3].map(() => postgres(schema)));
    try {
      const keys = await Promise.all(
        stores.map((s) => loadVapidKeys(vapidKeyHome('./unused.db', s.pushStore()))),
      );
      expect(vapidKeyHome('./unused.db', stores[0]!.pushStore()).kind).toBe('database');
      expect(keys[1]).toEqual(keys[0]);
      expect(keys[2]).toEqual(keys[0]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
