import type { Config } from '../config.js';
import { assertNever } from '../util/assert-never.js';
import type { AccountStore } from './account-store.js';
import type { ChatStore } from './chat-store.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';

export type { AccountStore } from './account-store.js';
export type { ChatStore } from './chat-store.js';

import type { SidebarStore } from './sidebar-store.js';

export type { SidebarStore } from './sidebar-store.js';

/** A ChatStore that also keeps accounts in its database. */
export interface ChatStoreWithAccounts extends ChatStore {
  /** The accounts side of the same database; only after init(). */
  accountStore(): AccountStore;
  /** Sidebars and read positions in the same database; only after init(). */
  sidebarStore(): SidebarStore;
}

export interface StoreDeps {
  /** Told about every failed store operation (metrics, logs). */
  onError?: (operation: string, error: unknown) => void;
}

export function createStore(config: Config, deps: StoreDeps = {}): ChatStoreWithAccounts {
  const kind = config.backends.store;
  switch (kind) {
    case 'sqlite':
      return new SqliteStore({ path: config.dbPath, synchronous: config.sqliteSync });
    case 'postgres':
      return new PostgresStore({
        url: config.databaseUrl,
        schema: config.postgres.schema,
        poolSize: config.postgres.poolSize,
        timeoutMs: config.postgres.timeoutMs,
        onError: deps.onError,
      });
    default:
      return assertNever(kind, 'store kind');
  }
}
