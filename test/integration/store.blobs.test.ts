import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { FsBlobStore } from '../../src/server/blobs/fs-blob-store.js';
import { PostgresBlobStore } from '../../src/server/blobs/postgres-blob-store.js';
import { PostgresStore } from '../../src/server/storage/postgres-store.js';
import { blobContract } from '../contracts/blob-contract.js';
import {
  dropSchemas,
  requirePostgres,
  TEST_PG_URL,
  type TestSchema,
  testSchema,
} from '../support/services.js';

const countFiles = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1),
    0,
  );

blobContract('folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-blob-contract-'));
  const stores: [FsBlobStore, FsBlobStore] = [new FsBlobStore(dir), new FsBlobStore(dir)];
  for (const s of stores) await s.init();
  return {
    stores,
    count: async () => countFiles(dir),
    async cleanup() {
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const schemas: TestSchema[] = [];
afterAll(async () => {
  await dropSchemas(schemas);
});

if (await requirePostgres()) {
  blobContract('PostgreSQL', async () => {
    const schema = testSchema();
    schemas.push(schema);
    // the chat store's migrations make the blob tables
    const chat = new PostgresStore({ url: TEST_PG_URL, schema: schema.name, poolSize: 1 });
    await chat.init();
    await chat.close();
    const stores: [PostgresBlobStore, PostgresBlobStore] = [
      new PostgresBlobStore({ url: TEST_PG_URL, schema: schema.name, poolSize: 3 }),
      new PostgresBlobStore({ url: TEST_PG_URL, schema: schema.name, poolSize: 3 }),
    ];
    for (const s of stores) await s.init();
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    return {
      stores,
      count: async () => {
        const res = await client.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM "${schema.name}".blobs)
                + (SELECT count(DISTINCT blob_id) FROM "${schema.name}".blob_chunks
                   WHERE blob_id NOT IN (SELECT id FROM "${schema.name}".blobs)) AS n`,
        );
        return Number(res.rows[0]?.n ?? 0);
      },
      async cleanup() {
        for (const s of stores) await s.close();
        await client.end();
      },
    };
  });
}
