// SidebarStore on PostgreSQL (the twin of sqlite-sidebar-store.ts, held together by
// the sidebar-store contract suite).
import type pg from 'pg';
import type { Room } from '../../protocol/rest.js';
import { type NotifyLevel, SIDEBAR_COUNT_CAP } from '../../protocol/workspace.js';
import type {
  JoinResult,
  NotifyOverrides,
  ReadPosition,
  SidebarEntry,
  SidebarReader,
  SidebarStore,
} from './sidebar-store.js';
import { splitOverrides } from './sidebar-store.js';

interface EntryRow {
  id: string;
  name: string;
  created_at: Date;
  visibility: Room['visibility'];
  owner_id: string | null;
  kind: Room['kind'];
  // BIGINT and count(*) arrive as strings
  last_seq: string;
  last_read_seq: string;
  notify: NotifyLevel;
  unread: string;
  mentions: string;
}

interface PositionRow {
  last_read_seq: string;
  notify: NotifyLevel;
}

/**
 * A sidebar with its counts in one statement. Per sidebar row: unread is a range
 * scan of messages_room_seq (room_id = ?, seq > last_read_seq), mentions one of
 * message_mentions_name (room_id = ?, name = ?, seq > last_read_seq) with each hit
 * checked in its message (deleted, own), each stopping at SIDEBAR_COUNT_CAP. The
 * work is the reader's unread messages (at most the cap per room), not the rooms'
 * histories. Private rooms show only while the account
 * ($4) is a member ($4 null: open mode). $1 reader, $2 username (own messages),
 * $3 the name as message_mentions stores it (lower case), $5 one room or null.
 */
const ENTRIES = `
  SELECT r.id, r.name, r.created_at, r.visibility, r.owner_id, r.kind, r.last_seq,
         s.last_read_seq, s.notify,
         (SELECT count(*) FROM (SELECT 1 FROM messages m
          WHERE m.room_id = s.room_id AND m.seq > s.last_read_seq
            AND m.deleted_at IS NULL AND m.username <> $2
          LIMIT ${SIDEBAR_COUNT_CAP}) AS capped) AS unread,
         (SELECT count(*) FROM (SELECT 1 FROM message_mentions n
          JOIN messages m ON m.room_id = n.room_id AND m.seq = n.seq
          WHERE n.room_id = s.room_id AND n.name = $3 AND n.seq > s.last_read_seq
            AND m.deleted_at IS NULL AND m.username <> $2
          LIMIT ${SIDEBAR_COUNT_CAP}) AS capped) AS mentions
  FROM sidebar_rooms s
  JOIN rooms r ON r.id = s.room_id
  WHERE s.reader = $1 AND ($5::text IS NULL OR s.room_id = $5)
    AND r.deleted_at IS NULL
    AND ($4::text IS NULL OR r.visibility = 'public' OR EXISTS
      (SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = $4))
  ORDER BY s.pos`;

const toEntry = (row: EntryRow): SidebarEntry => ({
  room: {
    id: row.id,
    name: row.name,
    created_at: row.created_at.toISOString(),
    visibility: row.visibility,
    owner_id: row.owner_id,
    kind: row.kind,
  },
  lastReadSeq: Number(row.last_read_seq),
  latestSeq: Number(row.last_seq),
  unread: Number(row.unread),
  mentions: Number(row.mentions),
  notify: row.notify,
});

const toPosition = (row: PositionRow): ReadPosition => ({
  lastReadSeq: Number(row.last_read_seq),
  notify: row.notify,
});

/** PostgreSQL text cannot hold NUL; an id containing one names nothing stored. */
const storable = (id: string): boolean => !id.includes('\u0000');

// Only rows of live rooms change: a deleted room's rows are on their way out.
const LIVE = 'EXISTS (SELECT 1 FROM rooms WHERE id = $2 AND deleted_at IS NULL)';

export class PostgresSidebarStore implements SidebarStore {
  constructor(private readonly pool: pg.Pool) {}

  private async entries(reader: SidebarReader, roomId: string | null): Promise<SidebarEntry[]> {
    const { rows } = await this.pool.query<EntryRow>(ENTRIES, [
      reader.key,
      reader.username,
      reader.username.toLowerCase(),
      reader.accountId,
      roomId,
    ]);
    return rows.map(toEntry);
  }

  list(reader: SidebarReader): Promise<SidebarEntry[]> {
    return this.entries(reader, null);
  }

  async get(reader: SidebarReader, roomId: string): Promise<SidebarEntry | null> {
    if (!storable(roomId)) return null;
    return (await this.entries(reader, roomId))[0] ?? null;
  }

  async join(readerKey: string, roomId: string, notify: NotifyLevel): Promise<JoinResult> {
    if (!storable(roomId)) return 'no_room';
    const inserted = await this.pool.query(
      `INSERT INTO sidebar_rooms (reader, room_id, last_read_seq, notify, joined_at)
       SELECT $1, id, last_seq, $3, now() FROM rooms WHERE id = $2 AND deleted_at IS NULL
       ON CONFLICT (reader, room_id) DO NOTHING`,
      [readerKey, roomId, notify],
    );
    if ((inserted.rowCount ?? 0) > 0) return 'added';
    const live = await this.pool.query('SELECT 1 FROM rooms WHERE id = $1 AND deleted_at IS NULL', [
      roomId,
    ]);
    return live.rows.length > 0 ? 'present' : 'no_room';
  }

  async leave(readerKey: string, roomId: string): Promise<boolean> {
    if (!storable(roomId)) return false;
    const { rowCount } = await this.pool.query(
      'DELETE FROM sidebar_rooms WHERE reader = $1 AND room_id = $2',
      [readerKey, roomId],
    );
    return (rowCount ?? 0) > 0;
  }

  async setRead(readerKey: string, roomId: string, seq: number): Promise<ReadPosition | null> {
    if (!storable(roomId)) return null;
    const { rows } = await this.pool.query<PositionRow>(
      `UPDATE sidebar_rooms
       SET last_read_seq = LEAST($3::bigint, (SELECT last_seq FROM rooms WHERE id = $2))
       WHERE reader = $1 AND room_id = $2 AND ${LIVE}
       RETURNING last_read_seq, notify`,
      [readerKey, roomId, seq],
    );
    return rows[0] ? toPosition(rows[0]) : null;
  }

  async setNotify(
    readerKey: string,
    roomId: string,
    level: NotifyLevel,
  ): Promise<ReadPosition | null> {
    if (!storable(roomId)) return null;
    const { rows } = await this.pool.query<PositionRow>(
      `UPDATE sidebar_rooms SET notify = $3
       WHERE reader = $1 AND room_id = $2 AND ${LIVE}
       RETURNING last_read_seq, notify`,
      [readerKey, roomId, level],
    );
    return rows[0] ? toPosition(rows[0]) : null;
  }

  async notifyOverrides(roomId: string): Promise<NotifyOverrides> {
    if (!storable(roomId)) return { all: [], none: [] };
    const { rows } = await this.pool.query<{ reader: string; notify: NotifyLevel }>(
      "SELECT reader, notify FROM sidebar_rooms WHERE room_id = $1 AND notify <> 'mentions'",
      [roomId],
    );
    return splitOverrides(rows);
  }

  async removeRoom(roomId: string): Promise<string[]> {
    if (!storable(roomId)) return [];
    const { rows } = await this.pool.query<{ reader: string }>(
      'DELETE FROM sidebar_rooms WHERE room_id = $1 RETURNING reader',
      [roomId],
    );
    return rows.map((r) => r.reader);
  }
}
