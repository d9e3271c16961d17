import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { storeContract } from '../contracts/store-contract.js';

storeContract('SQLite (:memory:)', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  return store;
});
