// Bringing a PostgreSQL schema up to date at start: the migrations not applied yet
// (postgres-migrations.ts), in version order, by one process at a time, with the
// backfill of the search index that migration 31 needs.
import type pg from 'pg';
import { indexText } from '../../protocol/search-text.js';
import { orderedMigrations } from './migrations.js';
import { POSTGRES_MIGRATIONS, SEARCH_BACKFILL_VERSION } from './postgres-migrations.js';

/**
 * A query run by a migration: tables of any size are rewritten, so the pool's
 * client-side timeout (meant for chat traffic) is lifted. node-pg reads
 * `query_timeout` per query (0 would mean "the pool's"); its types omit it.
 */
function migrationQuery(text: string, values?: unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = {
    text,
    ...(values ? { values } : {}),
    query_timeout: 6 * 60 * 60 * 1000,
  };
  return config;
}

/** Indexes the messages stored before search existed, a batch at a time (migration 31). */
async function backfillSearch(client: pg.PoolClient): Promise<void> {
  let last = 0;
  for (;;) {
    const batch = await client.query<{ pos: string; content: string }>(
      migrationQuery('SELECT pos, content FROM messages WHERE pos > $1 ORDER BY pos LIMIT 5000', [
        last,
      ]),
    );
    const rows = batch.rows;
    if (rows.length === 0) return;
    await client.query(
      migrationQuery(
        `UPDATE messages SET search_vector = to_tsvector('simple', v.body)
         FROM unnest($1::bigint[], $2::text[]) AS v (pos, body) WHERE messages.pos = v.pos`,
        [rows.map((r) => r.pos), rows.map((r) => indexText(r.content))],
      ),
    );
    last = Number(rows[rows.length - 1]?.pos);
  }
}

/** Applies the migrations `schema` lacks (creating it if missing), on one of the pool's connections. */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  client.on('error', () => {});
  try {
    // Several processes may start at once; one migrates, the others wait.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`parley-migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".parley_migrations (
        version    INTEGER PRIMARY KEY,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const done = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".parley_migrations`,
      );
      const applied = new Set(done.rows.map((r) => r.version));
      for (const m of orderedMigrations(POSTGRES_MIGRATIONS)) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          // A migration rewrites tables of any size: no timeout (the pool's is for chat traffic).
          await client.query('SET LOCAL statement_timeout = 0');
          await client.query(migrationQuery(m.sql));
          if (m.version === SEARCH_BACKFILL_VERSION) await backfillSearch(client);
          await client.query(`INSERT INTO "${schema}".parley_migrations (version) VALUES ($1)`, [
            m.version,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`parley-migrate:${schema}`]);
    }
  } finally {
    client.release();
  }
}
