// PushStore on PostgreSQL (the twin of sqlite-push-store.ts; push-store contract
// suite), and the VAPID key pair every process shares.
import type pg from 'pg';
import { inTransaction } from '../util/pg-transaction.js';
import {
  MAX_PUSH_SUBSCRIPTIONS_PER_READER,
  type PushStore,
  type SharedVapidKeys,
  type StoredPushSubscription,
  type VapidKeyPair,
} from './push-store.js';

interface Row {
  endpoint: string;
  reader: string;
  p256dh: string;
  auth: string;
  created_at: Date | string;
}

const toSubscription = (r: Row): StoredPushSubscription => ({
  ...r,
  created_at: r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at),
});

/** PostgreSQL text cannot hold NUL; such a value names nothing stored. */
const storable = (v: string): boolean => !v.includes('\u0000');

export class PostgresPushStore implements PushStore, SharedVapidKeys {
  constructor(private readonly pool: pg.Pool) {}

  save(sub: StoredPushSubscription): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO push_subscriptions (endpoint, reader, p256dh, auth, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (endpoint) DO UPDATE SET reader = excluded.reader, p256dh = excluded.p256dh,
           auth = excluded.auth, created_at = excluded.created_at`,
        [sub.endpoint, sub.reader, sub.p256dh, sub.auth, sub.created_at],
      );
      await client.query(
        `DELETE FROM push_subscriptions WHERE reader = $1 AND endpoint NOT IN (
           SELECT endpoint FROM push_subscriptions WHERE reader = $1
           ORDER BY created_at DESC, endpoint DESC LIMIT $2)`,
        [sub.reader, MAX_PUSH_SUBSCRIPTIONS_PER_READER],
      );
    });
  }

  async remove(endpoint: string, reader: string | null): Promise<boolean> {
    if (!storable(endpoint)) return false;
    const result =
      reader === null
        ? await this.pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [endpoint])
        : await this.pool.query(
            'DELETE FROM push_subscriptions WHERE endpoint = $1 AND reader = $2',
            [endpoint, reader],
          );
    return (result.rowCount ?? 0) > 0;
  }

  async forReaders(readers: readonly string[]): Promise<StoredPushSubscription[]> {
    const keys = readers.filter(storable);
    if (keys.length === 0) return [];
    const result = await this.pool.query<Row>(
      `SELECT endpoint, reader, p256dh, auth, created_at FROM push_subscriptions
       WHERE reader = ANY($1::text[])`,
      [keys],
    );
    return result.rows.map(toSubscription);
  }

  /**
   * The deployment's VAPID key pair: `candidate` if none is stored yet (it is
   * stored), else the stored one. Processes starting together agree on one.
   */
  async vapidKeys(candidate: VapidKeyPair): Promise<VapidKeyPair> {
    await this.pool.query(
      `INSERT INTO push_vapid (id, public_key, private_key) VALUES (1, $1, $2)
       ON CONFLICT (id) DO NOTHING`,
      [candidate.publicKey, candidate.privateKey],
    );
    const result = await this.pool.query<{ public_key: string; private_key: string }>(
      'SELECT public_key, private_key FROM push_vapid WHERE id = 1',
    );
    const row = result.rows[0];
    if (!row) throw new Error('push_vapid has no key pair');
    return { publicKey: row.public_key, privateKey: row.private_key };
  }
}
