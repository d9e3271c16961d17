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
];
