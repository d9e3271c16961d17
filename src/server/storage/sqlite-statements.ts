// Every statement of the SQLite store, prepared once at init: the SQL in one place,
// beside the row shapes it reads (sqlite-rows.ts), shared by the store's modules.
import type Database from 'better-sqlite3';
import { REPLY_EXCERPT_LENGTH } from '../../protocol/changes.js';
import type { Room } from '../../protocol/rest.js';
import { CHANGE_COLUMNS, type ChangeColumns, REPLY_JOIN, STATE_SELECT } from './message-state.js';
import type { MessageRow, MessageTuple, RoomRow, UploadRow } from './sqlite-rows.js';

const UPLOAD_COLUMNS = 'id, room_id, name, type, size, width, height, created_at, message_id';

const MESSAGE_COLUMNS = 'id, room_id, seq, username, content, timestamp, client_id, attachments';
/** A message in its current state, with its reply target (message-state.ts); `m` is the message. */
const SELECT_MESSAGE = `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp,
  m.client_id, m.attachments, ${STATE_SELECT} FROM messages m ${REPLY_JOIN}`;
/**
 * Pages of history, as arrays: the state columns without the reply join, which
 * cost every row a lookup; the few replies get their previews afterwards. A
 * room's messages are found by seq in room_seq (`s`; sqlite-room-index.ts), which
 * CROSS JOIN keeps first.
 */
const SELECT_PAGE = `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp,
  m.client_id, m.attachments, m.edited_at, m.reactions, m.mentions, m.reply_to
  FROM room_seq s CROSS JOIN messages m ON m.rowid = s.msg`;
/**
 * The room's number in room_seq (its rowid), NULL once it is marked deleted, which
 * hides the messages of a room not purged yet. Evaluated once per query.
 */
const LIVE_ROOM_NO = '(SELECT rowid FROM rooms WHERE id = ? AND deleted_at IS NULL)';
const ROOM_COLUMNS = 'id, name, created_at, visibility, owner_id, kind';
// Accounts mode: public rooms, and private ones the viewer is a member of; every
// room when @viewer is NULL (open mode).
const VISIBLE_TO = `(@viewer IS NULL OR visibility = 'public' OR EXISTS
  (SELECT 1 FROM room_members m WHERE m.room_id = rooms.id AND m.user_id = @viewer))`;
// Hides the messages of a room marked deleted but not purged yet. Not correlated,
// so SQLite evaluates it once per query, not per row; its `?` is the room id again.
const ROOM_LIVE = 'NOT EXISTS (SELECT 1 FROM rooms WHERE id = ? AND deleted_at IS NOT NULL)';

