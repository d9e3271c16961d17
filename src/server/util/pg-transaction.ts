import type pg from 'pg';

/**
 * Runs `fn` in a transaction on one pooled connection. A connection that failed
 * is dropped, not returned to the pool; no ROLLBACK round trip is made (on a dead
 * network it would wait out another timeout): the server rolls back when the
 * connection goes.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A checked-out connection has no pool listener; its errors surface as failed queries.
  const ignore = (): void => {};
  client.on('error', ignore);
  let failed = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    client.off('error', ignore);
    client.release(failed);
  }
}
