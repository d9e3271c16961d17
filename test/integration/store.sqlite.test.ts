import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { ChatStore } from '../../src/server/storage/chat-store.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { storeContract } from '../contracts/store-contract.js';

// A file per store (not :memory:), so a store can be closed and opened again.
const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
const paths = new Map<ChatStore, string>();
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(path: string): Promise<ChatStore> {
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
