// localStorage that never throws: private browsing, a full quota or disabled
// storage must not break the chat, only its memory across reloads.

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The page's localStorage, or an in-memory stand-in when it is unavailable. */
export function browserStorage(): KeyValueStore {
  try {
    const s = globalThis.localStorage;
    const probe = '__parley_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return memoryStorage();
  }
}

export function memoryStorage(): KeyValueStore {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => {
      map.set(k, v);
    },
    removeItem: (k) => {
      map.delete(k);
    },
  };
}

export function readJson<T>(store: KeyValueStore, key: string): T | undefined {
  try {
    const raw = store.getItem(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  } catch {
    return undefined;
  }
}

export function writeJson(store: KeyValueStore, key: string, value: unknown): void {
  try {
    store.setItem(key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage gone: keep working from memory.
  }
}

/** Removes a key; storage that is gone has nothing to remove. */
export function removeKey(store: KeyValueStore, key: string): void {
  try {
    store.removeItem(key);
  } catch {
    // Storage unavailable: nothing was kept there either.
  }
}

/** The items `guard` accepts of a JSON array kept under `key` (none when absent or garbled). */
export function readArray<T>(
  store: KeyValueStore,
  key: string,
  guard: (value: unknown) => value is T,
): T[] {
  const raw = readJson<unknown>(store, key);
  return Array.isArray(raw) ? raw.filter(guard) : [];
}

/** Keeps `items` under `key`; an empty list removes the key, so idle rooms leave nothing behind. */
export function writeArray(store: KeyValueStore, key: string, items: readonly unknown[]): void {
  if (items.length === 0) removeKey(store, key);
  else writeJson(store, key, items);
}

export const StorageKeys = {
  username: 'parley:username',
  rooms: 'parley:rooms',
  outbox: (roomId: string) => `parley:outbox:v1:${roomId}`,
  /** Our edits, deletes and reactions not yet confirmed (change-outbox.ts). */
  changes: (roomId: string) => `parley:changes:v1:${roomId}`,
  /** Test hook only, see reconnect-schedule.ts; the app never writes it. */
  testReconnect: 'parley:test:reconnect',
} as const;
