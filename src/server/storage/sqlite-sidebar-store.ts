// SidebarStore on SQLite (the twin of postgres-sidebar-store.ts, held together by
// the sidebar-store contract suite).
import type Database from 'better-sqlite3';
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

interface EntryRow extends Room {
  last_seq: number;
  last_read_seq: number;
  notify: NotifyLevel;
  unread: number;
  mentions: number;
}

interface Params {
  reader: string;
  username: string;
  /** The reader's name as message_mentions stores names: JavaScript toLowerCase (mentionsUser). */
  mention: string;
  account: string | null;
  room: string | null;
}

/**
 * A sidebar with its counts in one statement. Per sidebar row: unread is a range
 * scan of room_seq (room = ?, seq > last_read_seq), mentions one of
 * message_mentions_name (room_id = ?, name = ?, seq > last_read_seq) with each hit
 * checked in its message (deleted, own), each stopping at SIDEBAR_COUNT_CAP. The
 * work is the reader's unread messages (at most the cap per room), not the rooms'
 * histories. Private rooms show only while the account
 * is a member (@account null: open mode).
 */
export const SIDEBAR_ENTRIES_SQL = `
  SELECT r.id, r.name, r.created_at, r.visibility, r.owner_id, r.kind, r.last_seq,
         s.last_read_seq, s.notify,
         (SELECT count(*) FROM (SELECT 1 FROM room_seq q CROSS JOIN messages m ON m.rowid = q.msg
          WHERE q.room = r.rowid AND q.seq > s.last_read_seq
            AND m.deleted_at IS NULL AND m.username <> @username
          LIMIT ${SIDEBAR_COUNT_CAP}) AS capped) AS unread,
         (SELECT count(*) FROM (SELECT 1 FROM message_mentions n
          CROSS JOIN room_seq q ON q.room = r.rowid AND q.seq = n.seq
          CROSS JOIN messages m ON m.rowid = q.msg
          WHERE n.room_id = s.room_id AND n.name = @mention AND n.seq > s.last_read_seq
            AND m.deleted_at IS NULL AND m.username <> @username
          LIMIT ${SIDEBAR_COUNT_CAP}) AS capped) AS mentions
  FROM sidebar_rooms s
  JOIN rooms r ON r.id = s.room_id
  WHERE s.reader = @reader AND (@room IS NULL OR s.room_id = @room)
    AND r.deleted_at IS NULL
    AND (@account IS NULL OR r.visibility = 'public' OR EXISTS
      (SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = @account))
  ORDER BY s.rowid`;

const toEntry = (row: EntryRow): SidebarEntry => ({
  room: {
    id: row.id,
    name: row.name,
    created_at: row.created_at,
    visibility: row.visibility,
    owner_id: row.owner_id,
    kind: row.kind,
  },
  lastReadSeq: row.last_read_seq,
  latestSeq: row.last_seq,
  unread: row.unread,
  mentions: row.mentions,
  notify: row.notify,
});

const toPosition = (row: { last_read_seq: number; notify: NotifyLevel }): ReadPosition => ({
  lastReadSeq: row.last_read_seq,
  notify: row.notify,
});

// Only rows of live rooms change: a deleted room's rows are on their way out.
const LIVE = 'EXISTS (SELECT 1 FROM rooms WHERE id = @room AND deleted_at IS NULL)';

export class SqliteSidebarStore implements SidebarStore {
  private readonly s;

  /** @param beforeRead writes what waits for room_seq, which the counts read. */
  constructor(
    db: Database.Database,
    private readonly beforeRead: () => void = () => {},
  ) {
    this.s = {
      entries: db.prepare<Params, EntryRow>(SIDEBAR_ENTRIES_SQL),
      join: db.prepare<{ reader: string; room: string; notify: NotifyLevel; now: string }>(
        `INSERT INTO sidebar_rooms (reader, room_id, last_read_seq, notify, joined_at)
         SELECT @reader, id, last_seq, @notify, @now FROM rooms
         WHERE id = @room AND deleted_at IS NULL
         ON CONFLICT (reader, room_id) DO NOTHING`,
      ),
      roomLive: db.prepare<{ room: string }, number>(`SELECT 1 WHERE ${LIVE}`).pluck(),
      leave: db.prepare<[string, string]>(
        'DELETE FROM sidebar_rooms WHERE reader = ? AND room_id = ?',
      ),
      setRead: db.prepare<
        { reader: string; room: string; seq: number },
        { last_read_seq: number; notify: NotifyLevel }
      >(
        `UPDATE sidebar_rooms
         SET last_read_seq = min(@seq, (SELECT last_seq FROM rooms WHERE id = @room))
         WHERE reader = @reader AND room_id = @room AND ${LIVE}
         RETURNING last_read_seq, notify`,
      ),
      setNotify: db.prepare<
        { reader: string; room: string; notify: NotifyLevel },
        { last_read_seq: number; notify: NotifyLevel }
      >(
        `UPDATE sidebar_rooms SET notify = @notify
         WHERE reader = @reader AND room_id = @room AND ${LIVE}
         RETURNING last_read_seq, notify`,
      ),
      notifyOverrides: db.prepare<[string], { reader: string; notify: NotifyLevel }>(
        "SELECT reader, notify FROM sidebar_rooms WHERE room_id = ? AND notify <> 'mentions'",
      ),
      removeRoom: db
        .prepare<[string], string>('DELETE FROM sidebar_rooms WHERE room_id = ? RETURNING reader')
        .pluck(),
    };
  }

  private params(reader: SidebarReader, room: string | null): Params {
    return {
      reader: reader.key,
      username: reader.username,
      mention: reader.username.toLowerCase(),
      account: reader.accountId,
      room,
    };
  }

  async list(reader: SidebarReader): Promise<SidebarEntry[]> {
    this.beforeRead();
    return this.s.entries.all(this.params(reader, null)).map(toEntry);
  }

  async get(reader: SidebarReader, roomId: string): Promise<SidebarEntry | null> {
    this.beforeRead();
    const row = this.s.entries.get(this.params(reader, roomId));
    return row ? toEntry(row) : null;
  }

  async join(readerKey: string, roomId: string, notify: NotifyLevel): Promise<JoinResult> {
    const now = new Date().toISOString();
    if (this.s.join.run({ reader: readerKey, room: roomId, notify, now }).changes > 0) {
      return 'added';
    }
    return this.s.roomLive.get({ room: roomId }) === 1 ? 'present' : 'no_room';
  }

  async leave(readerKey: string, roomId: string): Promise<boolean> {
    return this.s.leave.run(readerKey, roomId).changes > 0;
  }

  async setRead(readerKey: string, roomId: string, seq: number): Promise<ReadPosition | null> {
    const row = this.s.setRead.get({ reader: readerKey, room: roomId, seq });
    return row ? toPosition(row) : null;
  }

  async setNotify(
    readerKey: string,
    roomId: string,
    level: NotifyLevel,
  ): Promise<ReadPosition | null> {
    const row = this.s.setNotify.get({ reader: readerKey, room: roomId, notify: level });
    return row ? toPosition(row) : null;
  }

  async notifyOverrides(roomId: string): Promise<NotifyOverrides> {
    return splitOverrides(this.s.notifyOverrides.all(roomId));
  }

  async removeRoom(roomId: string): Promise<string[]> {
    return this.s.removeRoom.all(roomId);
  }
}
