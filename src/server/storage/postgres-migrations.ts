import type { Migration } from './migrations.js';

/**
 * Numbered PostgreSQL migrations; the table `parley_migrations` records the
 * applied ones. Append new ones; never edit an applied one. They run in version
 * order. The schema mirrors sqlite-migrations.ts, and the store contract tests
 * keep the two equivalent.
 */
/** The migration that indexes the messages stored before search existed. */
export const SEARCH_BACKFILL_VERSION = 31;

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE rooms (
        -- TEXT, not UUID: ids arrive from URLs, and an unknown one must be "not found", not a type error
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        -- per-room sequence: the seq of the room's newest message; its row lock
        -- serializes writers to the room across every server process
        last_seq   BIGINT NOT NULL DEFAULT 0,
        -- creation order, for listing rooms created in the same millisecond
        pos        BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE TABLE messages (
        id        TEXT PRIMARY KEY,
        room_id   TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq       BIGINT NOT NULL,
        username  TEXT NOT NULL,
        content   TEXT NOT NULL,
        timestamp TIMESTAMPTZ NOT NULL,
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
      -- are purged behind it in short transactions (room-purger.ts), then the row goes
      ALTER TABLE rooms ADD COLUMN deleted_at TIMESTAMPTZ;
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
      INSERT INTO parley_meta (key, value)
        VALUES ('epoch', substr(md5(random()::text || clock_timestamp()::text), 1, 16));
    `,
  },
  {
    version: 4,
    sql: `
      -- the room list in creation order, paged by (created_at, pos) ranges
      CREATE INDEX rooms_created_at_pos ON rooms (created_at, pos);
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
        active        BOOLEAN NOT NULL DEFAULT true,
        created_at    TIMESTAMPTZ NOT NULL
      );
      -- only SHA-256 hashes of session and API tokens are stored
      CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        user_agent   TEXT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   TIMESTAMPTZ NOT NULL,
        last_used_at TIMESTAMPTZ
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_id);
      CREATE TABLE invites (
        code       TEXT PRIMARY KEY,
        created_by TEXT NOT NULL,
        uses       INTEGER NOT NULL,
        uses_left  INTEGER NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
      );
      -- failed logins per account and per address, shared by every process
      CREATE TABLE login_counters (
        key             TEXT PRIMARY KEY,
        failures        INTEGER NOT NULL,
        last_failure_at TIMESTAMPTZ NOT NULL
      );
      -- members of private rooms (and DMs)
      CREATE TABLE room_members (
        room_id  TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        added_at TIMESTAMPTZ NOT NULL,
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
        size       BIGINT NOT NULL,
        width      INTEGER,
        height     INTEGER,
        created_at TIMESTAMPTZ NOT NULL,
        message_id TEXT,
        -- claimed by the sweep of abandoned uploads: no message may take it
        deleting   BOOLEAN NOT NULL DEFAULT false
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
      -- the postgres blob store (postgres-blob-store.ts): a blob and its bytes in
      -- 256 KiB chunks, written in one transaction
      CREATE TABLE blobs (
        id         TEXT PRIMARY KEY,
        size       BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE TABLE blob_chunks (
        blob_id TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
        n       INTEGER NOT NULL,
        data    BYTEA NOT NULL,
        PRIMARY KEY (blob_id, n)
      );
    `,
  },
  {
    version: 30,
    sql: `
      -- full-text search (README "Search"): each message's tokens (protocol/
      -- search-text.ts, computed by the server, the same as SQLite's index) as a
      -- tsvector of the 'simple' configuration: no stemming and no stop words, so
      -- every language is matched alike. Written in the transaction that stores
      -- the message; existing rows are filled by migration 31.
      ALTER TABLE messages ADD COLUMN search_vector tsvector;
      CREATE INDEX messages_search ON messages USING GIN (search_vector);
      -- storage order, newest first for search results and their paging
      ALTER TABLE messages ADD COLUMN pos BIGINT GENERATED ALWAYS AS IDENTITY;
      CREATE UNIQUE INDEX messages_pos ON messages (pos);
    `,
  },
  {
    version: SEARCH_BACKFILL_VERSION,
    // The work is done by PostgresStore.backfillSearch (the tokenizer is
    // TypeScript), in this migration's transaction.
    sql: 'SELECT 1',
  },
  {
    version: 50,
    sql: `
      -- issue 11, messages that live (README "Storage"): edits, deletes and reactions
      -- are entries of the room's log, taking seqs from rooms.last_seq like messages.
      -- A message keeps its current state in its row; a deleted one stays as a
      -- tombstone (content '', deleted_at) so seqs and reply previews hold.
      ALTER TABLE messages ADD COLUMN edited_at TIMESTAMPTZ;
      ALTER TABLE messages ADD COLUMN deleted_at TIMESTAMPTZ;
      -- the answered message (same room), or null
      ALTER TABLE messages ADD COLUMN reply_to TEXT;
      -- JSON [{"emoji", "users": [...]}] in the order emoji were first used; null when none
      ALTER TABLE messages ADD COLUMN reactions TEXT;
      -- JSON array of the names written as @name (protocol/mentions.ts); null when none
      ALTER TABLE messages ADD COLUMN mentions TEXT;
      CREATE TABLE message_changes (
        id         TEXT PRIMARY KEY,
        room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq        BIGINT NOT NULL,
        message_id TEXT NOT NULL,
        kind       TEXT NOT NULL,
        username   TEXT NOT NULL,
        timestamp  TIMESTAMPTZ NOT NULL,
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
        seq     BIGINT NOT NULL,
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
      -- u:<username> or a:<account id>).
      CREATE TABLE push_subscriptions (
        endpoint   TEXT PRIMARY KEY,
        reader     TEXT NOT NULL,
        p256dh     TEXT NOT NULL,
        auth       TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX push_subscriptions_reader ON push_subscriptions (reader, created_at);
      -- The server's VAPID key pair, one row: every process signs with the same key,
      -- so it lives in the database they share (SQLite deployments keep it in a file).
      CREATE TABLE push_vapid (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        public_key  TEXT NOT NULL,
        private_key TEXT NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 60,
    sql: `
      -- sidebars (README "Sidebar and read state"): the rooms each reader keeps
      -- in view, and how far they read. reader is 'u:<username>' (open mode) or
      -- 'a:<account id>' (accounts mode); pos keeps the order they were joined.
      CREATE TABLE sidebar_rooms (
        reader        TEXT NOT NULL,
        room_id       TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        -- everything up to this seq was read; unread counts range-scan
        -- messages_room_seq from here to the room's last_seq
        last_read_seq BIGINT NOT NULL,
        notify        TEXT NOT NULL,
        joined_at     TIMESTAMPTZ NOT NULL,
        pos           BIGINT GENERATED ALWAYS AS IDENTITY,
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
    // SQLite rebuilds its search index so deletes erase words, and indexes new
    // messages from the store (see its migration 80). PostgreSQL's tsvector column
    // goes with the row version, which VACUUM reclaims.
    sql: 'SELECT 1',
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
      -- Where lower() and JavaScript's toLowerCase differ (a few scripts), the
      -- browser gives its subscription again when it next opens Parley.
      UPDATE push_subscriptions SET reader = 'u:' || lower(substr(reader, 3))
        WHERE left(reader, 2) = 'u:';
    `,
  },
  {
    version: 110,
    // SQLite moves (room_id, seq) out of the messages' commits into a table written
    // in bulk (its migration 110). PostgreSQL keeps messages_room_seq: its inserts
    // come from several processes, each committing its own, and no one process
    // holds every room's newest entries to write them together.
    sql: 'SELECT 1',
  },
];
