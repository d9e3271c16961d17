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
];
