import { Readable } from 'node:stream';
import pg from 'pg';
import { inTransaction } from '../util/pg-transaction.js';
import { type BlobStat, type BlobStore, isBlobId, limited, newBlobId } from './blob-store.js';

/** Bytes per row of blob_chunks: big enough to be cheap per byte, small enough to stream. */
const CHUNK_BYTES = 256 * 1024;

export interface PostgresBlobStoreOptions {
  url: string;
  /** Schema of the tables (made by the chat store's migration 41). @default 'public' */
  schema?: string;
  /** Connections of this store (apart from the chat store's pool). @default 4 */
  poolSize?: number;
  /** A connection attempt or query slower than this fails. @default 5000 */
  timeoutMs?: number;
  /**
   * Longest an upload's transaction may wait for the client's next bytes (the
   * HTTP request timeout bounds the whole upload anyway). @default 60000
   */
  idleInTransactionMs?: number;
}

/**
 * Blobs in PostgreSQL, so every server process sees every file with nothing more
 * to share than the database already required for scale-out (no shared
 * filesystem, and backups cover files and messages alike). A blob is a row of
 * `blobs` and its bytes rows of `blob_chunks` (bytea, 256 KiB each); an upload is
 * one transaction, so a blob is visible only complete, and a failed, oversized or
 * crashed upload leaves nothing. Uploads use a pool of their own: a slow upload
 * holds a connection for its duration, and must not starve message writes.
 */
export class PostgresBlobStore implements BlobStore {
  private readonly pool: pg.Pool;

  constructor(opts: PostgresBlobStoreOptions) {
    const schema = opts.schema ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${schema}`);
    }
    const timeout = opts.timeoutMs ?? 5_000;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 4,
      application_name: 'parley-blobs',
      options: `-c search_path="${schema}"`,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      statement_timeout: timeout,
      idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? 60_000,
      keepAlive: true,
      allowExitOnIdle: true,
    });
    this.pool.on('error', () => {});
  }

  async init(): Promise<void> {
    await this.pool.query('SELECT 1 FROM blobs LIMIT 0');
  }

  async put(source: Readable, maxBytes: number): Promise<{ id: string; size: number }> {
    const id = newBlobId();
    return inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO blobs (id, size) VALUES ($1, 0)', [id]);
      let size = 0;
      let n = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        const data = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await client.query('INSERT INTO blob_chunks (blob_id, n, data) VALUES ($1, $2, $3)', [
          id,
          n++,
          data,
        ]);
      };
      for await (const chunk of limited(source, maxBytes)) {
        size += chunk.length;
        let rest = chunk;
        while (rest.length > 0) {
          const take = Math.min(rest.length, CHUNK_BYTES - pendingBytes);
          pending.push(rest.subarray(0, take));
          pendingBytes += take;
          rest = rest.subarray(take);
          if (pendingBytes === CHUNK_BYTES) await flush();
        }
      }
      if (pendingBytes > 0) await flush();
      await client.query('UPDATE blobs SET size = $2 WHERE id = $1', [id, size]);
      return { id, size };
    });
  }

  async get(id: string): Promise<Readable | null> {
    if (!(await this.stat(id))) return null;
    const pool = this.pool;
    // One chunk per query: memory stays at one chunk per download, whatever the size.
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let n = 0; ; n++) {
        const rows = await pool.query<{ data: Buffer }>(
          'SELECT data FROM blob_chunks WHERE blob_id = $1 AND n = $2',
          [id, n],
        );
        const row = rows.rows[0];
        if (!row) return;
        yield row.data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async stat(id: string): Promise<BlobStat | null> {
    if (!isBlobId(id)) return null;
    const rows = await this.pool.query<{ size: string }>('SELECT size FROM blobs WHERE id = $1', [
      id,
    ]);
    const row = rows.rows[0];
    return row ? { size: Number(row.size) } : null;
  }

  async delete(id: string): Promise<boolean> {
    if (!isBlobId(id)) return false;
    // blob_chunks go with it (ON DELETE CASCADE)
    const result = await this.pool.query('DELETE FROM blobs WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