export function prepareStatements(db: Database.Database) {
  return {
    // A second DM of the same pair is not inserted (rooms_dm_key).
    insertRoom: db.prepare(
      `INSERT INTO rooms (${ROOM_COLUMNS}, dm_key)
         VALUES (@id, @name, @created_at, @visibility, @owner_id, @kind, @dm_key)
         ON CONFLICT (dm_key) WHERE dm_key IS NOT NULL AND deleted_at IS NULL DO NOTHING`,
    ),
    insertMember: db.prepare<[string, string, string]>(
      'INSERT OR IGNORE INTO room_members (room_id, user_id, added_at) VALUES (?, ?, ?)',
    ),
    dmByKey: db.prepare<[string], Room>(
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE dm_key = ? AND deleted_at IS NULL`,
    ),
    rename: db.prepare<[string, string]>(
      'UPDATE rooms SET name = ? WHERE id = ? AND deleted_at IS NULL',
    ),
    listRooms: db.prepare<{ viewer: string | null }, Room>(
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE deleted_at IS NULL AND ${VISIBLE_TO}
         ORDER BY created_at, rowid`,
    ),
    getRoom: db.prepare<[string], Room>(
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = ? AND deleted_at IS NULL`,
    ),
    markDeleted: db.prepare<[string, string]>(
      'UPDATE rooms SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL',
    ),
    // (created_at, rowid) row values: a range scan of rooms_created_at (rowid is in every index).
    roomsAfter: db.prepare<
      { createdAt: string; pos: number; limit: number; viewer: string | null },
      RoomRow
    >(
      `SELECT ${ROOM_COLUMNS}, rowid AS pos FROM rooms
         WHERE (created_at, rowid) > (@createdAt, @pos) AND deleted_at IS NULL AND ${VISIBLE_TO}
         ORDER BY created_at, rowid LIMIT @limit`,
    ),
    // By rowid, the room's number: no lookup of its id.
    setSeq: db.prepare<[number, number]>('UPDATE rooms SET last_seq = ? WHERE rowid = ?'),
    // Another connection committed to the file since this one last read it: this
    // value changed (SqliteMessageLog's room cache).
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    // A live room's newest seq, and its number in room_seq.
    latestSeq: db.prepare<[string], { no: number; last_seq: number }>(
      'SELECT rowid AS no, last_seq FROM rooms WHERE id = ? AND deleted_at IS NULL',
    ),
    epoch: db.prepare<[], { value: string }>("SELECT value FROM parley_meta WHERE key = 'epoch'"),
    setEpoch: db.prepare<[string]>(
      "INSERT INTO parley_meta (key, value) VALUES ('epoch', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
    // Purging a deleted room: the oldest deletion first, a slice of its messages
    // at a time (found in room_seq, whose entries go with them), then its row.
    nextDeleted: db.prepare<[], { id: string }>(
      'SELECT id FROM rooms WHERE deleted_at IS NOT NULL ORDER BY deleted_at LIMIT 1',
    ),
    purgeMessages: db.prepare<[string, number]>(
      `DELETE FROM messages WHERE rowid IN (SELECT msg FROM room_seq
         WHERE room = (SELECT rowid FROM rooms WHERE id = ?) ORDER BY seq LIMIT ?)`,
    ),
    purgeSeqs: db.prepare<[string, number]>(
      `DELETE FROM room_seq WHERE (room, seq) IN (SELECT room, seq FROM room_seq
         WHERE room = (SELECT rowid FROM rooms WHERE id = ?) ORDER BY seq LIMIT ?)`,
    ),
    purgeChanges: db.prepare<[string, number]>(
      'DELETE FROM message_changes WHERE rowid IN (SELECT rowid FROM message_changes WHERE room_id = ? LIMIT ?)',
    ),
    purgeMentions: db.prepare<[string, number]>(
      'DELETE FROM message_mentions WHERE rowid IN (SELECT rowid FROM message_mentions WHERE room_id = ? LIMIT ?)',
    ),
    // Not while uploads remain: their blobs are deleted first (RoomPurger).
    dropRoom: db.prepare<[string, string]>(
      `DELETE FROM rooms WHERE id = ? AND deleted_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM uploads WHERE room_id = ?)`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (${MESSAGE_COLUMNS}, reply_to, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // A new message's search index entry (what migration 30's insert trigger wrote).
    // FTS5 takes a second entry for a rowid without a word: SqliteSearchBacklog
    // skips the rowids `indexedIn` finds first.
    index: db.prepare<[number | bigint, string]>(
      'INSERT INTO messages_fts (rowid, body) VALUES (?, ?)',
    ),
    indexedIn: db
      .prepare<[number | bigint, number | bigint], number>(
        'SELECT id FROM messages_fts_docsize WHERE id BETWEEN ? AND ?',
      )
      .pluck(),
    insertMention: db.prepare<[string, number, string]>(
      'INSERT OR IGNORE INTO message_mentions (room_id, seq, name) VALUES (?, ?, ?)',
    ),
    dropMentions: db.prepare<[string, number]>(
      'DELETE FROM message_mentions WHERE room_id = ? AND seq = ?',
    ),
    replyPreview: db.prepare<
      [string],
      { seq: number; username: string; excerpt: string; deleted_at: string | null }
    >(
      `SELECT seq, username, substr(content, 1, ${REPLY_EXCERPT_LENGTH}) AS excerpt, deleted_at
         FROM messages WHERE id = ?`,
    ),
    // The row itself (tombstones too), with what a change needs.
    target: db.prepare<
      [string, string],
      {
        rowid: number;
        seq: number;
        username: string;
        content: string;
        attachments: string | null;
        reactions: string | null;
        deleted_at: string | null;
      }
    >(
      `SELECT rowid, seq, username, content, attachments, reactions, deleted_at
         FROM messages WHERE id = ? AND room_id = ?`,
    ),
    getMessage: db.prepare<[string, string], MessageRow & { deleted_at: string | null }>(
      `${SELECT_MESSAGE.replace(' FROM messages m', ', m.deleted_at FROM messages m')}
         WHERE m.id = ? AND m.room_id = ?`,
    ),
    sameChangeKey: db.prepare<[string, string, string], ChangeColumns>(
      `SELECT ${CHANGE_COLUMNS} FROM message_changes
         WHERE room_id = ? AND username = ? AND client_id = ?`,
    ),
    insertChange: db.prepare(
      `INSERT INTO message_changes (${CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    editMessage: db.prepare<[string, string, string | null, string]>(
      'UPDATE messages SET content = ?, edited_at = ?, mentions = ? WHERE id = ?',
    ),
    // The tombstone: no text, files, reactions or mentions are left.
    deleteMessage: db.prepare<[string, string]>(
      `UPDATE messages SET content = '', attachments = NULL, reactions = NULL, mentions = NULL,
           deleted_at = ? WHERE id = ?`,
    ),
    // The message's earlier changes (their edit texts among them) go with it.
    dropChanges: db.prepare<[string]>('DELETE FROM message_changes WHERE message_id = ?'),
    messageUploads: db
      .prepare<[string], string>('SELECT id FROM uploads WHERE message_id = ?')
      .pluck(),
    // Released like abandoned uploads, so the sweep deletes them should the caller not.
    releaseUploads: db.prepare<[string]>(
      'UPDATE uploads SET message_id = NULL, deleting = 1 WHERE message_id = ?',
    ),
    setReactions: db.prepare<[string | null, string]>(
      'UPDATE messages SET reactions = ? WHERE id = ?',
    ),
    changesAfter: db.prepare<[string, number, string, number], ChangeColumns>(
      `SELECT ${CHANGE_COLUMNS} FROM message_changes
         WHERE room_id = ? AND seq > ? AND ${ROOM_LIVE} ORDER BY seq LIMIT ?`,
    ),
    insertUpload: db.prepare(
      `INSERT INTO uploads (id, room_id, name, type, size, width, height, created_at)
         SELECT ?, id, ?, ?, ?, ?, ?, ? FROM rooms WHERE id = ? AND deleted_at IS NULL`,
    ),
    getUpload: db.prepare<[string], UploadRow>(
      `SELECT ${UPLOAD_COLUMNS} FROM uploads u
         WHERE id = ? AND deleting = 0
         AND EXISTS (SELECT 1 FROM rooms r WHERE r.id = u.room_id AND r.deleted_at IS NULL)`,
    ),
    attachable: db.prepare<[string, string], UploadRow>(
      `SELECT ${UPLOAD_COLUMNS} FROM uploads
         WHERE id = ? AND room_id = ? AND message_id IS NULL AND deleting = 0`,
    ),
    attach: db.prepare<[string, string]>('UPDATE uploads SET message_id = ? WHERE id = ?'),
    deletedRoomUploads: db
      .prepare<[number], string>(
        `SELECT u.id FROM rooms r JOIN uploads u ON u.room_id = r.id
           WHERE r.deleted_at IS NOT NULL LIMIT ?`,
      )
      .pluck(),
    markAbandoned: db.prepare<[string, number]>(
      `UPDATE uploads SET deleting = 1 WHERE id IN (SELECT id FROM uploads
           WHERE message_id IS NULL AND deleting = 0 AND created_at < ? LIMIT ?)`,
    ),
    claimedUploads: db
      .prepare<[number], string>(
        'SELECT id FROM uploads WHERE message_id IS NULL AND deleting = 1 LIMIT ?',
      )
      .pluck(),
    forgetUpload: db.prepare<[string]>('DELETE FROM uploads WHERE id = ?'),
    // The unique index the insert checks anyway also finds a retried send: no
    // lookup before every insert. Only that conflict is ignored; any other still throws.
    insertKeyed: db.prepare(
      `INSERT INTO messages (${MESSAGE_COLUMNS}, reply_to, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_id, room_id, username) WHERE client_id IS NOT NULL DO NOTHING`,
    ),
    sameClientId: db.prepare<[string, string, string], MessageRow>(
      `${SELECT_MESSAGE} WHERE m.room_id = ? AND m.username = ? AND m.client_id = ?`,
    ),
    // Pages of history come back as arrays (raw), a third cheaper than row objects.
    recent: db
      .prepare<[string, number, number], MessageTuple>(
        `${SELECT_PAGE}
         WHERE s.room = ${LIVE_ROOM_NO} AND s.seq < ? AND m.deleted_at IS NULL
         ORDER BY s.seq DESC LIMIT ?`,
      )
      .raw(true),
    after: db
      .prepare<[string, number, number], MessageTuple>(
        `${SELECT_PAGE}
         WHERE s.room = ${LIVE_ROOM_NO} AND s.seq > ? AND m.deleted_at IS NULL
         ORDER BY s.seq LIMIT ?`,
      )
      .raw(true),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
