// PushStore on SQLite (the twin of postgres-push-store.ts; push-store contract suite).
import type Database from 'better-sqlite3';
import {
  MAX_PUSH_SUBSCRIPTIONS_PER_READER,
  type PushStore,
  type StoredPushSubscription,
} from './push-store.js';

const COLUMNS = 'endpoint, reader, p256dh, auth, created_at';

export class SqlitePushStore implements PushStore {
  private readonly s: ReturnType<SqlitePushStore['prepare']>;
  private readonly saveTx: (sub: StoredPushSubscription) => void;

  constructor(private readonly db: Database.Database) {
    this.s = this.prepare();
    this.saveTx = db.transaction((sub: StoredPushSubscription) => {
      this.s.upsert.run(sub);
      this.s.trim.run(sub.reader, sub.reader, MAX_PUSH_SUBSCRIPTIONS_PER_READER);
    });
  }

  private prepare() {
    const db = this.db;
    return {
      upsert: db.prepare<[StoredPushSubscription]>(
        `INSERT INTO push_subscriptions (${COLUMNS})
         VALUES (@endpoint, @reader, @p256dh, @auth, @created_at)
         ON CONFLICT (endpoint) DO UPDATE SET reader = excluded.reader, p256dh = excluded.p256dh,
           auth = excluded.auth, created_at = excluded.created_at`,
      ),
      // newest first; rowid breaks ties of equal times (saved in the same millisecond)
      trim: db.prepare<[string, string, number]>(
        `DELETE FROM push_subscriptions WHERE reader = ? AND endpoint NOT IN (
           SELECT endpoint FROM push_subscriptions WHERE reader = ?
           ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
      ),
      // json_each: one statement for any number of readers
      forReaders: db.prepare<[string], StoredPushSubscription>(
        `SELECT ${COLUMNS} FROM push_subscriptions
         WHERE reader IN (SELECT value FROM json_each(?))`,
      ),
      remove: db.prepare<[string]>('DELETE FROM push_subscriptions WHERE endpoint = ?'),
      removeOwn: db.prepare<[string, string]>(
        'DELETE FROM push_subscriptions WHERE endpoint = ? AND reader = ?',
      ),
    };
  }

  async save(subscription: StoredPushSubscription): Promise<void> {
    this.saveTx(subscription);
  }

  async remove(endpoint: string, reader: string | null): Promise<boolean> {
    const result =
      reader === null ? this.s.remove.run(endpoint) : this.s.removeOwn.run(endpoint, reader);
    return result.changes > 0;
  }

  async forReaders(readers: readonly string[]): Promise<StoredPushSubscription[]> {
    if (readers.length === 0) return [];
    return this.s.forReaders.all(JSON.stringify(readers));
  }
}
