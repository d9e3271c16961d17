// The purge of deleted rooms on PostgreSQL: up to a slice's worth of their rows,
// messages first and the room's row last, inside the caller's transaction.
import type pg from 'pg';

/** Inside purgeSlice's transaction: up to `max` rows of deleted rooms, messages first. */
export async function purgeRows(client: pg.PoolClient, max: number): Promise<number> {
  let removed = 0;
  while (removed < max) {
    // Several processes may purge at once: each takes a different room.
    const room = await client.query<{ id: string }>(
      `SELECT id FROM rooms WHERE deleted_at IS NOT NULL
       ORDER BY deleted_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    const roomId = room.rows[0]?.id;
    if (roomId === undefined) break;
    const gone = await client.query(
      `DELETE FROM messages WHERE id IN
         (SELECT id FROM messages WHERE room_id = $1 LIMIT $2)`,
      [roomId, max - removed],
    );
    removed += gone.rowCount ?? 0;
    if (removed >= max) break;
    for (const table of ['message_changes', 'message_mentions']) {
      const more = await client.query(
        `DELETE FROM ${table} WHERE ctid IN
           (SELECT ctid FROM ${table} WHERE room_id = $1 LIMIT $2)`,
        [roomId, max - removed],
      );
      removed += more.rowCount ?? 0;
    }
    if (removed >= max) break;
    // Fewer messages than asked for: none are left, so the row can go, unless
    // uploads remain (their blobs go first, through RoomPurger).
    const dropped = await client.query(
      `DELETE FROM rooms WHERE id = $1
       AND NOT EXISTS (SELECT 1 FROM uploads WHERE room_id = $1)`,
      [roomId],
    );
    if (!dropped.rowCount) break;
    removed += dropped.rowCount;
  }
  return removed;
}
