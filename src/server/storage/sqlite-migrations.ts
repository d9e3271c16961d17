import type { Migration } from './migrations.js';

/**
 * Numbered SQLite migrations; the table parley_migrations records which are applied.
 * Append new ones; never edit an applied one. They run in version order.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE rooms (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        -- per-room sequence: the seq of the room's newest message
        last_seq   INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE messages (
        id        TEXT PRIMARY KEY,
        room_id   TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        username  TEXT NOT NULL,
        content   TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        client_id TEXT
      );
      -- history and resume read by (room_id, seq); also what makes seq unique per room
      CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq);
      -- idempotent sends: one message per client-generated id per room, forever
      CREATE UNIQUE INDEX messages_room_client_id ON messages (room_id, client_id)
        WHERE client_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    sql: `
      -- a deleted room is marked at once and invisible from then on; its messages
      -- are purged behind it in small slices (room-purger.ts), then the row goes
      ALTER TABLE rooms ADD COLUMN deleted_at TEXT;
      CREATE INDEX rooms_deleted ON rooms (deleted_at) WHERE deleted_at IS NOT NULL;
      -- idempotency keys belong to their sender: another user reusing a client_id
      -- gets a message of their own, not someone else's
      DROP INDEX messages_room_client_id;
      CREATE UNIQUE INDEX messages_room_sender_client_id
        ON messages (room_id, username, client_id) WHERE client_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    sql: `
      -- key/value facts about the database as a whole
      CREATE TABLE parley_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      -- the history epoch (see ChatStore.epoch); a restore sets a new one
      INSERT INTO parley_meta (key, value) VALUES ('epoch', lower(hex(randomblob(8))));
    `,
  },
  {
    version: 4,
    sql: `
      -- the room list in creation order, paged by (created_at, rowid) ranges
      CREATE INDEX rooms_created_at ON rooms (created_at);
    `,
  },
  {
    version: 10,
    sql: `
      -- accounts mode (CHAT_AUTH=accounts); usernames are unique ignoring case (username_key)
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL,
        username_key  TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL,
        active        INTEGER NOT NULL DEFAULT 1,
        created_at    TEXT NOT NULL
      );
      -- only SHA-256 hashes of session and API tokens are stored
      CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        user_agent   TEXT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   TEXT NOT NULL,
        last_used_at TEXT
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_id);
      CREATE TABLE invites (
        code       TEXT PRIMARY KEY,
        created_by TEXT NOT NULL,
        uses       INTEGER NOT NULL,
        uses_left  INTEGER NOT NULL,
        expires_at TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      -- failed logins per account and per address, shared by every process
      CREATE TABLE login_counters (
        key             TEXT PRIMARY KEY,
        failures        INTEGER NOT NULL,
        last_failure_at TEXT NOT NULL
      );
      -- members of private rooms (and DMs)
      CREATE TABLE room_members (
        room_id  TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (room_id, user_id)
      );
      CREATE INDEX room_members_user ON room_members (user_id);
      -- who created a room (NULL: open mode), who sees it, and DMs' pair key
      ALTER TABLE rooms ADD COLUMN owner_id TEXT;
      ALTER TABLE rooms ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
      ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room';
      ALTER TABLE rooms ADD COLUMN dm_key TEXT;
      CREATE UNIQUE INDEX rooms_dm_key ON rooms (dm_key)
        WHERE dm_key IS NOT NULL AND deleted_at IS NULL;
    `,
  },
  {
    version: 40,
    sql: `
      -- uploaded files (their bytes are in the blob store, under the same id);
      -- message_id is set when a message takes them. No foreign key to rooms: a
      -- deleted room's row stays until its uploads (and blobs) are gone.
      CREATE TABLE uploads (
        id         TEXT PRIMARY KEY,
        room_id    TEXT NOT NULL,
        name       TEXT NOT NULL,
        type       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        width      INTEGER,
        height     INTEGER,
        created_at TEXT NOT NULL,
        message_id TEXT,
        -- claimed by the sweep of abandoned uploads: no message may take it
        deleting   INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX uploads_room ON uploads (room_id);
      CREATE INDEX uploads_unsent ON uploads (created_at) WHERE message_id IS NULL;
      -- the attachments' metadata (JSON array), null for a message without files
      ALTER TABLE messages ADD COLUMN attachments TEXT;
    `,
  },
  {
    version: 41,
    sql: `
      -- PostgreSQL's 41 makes the tables of its blob store; SQLite deployments keep
      -- files in a folder (fs-blob-store.ts), so there is nothing to do here. Kept so
      -- both lists carry the same versions.
      SELECT 1;
    `,
  },
  {
    version: 30,
    sql: `
      -- full-text search (README "Search"): a contentless FTS5 index over messages,
      -- keyed by the message's rowid. It indexes parley_index_text(content), the
      -- tokens of protocol/search-text.ts one space apart (a function the store
      -- registers on its connection), and splits on spaces only, so SQLite and
      -- PostgreSQL index the same tokens.
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        body,
        content = '',
        contentless_delete = 1,
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C*'"
      );
      -- existing messages are indexed here, in the migration's transaction
      INSERT INTO messages_fts (rowid, body)
        SELECT rowid, parley_index_text(content) FROM messages;
      -- kept in step in the transaction that stores, edits or deletes a message
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, parley_index_text(new.content));
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.rowid;
        INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, parley_index_text(new.content));
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = old.rowid;
      END;
    `,
  },
  {
    version: 31,
    // PostgreSQL indexes existing messages here; SQLite's migration 30 already did.
    sql: 'SELECT 1',
  },
  {
    version: 50,
    sql: `
      -- issue 11, messages that live (README "Storage"): edits, deletes and reactions
      -- are entries of the room's log, taking seqs from rooms.last_seq like messages.
      -- A message keeps its current state in its row; a deleted one stays as a
      -- tombstone (content '', deleted_at) so seqs and reply previews hold.
      ALTER TABLE messages ADD COLUMN edited_at TEXT;
      ALTER TABLE messages ADD COLUMN deleted_at TEXT;
      -- the answered message (same room), or null
      ALTER TABLE messages ADD COLUMN reply_to TEXT;
      -- JSON [{"emoji", "users": [...]}] in the order emoji were first used; null when none
      ALTER TABLE messages ADD COLUMN reactions TEXT;
      -- JSON array of the names written as @name (protocol/mentions.ts); null when none
      ALTER TABLE messages ADD COLUMN mentions TEXT;
      CREATE TABLE message_changes (
        id         TEXT PRIMARY KEY,
        room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        kind       TEXT NOT NULL,
        username   TEXT NOT NULL,
        timestamp  TEXT NOT NULL,
        content    TEXT,
        emoji      TEXT,
        client_id  TEXT
      );
      CREATE UNIQUE INDEX message_changes_room_seq ON message_changes (room_id, seq);
      CREATE UNIQUE INDEX message_changes_sender_client_id
        ON message_changes (room_id, username, client_id) WHERE client_id IS NOT NULL;
      CREATE INDEX message_changes_message ON message_changes (message_id);
      -- who each live message mentions, lower-cased (JavaScript toLowerCase), for
      -- mention counts per room after a read position (issue 12)
      CREATE TABLE message_mentions (
        room_id TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        name    TEXT NOT NULL,
        PRIMARY KEY (room_id, seq, name)
      );
      CREATE INDEX message_mentions_name ON message_mentions (room_id, name, seq);
      `,
  },
  {
    version: 70,
    sql: `
      -- Web Push (README "Notifications"): one row per browser subscription, keyed by
      -- its endpoint (a browser has one per site), owned by a reader (domain/reader.ts:
      -- u:<username> or a:<account id>). The VAPID keys are a file beside this database.
      CREATE TABLE push_subscriptions (
        endpoint   TEXT PRIMARY KEY,
        reader     TEXT NOT NULL,
        p256dh     TEXT NOT NULL,
        auth       TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX push_subscriptions_reader ON push_subscriptions (reader, created_at);
    `,
  },
  {
    version: 60,
    sql: `
      -- sidebars (README "Sidebar and read state"): the rooms each reader keeps
      -- in view, and how far they read. reader is 'u:<username>' (open mode) or
      -- 'a:<account id>' (accounts mode); rowid keeps the order they were joined.
      CREATE TABLE sidebar_rooms (
        reader        TEXT NOT NULL,
        room_id       TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        -- everything up to this seq was read; unread counts range-scan
        -- messages_room_seq from here to the room's last_seq
        last_read_seq INTEGER NOT NULL,
        notify        TEXT NOT NULL,
        joined_at     TEXT NOT NULL,
        PRIMARY KEY (reader, room_id)
      );
      -- a deleted room leaves every sidebar
      CREATE INDEX sidebar_rooms_room ON sidebar_rooms (room_id);
      -- members of private rooms and DMs from before sidebars have them in theirs,
      -- read up to now
      INSERT INTO sidebar_rooms (reader, room_id, last_read_seq, notify, joined_at)
        SELECT 'a:' || m.user_id, m.room_id, r.last_seq,
               CASE r.kind WHEN 'dm' THEN 'all' ELSE 'mentions' END, m.added_at
        FROM room_members m JOIN rooms r ON r.id = m.room_id
        WHERE r.deleted_at IS NULL
        ORDER BY m.added_at;
    `,
  },
  {
    version: 80,
    sql: `
      -- A deleted message's words leave the file, not just the index (README
      -- "Messages that live"). Migration 30's contentless_delete table could only
      -- mark a rowid deleted: its words stayed in the index's segments until a
      -- merge. Rebuilt as a plain contentless table, an entry is removed with
      -- FTS5's 'delete' command, given the text it was indexed with, and with
      -- 'secure-delete' on FTS5 rewrites the segment without it. parley_index_text
      -- must therefore give the same tokens for the same text: changing it needs
      -- a migration that rebuilds this index. A tombstone (deleted_at set) has no
      -- entry, so the triggers skip it. The old index's pages are freed here, and
      -- zeroed, since the store runs with PRAGMA secure_delete.
      DROP TRIGGER messages_fts_insert;
      DROP TRIGGER messages_fts_update;
      DROP TRIGGER messages_fts_delete;
      DROP TABLE messages_fts;
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        body,
        content = '',
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C*'"
      );
      INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
      INSERT INTO messages_fts (rowid, body)
        SELECT rowid, parley_index_text(content) FROM messages WHERE deleted_at IS NULL;
      -- No insert trigger (issue 14): the store indexes a new message itself,
      -- with the same text (since round 6 after its commit: sqlite-search-backlog.ts).
      -- An INSERT that fires a trigger runs in a statement savepoint, and FTS5
      -- writes its pending terms out as a new segment at every savepoint: a
      -- segment (and its merges) per message instead of one per commit, about
      -- half of a message's storage CPU. Edits and deletes are rare: triggers.
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
        WHEN old.deleted_at IS NULL BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body)
          VALUES ('delete', old.rowid, parley_index_text(old.content));
        INSERT INTO messages_fts (rowid, body)
          SELECT new.rowid, parley_index_text(new.content) WHERE new.deleted_at IS NULL;
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.deleted_at IS NULL BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body)
          VALUES ('delete', old.rowid, parley_index_text(old.content));
      END;
    `,
  },
  {
    version: 90,
    sql: `
      -- Idempotency keys lead their unique indexes (issue 14). Keyed (room_id,
      -- username, client_id), a new key lands inside its sender's range of the room:
      -- a random page for random keys, and one page per room and sender in a batch
      -- even for ordered ones, so a commit dirtied (and wrote to the WAL, and
      -- checkpointed) about one page of this index per message. The web client's
      -- keys are time-ordered (UUIDv7, protocol/uuid7.ts); with the key first they
      -- append at the index's end, a page or two per commit whatever the rooms.
      -- Same three columns, same uniqueness; lookups name all three.
      DROP INDEX messages_room_sender_client_id;
      CREATE UNIQUE INDEX messages_client_id
        ON messages (client_id, room_id, username) WHERE client_id IS NOT NULL;
      DROP INDEX message_changes_sender_client_id;
      CREATE UNIQUE INDEX message_changes_client_id
        ON message_changes (client_id, room_id, username) WHERE client_id IS NOT NULL;
    `,
  },
  {
    version: 100,
    sql: `
      -- Open-mode push subscriptions belong to the name ignoring case, as mentions
      -- match (push/push-owner.ts): owners saved before are lower-cased here.
      -- SQLite's lower() folds ASCII only; a name with other capitals is folded
      -- when its browser next opens Parley, which gives its subscription again.
      UPDATE push_subscriptions SET reader = 'u:' || lower(substr(reader, 3))
        WHERE substr(reader, 1, 2) = 'u:';
    `,
  },
  {
    version: 110,
    sql: `
      -- Where each room's messages are, by seq (issue 14; sqlite-room-index.ts).
      -- As an index of messages, (room_id, seq) took a new entry at each room's end
      -- in every commit: one page per room per commit, most of what a busy commit
      -- wrote. As a table of its own it is written after the commit, a few
      -- thousand entries at a time, room by room. room is the room's rowid (an
      -- entry a quarter the size of one keyed by its UUID, and placed faster:
      -- bench/message-layout.ts), msg the message's, as the search index
      -- keys on it: backups copy pages (sqlite-backup.ts), and Parley never runs
      -- VACUUM, which may renumber the rowids of tables without an INTEGER PRIMARY KEY.
      -- Every message up to room_seq_through has its entry; the store places the
      -- ones after it at start. seq stays unique per room: the message log takes
      -- each room's seqs from rooms.last_seq in its write transaction.
      CREATE TABLE room_seq (
        room INTEGER NOT NULL,
        seq  INTEGER NOT NULL,
        msg  INTEGER NOT NULL,
        PRIMARY KEY (room, seq)
      ) WITHOUT ROWID;
      INSERT INTO room_seq (room, seq, msg)
        SELECT r.rowid, m.seq, m.rowid FROM messages m JOIN rooms r ON r.id = m.room_id
        ORDER BY r.rowid, m.seq;
      INSERT INTO parley_meta (key, value)
        SELECT 'room_seq_through', coalesce(max(rowid), 0) FROM messages;
      DROP INDEX messages_room_seq;
    `,
  },
];
