import type { Config } from '../config.js';
import type { ChatStore } from './chat-store.js';
import { SqliteStore } from './sqlite-store.js';

export type { ChatStore } from './chat-store.js';

export function createStore(config: Config): ChatStore {
  return new SqliteStore({ path: config.dbPath, synchronous: config.sqliteSync });
}
