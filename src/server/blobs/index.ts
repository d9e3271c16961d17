import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { assertNever } from '../util/assert-never.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { PostgresBlobStore } from './postgres-blob-store.js';

export type { BlobStore } from './blob-store.js';

export function createBlobStore(config: Config): BlobStore {
  const kind = config.backends.blobs;
  switch (kind) {
    case 'fs': {
      if (config.uploads.dir !== '') return new FsBlobStore(resolve(config.uploads.dir));
      // An in-memory database gets files that go with it.
      if (config.dbPath === ':memory:') {
        return new FsBlobStore(mkdtempSync(join(tmpdir(), 'parley-blobs-')), true);
      }
      return new FsBlobStore(join(dirname(resolve(config.dbPath)), 'blobs'));
    }
    case 'postgres':
      return new PostgresBlobStore({
        url: config.databaseUrl,
        schema: config.postgres.schema,
        poolSize: Math.max(2, Math.ceil(config.postgres.poolSize / 2)),
        timeoutMs: config.postgres.timeoutMs,
        idleInTransactionMs: config.http.requestTimeoutMs + 10_000,
      });
    default:
      return assertNever(kind, 'blob store kind');
  }
}
