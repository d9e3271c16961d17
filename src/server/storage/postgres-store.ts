// ChatStore on PostgreSQL. Over 300 lines because it is one class per backend
// (as SqliteStore): every operation's SQL sits next to its row mapping, and the
// shared contract suite (test/contracts/store-contract.ts) holds the two together.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Attachment, composeContent, toAttachment } from '../../protocol/attachments.js';
import type { Message, Room } from '../../protocol/rest.js';
import { indexText } from '../../protocol/search-text.js';
import { uuidv7 } from '../../protocol/uuid7.js';
import { inTransaction } from '../util/pg-transaction.js';
import type { AccountStore } from './account-store.js';
import type {
  AppendResult,
  ChangeResult,
  ChatStore,
  LogEntry,
  NewChange,
  NewMessage,
  NewRoomOptions,
  NewUpload,
  RoomCursor,
  RoomPage,
  SearchHit,
  SearchParams,
  StoredMessage,
  StoredUpload,
} from './chat-store.js';
import {
  CHANGE_COLUMNS,
  type ChangeColumns,
  changeReactions,
  editedContent,
  mentionKeys,
  mentionsColumn,
  mergeLog,
  REPLY_JOIN,
  replyPreview,
  STATE_SELECT,
  toChange,
  withState,
} from './message-state.js';
import { orderedMigrations } from './migrations.js';
import { PostgresAccountStore } from './postgres-account-store.js';
import { POSTGRES_MIGRATIONS, SEARCH_BACKFILL_VERSION } from './postgres-migrations.js';
import { PostgresPushStore } from './postgres-push-store.js';
import { PostgresSidebarStore } from './postgres-sidebar-store.js';
import type { PushStore, SharedVapidKeys } from './push-store.js';
import { tsQuery } from './search-sql.js';
import type { SidebarStore } from './sidebar-store.js';

interface RoomRow {
  id: string;
  name: string;
  created_at: Date;
  visibility: Room['visibility'];
  owner_id: string | null;
  kind: Room['kind'];
}

const ROOM_COLUMNS = 'id, name, created_at, visibility, owner_id, kind';
// Accounts mode: public rooms, and private ones the viewer ($V) is a member of;
// every room when $V is NULL (open mode).
const visibleTo = (v: string) =>
  `(${v}::text IS NULL OR visibility = 'public' OR EXISTS
    (SELECT 1 FROM room_members m WHERE m.room_id = rooms.id AND m.user_id = ${v}::text))`;

interface MessageRow {
  id: string;
  room_id: string;
  // BIGINT arrives as a string
  seq: string;
  username: string;
  content: string;
  timestamp: Date;
  client_id: string | null;
  attachments: string | null;
  edited_at: Date | null;
  reactions: string | null;
  mentions: string | null;
  reply_to: string | null;
  r_seq: string | null;
  r_username: string | null;
  r_excerpt: string | null;
  r_deleted: Date | null;
}

/** A change row as PostgreSQL returns it. */
type PgChangeRow = Omit<ChangeColumns, 'seq' | 'timestamp'> & { seq: string; timestamp: Date };

const toPgChange = (row: PgChangeRow) =>
  toChange({ ...row, seq: Number(row.seq), timestamp: row.timestamp.toISOString() });

interface UploadRow {
  id: string;
  room_id: string;
  name: string;
  type: string;
  // BIGINT arrives as a string
  size: string;
  width: number | null;
  height: number | null;
  created_at: Date;
  message_id: string | null;
}

const MESSAGE_COLUMNS = 'id, room_id, seq, username, content, timestamp, client_id, attachments';
/** A message in its current state, with its reply target (message-state.ts); `m` is the message. */
const SELECT_MESSAGE = `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp,
  m.client_id, m.attachments, ${STATE_SELECT} FROM messages m ${REPLY_JOIN}`;
const UPLOAD_COLUMNS = 'id, room_id, name, type, size, width, height, created_at, message_id';

function toUpload(row: UploadRow): StoredUpload {
  const u: StoredUpload = {
    id: row.id,
    roomId: row.room_id,
    name: row.name,
    type: row.type,
    size: Number(row.size),
    createdAt: row.created_at.toISOString(),
    messageId: row.message_id,
  };
  if (row.width !== null && row.height !== null) {
    u.width = row.width;
    u.height = row.height;
  }
  return u;
}

/** An upload as a message carries it. */
function uploadAttachment(row: UploadRow): Attachment {
  return toAttachment({ ...row, size: Number(row.size) });
}
// Hides the messages of a room marked deleted but not purged yet (a one-time
// filter in the plan, not per row).
const ROOM_LIVE = 'NOT EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND deleted_at IS NOT NULL)';

function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    name: row.name,
    created_at: row.created_at.toISOString(),
    visibility: row.visibility,
    owner_id: row.owner_id,
    kind: row.kind,
  };
}

function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: row.id,
    room_id: row.room_id,
    username: row.username,
    content: row.content,
    timestamp: row.timestamp.toISOString(),
    seq: Number(row.seq),
  };
  if (row.client_id !== null) message.client_id = row.client_id;
  if (row.attachments !== null) message.attachments = JSON.parse(row.attachments) as Attachment[];
  if (row.edited_at === null && row.reactions === null && row.mentions === null && !row.reply_to) {
    return message;
  }
  return withState(message, {
    editedAt: row.edited_at?.toISOString() ?? null,
    reactions: row.reactions,
    mentions: row.mentions,
    reply: {
      id: row.reply_to,
      seq: row.r_seq === null ? null : Number(row.r_seq),
      username: row.r_username,
      excerpt: row.r_excerpt,
      deleted: row.r_deleted !== null,
    },
  });
}

/**
 * A query run by a migration: tables of any size are rewritten, so the pool's
 * client-side timeout (meant for chat traffic) is lifted. node-pg reads
 * `query_timeout` per query (0 would mean "the pool's"); its types omit it.
 */
function migrationQuery(text: string, values?: unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout: number } = {
    text,
    ...(values ? { values } : {}),
    query_timeout: 6 * 60 * 60 * 1000,
  };
  return config;
}

/** Indexes the messages stored before search existed, a batch at a time (migration 31). */
async function backfillSearch(client: pg.PoolClient): Promise<void> {
  let last = 0;
  for (;;) {
    const batch = await client.query<{ pos: string; content: string }>(
      migrationQuery('SELECT pos, content FROM messages WHERE pos > $1 ORDER BY pos LIMIT 5000', [
        last,
      ]),
    );
    const rows = batch.rows;
    if (rows.length === 0) return;
    await client.query(
      migrationQuery(
        `UPDATE messages SET search_vector = to_tsvector('simple', v.body)
         FROM unnest($1::bigint[], $2::text[]) AS v (pos, body) WHERE messages.pos = v.pos`,
        [rows.map((r) => r.pos), rows.map((r) => indexText(r.content))],
      ),
    );
    last = Number(rows[rows.length - 1]?.pos);
  }
}

/** PostgreSQL text cannot hold NUL; an id containing one cannot name a stored room. */
const storable = (id: string): boolean => !id.includes('\u0000');

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` */
  url: string;
  /** Schema for the tables, created if missing. @default 'public' */
  schema?: string;
  /** @default 10 */
  poolSize?: number;
  /** Connection attempts and queries slower than this fail. @default 5000 */
  timeoutMs?: number;
  /** Told about failures outside any operation (an idle pooled connection dropping). */
  onError?: (operation: string, error: unknown) => void;
}

/**
 * ChatStore on PostgreSQL, for several server processes sharing one database.
 * Each room's row is locked while a batch takes seqs from it, so writers in
 * every process queue per room: seqs are dense and commit in order, and a
 * message with seq n is visible only once every smaller seq is.
 */
export class PostgresStore implements ChatStore {
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private accounts?: PostgresAccountStore;
  private push?: PostgresPushStore;
  private sidebars?: PostgresSidebarStore;

  constructor(private readonly opts: PostgresStoreOptions) {
    this.schema = opts.schema ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(this.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${this.schema}`);
    }
    const timeout = opts.timeoutMs ?? 5_000;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      application_name: 'parley',
      options: `-c search_path="${this.schema}"`,
      connectionTimeoutMillis: timeout,
      // client side, so a dead network fails too, not only a slow server
      query_timeout: timeout,
      statement_timeout: timeout,
      // a process frozen inside a transaction must not hold a room's lock for long
      idle_in_transaction_session_timeout: Math.max(timeout * 2, 10_000),
      keepAlive: true,
      // idle connections' timers are unref'd: they never keep a process alive
      allowExitOnIdle: true,
    });
    // An idle connection that dies (database restart, network cut) is reported
    // here; without a listener it would crash the process. The pool replaces it.
    this.pool.on('error', (error) => this.opts.onError?.('idle connection', error));
  }

  async init(): Promise<void> {
    const client = await this.pool.connect();
    client.on('error', () => {});
    try {
      // Several processes may start at once; one migrates, the others wait.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [
        `parley-migrate:${this.schema}`,
      ]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS "${this.schema}".parley_migrations (
          version    INTEGER PRIMARY KEY,
          applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`);
        const done = await client.query<{ version: number }>(
          `SELECT version FROM "${this.schema}".parley_migrations`,
        );
        const applied = new Set(done.rows.map((r) => r.version));
        for (const m of orderedMigrations(POSTGRES_MIGRATIONS)) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            // A migration rewrites tables of any size: no timeout (the pool's is for chat traffic).
            await client.query('SET LOCAL statement_timeout = 0');
            await client.query(migrationQuery(m.sql));
            if (m.version === SEARCH_BACKFILL_VERSION) await backfillSearch(client);
            await client.query(
              `INSERT INTO "${this.schema}".parley_migrations (version) VALUES ($1)`,
              [m.version],
            );
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [
          `parley-migrate:${this.schema}`,
        ]);
      }
    } finally {
      client.release();
    }
  }

  /** Runs one operation; failures are reported and wrapped by guardStore (store-error.ts). */
  private async run<T>(_operation: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  private async query<R extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[] = [],
  ): Promise<R[]> {
    return this.run(operation, async () => (await this.pool.query<R>(text, values)).rows);
  }

  /** A transaction on one pooled connection; a connection that failed is discarded. */
  private async transaction<T>(
    operation: string,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    return this.run(operation, () => inTransaction(this.pool, fn));
  }

  /** Accounts, sessions and memberships, on this store's pool. */
  accountStore(): AccountStore {
    this.accounts ??= new PostgresAccountStore(this.pool);
    return this.accounts;
  }

  /** Web Push subscriptions, in this store's database (after init). */
  pushStore(): PushStore & SharedVapidKeys {
    this.push ??= new PostgresPushStore(this.pool);
    return this.push;
  }

  /** Sidebars and read positions, on this store's pool. */
  sidebarStore(): SidebarStore {
    this.sidebars ??= new PostgresSidebarStore(this.pool);
    return this.sidebars;
  }

  /** Inserts the room and its members; false when a live DM of the pair exists. */
  private insertRoom(room: Room, members: readonly string[], dmKey: string | null) {
    return this.transaction('createRoom', async (client) => {
      const inserted = await client.query(
        `INSERT INTO rooms (${ROOM_COLUMNS}, dm_key) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (dm_key) WHERE dm_key IS NOT NULL AND deleted_at IS NULL DO NOTHING`,
        [room.id, room.name, room.created_at, room.visibility, room.owner_id, room.kind, dmKey],
      );
      if (inserted.rowCount === 0) return false;
      if (members.length > 0) {
        await client.query(
          `INSERT INTO room_members (room_id, user_id, added_at)
           SELECT $1, u, $3 FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING`,
          [room.id, members, room.created_at],
        );
      }
      return true;
    });
  }

  async createRoom(name: string, options: NewRoomOptions = {}): Promise<Room> {
    const room: Room = {
      id: randomUUID(),
      name,
      created_at: new Date().toISOString(),
      visibility: options.visibility ?? 'public',
      owner_id: options.ownerId ?? null,
      kind: 'room',
    };
    await this.insertRoom(room, options.members ?? [], null);
    return room;
  }

  async openDm(
    name: string,
    ownerId: string,
    members: readonly [string, string],
    dmKey: string,
  ): Promise<{ room: Room; created: boolean }> {
    const room: Room = {
      id: randomUUID(),
      name,
      created_at: new Date().toISOString(),
      visibility: 'private',
      owner_id: ownerId,
      kind: 'dm',
    };
    if (await this.insertRoom(room, members, dmKey)) return { room, created: true };
    const rows = await this.query<RoomRow>(
      'openDm',
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE dm_key = $1 AND deleted_at IS NULL`,
      [dmKey],
    );
    if (!rows[0]) throw new Error('direct-message room vanished while opening it');
    return { room: toRoom(rows[0]), created: false };
  }

  async renameRoom(roomId: string, name: string): Promise<Room | null> {
    if (!storable(roomId)) return null;
    const rows = await this.query<RoomRow>(
      'renameRoom',
      `UPDATE rooms SET name = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING ${ROOM_COLUMNS}`,
      [roomId, name],
    );
    return rows[0] ? toRoom(rows[0]) : null;
  }

  async listRooms(viewerId?: string): Promise<Room[]> {
    const rows = await this.query<RoomRow>(
      'listRooms',
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE deleted_at IS NULL AND ${visibleTo('$1')}
       ORDER BY created_at, pos`,
      [viewerId ?? null],
    );
    return rows.map(toRoom);
  }

  async listRoomsPage(limit: number, after?: RoomCursor, viewerId?: string): Promise<RoomPage> {
    // A range scan of rooms_created_at_pos; one row past the page tells whether there is more.
    const viewer = viewerId ?? null;
    const rows = await this.query<RoomRow & { pos: string }>(
      'listRooms',
      after
        ? `SELECT ${ROOM_COLUMNS}, pos FROM rooms
           WHERE (created_at, pos) > ($2::timestamptz, $3::bigint) AND deleted_at IS NULL
             AND ${visibleTo('$4')}
           ORDER BY created_at, pos LIMIT $1`
        : `SELECT ${ROOM_COLUMNS}, pos FROM rooms WHERE deleted_at IS NULL AND ${visibleTo('$2')}
           ORDER BY created_at, pos LIMIT $1`,
      after ? [limit + 1, after.createdAt, after.pos, viewer] : [limit + 1, viewer],
    );
    const more = rows.length > limit;
    if (more) rows.pop();
    const last = rows[rows.length - 1];
    return {
      rooms: rows.map(toRoom),
      next: more && last ? { createdAt: toRoom(last).created_at, pos: Number(last.pos) } : null,
    };
  }

  async getRoom(roomId: string): Promise<Room | null> {
    if (!storable(roomId)) return null;
    const rows = await this.query<RoomRow>(
      'getRoom',
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1 AND deleted_at IS NULL`,
      [roomId],
    );
    return rows[0] ? toRoom(rows[0]) : null;
  }

  async deleteRoom(roomId: string): Promise<boolean> {
    if (!storable(roomId)) return false;
    // Takes the room's row lock, so it waits for a batch appending to the room
    // and every later batch sees the mark.
    const rows = await this.query<{ id: string }>(
      'deleteRoom',
      'UPDATE rooms SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id',
      [roomId],
    );
    return rows.length > 0;
  }

  async purgeSlice(limit: number): Promise<number> {
    const max = Math.max(1, Math.floor(limit));
    return this.transaction('purgeSlice', async (client) => {
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
    });
  }

  async appendMessages(batch: readonly NewMessage[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    return this.transaction('appendMessages', async (client) => {
      const roomIds = [...new Set(batch.map((m) => m.roomId).filter(storable))].sort();
      // Lock every room of the batch, in id order so two batches never deadlock.
      // Writers to a room in any process wait here until this batch commits.
      const locked = await client.query<{ id: string; last_seq: string }>(
        `SELECT id, last_seq FROM rooms WHERE id = ANY($1::text[]) AND deleted_at IS NULL
       ORDER BY id FOR UPDATE`,
        [roomIds],
      );
      const lastSeq = new Map(locked.rows.map((r) => [r.id, Number(r.last_seq)]));

      // Messages already stored under the batch's client ids (retried sends), per sender.
      const key = (roomId: string, username: string, clientId: string) =>
        `${roomId}\n${username}\n${clientId}`;
      const known = new Map<string, Message>();
      const keyed = batch.filter(
        (m): m is NewMessage & { clientId: string } =>
          m.clientId !== undefined && lastSeq.has(m.roomId),
      );
      if (keyed.length > 0) {
        const found = await client.query<MessageRow>(
          `${SELECT_MESSAGE}
           WHERE (m.room_id, m.username, m.client_id) IN
             (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
          [keyed.map((m) => m.roomId), keyed.map((m) => m.username), keyed.map((m) => m.clientId)],
        );
        for (const row of found.rows) {
          known.set(key(row.room_id, row.username, row.client_id as string), toMessage(row));
        }
      }

      // The unsent uploads the batch attaches, locked against the abandoned-upload
      // sweep and against another batch taking them (in id order: no deadlock).
      const wanted = batch.flatMap((m) => (lastSeq.has(m.roomId) ? (m.attachments ?? []) : []));
      const uploads = new Map<string, UploadRow>();
      if (wanted.length > 0) {
        const found = await client.query<UploadRow>(
          `SELECT ${UPLOAD_COLUMNS} FROM uploads
           WHERE id = ANY($1::text[]) AND message_id IS NULL AND NOT deleting
           ORDER BY id FOR UPDATE`,
          [[...new Set(wanted)]],
        );
        for (const row of found.rows) uploads.set(row.id, row);
      }
      const taken = new Map<string, string>();

      // The messages the batch answers: live ones of the same room only.
      const replyIds = batch.flatMap((m) =>
        m.replyTo !== undefined && lastSeq.has(m.roomId) && storable(m.replyTo) ? [m.replyTo] : [],
      );
      const targets = new Map<
        string,
        { room_id: string; seq: string; username: string; excerpt: string }
      >();
      if (replyIds.length > 0) {
        const found = await client.query<{
          id: string;
          room_id: string;
          seq: string;
          username: string;
          excerpt: string;
        }>(
          `SELECT id, room_id, seq, username, substr(content, 1, 140) AS excerpt FROM messages
           WHERE id = ANY($1::text[]) AND deleted_at IS NULL`,
          [[...new Set(replyIds)]],
        );
        for (const row of found.rows) targets.set(row.id, row);
      }

      const results: AppendResult[] = [];
      const fresh: Message[] = [];
      for (const item of batch) {
        const last = lastSeq.get(item.roomId);
        if (last === undefined) {
          results.push({ ok: false, reason: 'room_not_found' });
          continue;
        }
        if (item.clientId !== undefined) {
          const existing = known.get(key(item.roomId, item.username, item.clientId));
          if (existing) {
            results.push({ ok: true, message: existing, duplicate: true });
            continue;
          }
        }
        let reply: Message['reply_to'];
        if (item.replyTo !== undefined) {
          const target = targets.get(item.replyTo);
          if (!target || target.room_id !== item.roomId) {
            results.push({ ok: false, reason: 'reply_not_found' });
            continue;
          }
          reply = replyPreview({
            id: item.replyTo,
            seq: Number(target.seq),
            username: target.username,
            excerpt: target.excerpt,
            deleted: false,
          });
        }
        let files: Attachment[] | null = null;
        if (item.attachments && item.attachments.length > 0) {
          const rows = item.attachments.map((id) => uploads.get(id));
          const usable =
            new Set(item.attachments).size === item.attachments.length &&
            rows.every((r) => r !== undefined && r.room_id === item.roomId && !taken.has(r.id));
          if (!usable) {
            results.push({ ok: false, reason: 'attachment_invalid' });
            continue;
          }
          files = (rows as UploadRow[]).map(uploadAttachment);
        }
        const message: Message = {
          id: uuidv7(),
          room_id: item.roomId,
          username: item.username,
          content: files ? composeContent(item.content, files) : item.content,
          timestamp: new Date().toISOString(),
          seq: last + 1,
        };
        if (files) {
          message.attachments = files;
          for (const f of files) taken.set(f.id, message.id);
        }
        if (reply) message.reply_to = reply;
        const names = mentionsColumn(item.content).names;
        if (names.length > 0) message.mentions = names;
        lastSeq.set(item.roomId, message.seq);
        if (item.clientId !== undefined) {
          message.client_id = item.clientId;
          // a second send with the same id in this very batch is a duplicate too
          known.set(key(item.roomId, item.username, item.clientId), message);
        }
        fresh.push(message);
        results.push({ ok: true, message, duplicate: false });
      }
      if (fresh.length === 0) return results;

      await client.query(
        `INSERT INTO messages (${MESSAGE_COLUMNS}, search_vector, reply_to, mentions)
         SELECT id, room_id, seq, username, content, timestamp, client_id, attachments,
                to_tsvector('simple', body), reply_to, mentions
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                     $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
           AS v (id, room_id, seq, username, content, timestamp, client_id, attachments, body,
                 reply_to, mentions)`,
        [
          fresh.map((m) => m.id),
          fresh.map((m) => m.room_id),
          fresh.map((m) => m.seq),
          fresh.map((m) => m.username),
          fresh.map((m) => m.content),
          fresh.map((m) => m.timestamp),
          fresh.map((m) => m.client_id ?? null),
          fresh.map((m) => (m.attachments ? JSON.stringify(m.attachments) : null)),
          // the search index, in this transaction (search-text.ts)
          fresh.map((m) => indexText(m.content)),
          fresh.map((m) => m.reply_to?.id ?? null),
          fresh.map((m) => (m.mentions ? JSON.stringify(m.mentions) : null)),
        ],
      );
      const mentioned = fresh.flatMap((m) =>
        m.mentions ? mentionKeys(m.mentions).map((name) => [m.room_id, m.seq, name] as const) : [],
      );
      if (mentioned.length > 0) {
        await client.query(
          `INSERT INTO message_mentions (room_id, seq, name)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
          [mentioned.map((m) => m[0]), mentioned.map((m) => m[1]), mentioned.map((m) => m[2])],
        );
      }
      if (taken.size > 0) {
        await client.query(
          `UPDATE uploads SET message_id = v.mid
           FROM unnest($1::text[], $2::text[]) AS v (id, mid) WHERE uploads.id = v.id`,
          [[...taken.keys()], [...taken.values()]],
        );
      }
      const touched = [...new Set(fresh.map((m) => m.room_id))];
      await client.query(
        `UPDATE rooms SET last_seq = v.seq
         FROM unnest($1::text[], $2::bigint[]) AS v (id, seq) WHERE rooms.id = v.id`,
        [touched, touched.map((id) => lastSeq.get(id))],
      );
      return results;
    });
  }

  async recentMessages(roomId: string, limit: number, beforeSeq?: number): Promise<Message[]> {
    if (!storable(roomId)) return [];
    const rows = await this.query<MessageRow>(
      'recentMessages',
      `${SELECT_MESSAGE}
       WHERE m.room_id = $1 AND m.seq < $2 AND m.deleted_at IS NULL AND ${ROOM_LIVE}
       ORDER BY m.seq DESC LIMIT $3`,
      [roomId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit],
    );
    rows.reverse();
    return rows.map(toMessage);
  }

  async messagesAfter(roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    if (!storable(roomId)) return [];
    const rows = await this.query<MessageRow>(
      'messagesAfter',
      `${SELECT_MESSAGE}
       WHERE m.room_id = $1 AND m.seq > $2 AND m.deleted_at IS NULL AND ${ROOM_LIVE}
       ORDER BY m.seq LIMIT $3`,
      [roomId, afterSeq, limit],
    );
    return rows.map(toMessage);
  }

  async entriesAfter(roomId: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    if (!storable(roomId)) return [];
    // Both kinds from one snapshot: read apart, a message committed between the two
    // reads could be missed while a later change was not, and a resume would skip it.
    return this.transaction('entriesAfter', async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const messages = await client.query<MessageRow>(
        `${SELECT_MESSAGE}
         WHERE m.room_id = $1 AND m.seq > $2 AND m.deleted_at IS NULL AND ${ROOM_LIVE}
         ORDER BY m.seq LIMIT $3`,
        [roomId, afterSeq, limit],
      );
      const changes = await client.query<PgChangeRow>(
        `SELECT ${CHANGE_COLUMNS} FROM message_changes
         WHERE room_id = $1 AND seq > $2 AND ${ROOM_LIVE} ORDER BY seq LIMIT $3`,
        [roomId, afterSeq, limit],
      );
      return mergeLog(messages.rows.map(toMessage), changes.rows.map(toPgChange), limit);
    });
  }

  async getMessage(roomId: string, messageId: string): Promise<StoredMessage | null> {
    if (!storable(roomId) || !storable(messageId)) return null;
    const rows = await this.query<MessageRow & { deleted_at: Date | null }>(
      'getMessage',
      `${SELECT_MESSAGE.replace(' FROM messages m', ', m.deleted_at FROM messages m')}
       WHERE m.id = $1 AND m.room_id = $2`,
      [messageId, roomId],
    );
    const row = rows[0];
    return row ? { message: toMessage(row), deleted: row.deleted_at !== null } : null;
  }

  async applyChanges(batch: readonly NewChange[]): Promise<ChangeResult[]> {
    if (batch.length === 0) return [];
    return this.transaction('applyChanges', async (client) => {
      const roomIds = [...new Set(batch.map((c) => c.roomId).filter(storable))].sort();
      // The rooms' rows locked, as appendMessages does: one order for every writer.
      const locked = await client.query<{ id: string; last_seq: string }>(
        `SELECT id, last_seq FROM rooms WHERE id = ANY($1::text[]) AND deleted_at IS NULL
         ORDER BY id FOR UPDATE`,
        [roomIds],
      );
      const lastSeq = new Map(locked.rows.map((r) => [r.id, Number(r.last_seq)]));
      const results: ChangeResult[] = [];
      for (const item of batch) results.push(await this.changeOne(client, item, lastSeq));
      const touched = [...lastSeq.entries()];
      await client.query(
        `UPDATE rooms SET last_seq = v.seq
         FROM unnest($1::text[], $2::bigint[]) AS v (id, seq)
         WHERE rooms.id = v.id AND rooms.last_seq < v.seq`,
        [touched.map((t) => t[0]), touched.map((t) => t[1])],
      );
      return results;
    });
  }

  /** Inside applyChanges' transaction: one change, taking the room's next seq. */
  private async changeOne(
    client: pg.PoolClient,
    item: NewChange,
    lastSeq: Map<string, number>,
  ): Promise<ChangeResult> {
    const last = lastSeq.get(item.roomId);
    if (last === undefined) return { ok: false, reason: 'room_not_found' };
    if (!storable(item.messageId)) return { ok: false, reason: 'message_not_found' };
    const current = async (): Promise<Message | null> => {
      const rows = await client.query<MessageRow>(
        `${SELECT_MESSAGE} WHERE m.id = $1 AND m.deleted_at IS NULL`,
        [item.messageId],
      );
      return rows.rows[0] ? toMessage(rows.rows[0]) : null;
    };
    const clientId = item.clientId ?? null;
    if (clientId !== null) {
      const first = await client.query<PgChangeRow>(
        `SELECT ${CHANGE_COLUMNS} FROM message_changes
         WHERE room_id = $1 AND username = $2 AND client_id = $3`,
        [item.roomId, item.username, clientId],
      );
      if (first.rows[0]) {
        return {
          ok: true,
          change: toPgChange(first.rows[0]),
          message: await current(),
          duplicate: true,
          releasedUploads: [],
        };
      }
      const message = await client.query(
        'SELECT 1 FROM messages WHERE room_id = $1 AND username = $2 AND client_id = $3',
        [item.roomId, item.username, clientId],
      );
      if (message.rows.length > 0) return { ok: false, reason: 'client_id_taken' };
    }
    const found = await client.query<{
      seq: string;
      attachments: string | null;
      reactions: string | null;
      deleted_at: Date | null;
    }>(
      `SELECT seq, attachments, reactions, deleted_at FROM messages
       WHERE id = $1 AND room_id = $2 FOR UPDATE`,
      [item.messageId, item.roomId],
    );
    const target = found.rows[0];
    if (!target || target.deleted_at !== null) return { ok: false, reason: 'message_not_found' };
    const now = new Date().toISOString();
    const change: ChangeColumns = {
      id: uuidv7(),
      room_id: item.roomId,
      seq: last + 1,
      message_id: item.messageId,
      kind: item.kind,
      username: item.username,
      timestamp: now,
      content: null,
      emoji: item.emoji ?? null,
      client_id: clientId,
    };
    let releasedUploads: string[] = [];
    switch (item.kind) {
      case 'edit': {
        const content = editedContent(item.content ?? '', target.attachments);
        const mentions = mentionsColumn(item.content ?? '');
        await client.query(
          `UPDATE messages SET content = $1, edited_at = $2, mentions = $3,
             search_vector = to_tsvector('simple', $4) WHERE id = $5`,
          [content, now, mentions.json, indexText(content), item.messageId],
        );
        await this.setMentions(client, item.roomId, target.seq, mentionKeys(mentions.names));
        change.content = content;
        break;
      }
      case 'delete': {
        // The tombstone: no text, files, reactions, mentions or index entry are left.
        await client.query(
          `UPDATE messages SET content = '', attachments = NULL, reactions = NULL,
             mentions = NULL, search_vector = NULL, deleted_at = $1 WHERE id = $2`,
          [now, item.messageId],
        );
        await this.setMentions(client, item.roomId, target.seq, []);
        // The message's earlier changes (their edit texts among them) go with it.
        await client.query('DELETE FROM message_changes WHERE message_id = $1', [item.messageId]);
        // Released like abandoned uploads, so the sweep deletes them should the caller not.
        const released = await client.query<{ id: string }>(
          `UPDATE uploads SET message_id = NULL, deleting = true WHERE message_id = $1
           RETURNING id`,
          [item.messageId],
        );
        releasedUploads = released.rows.map((r) => r.id);
        break;
      }
      case 'react':
      case 'unreact': {
        const next = changeReactions(
          target.reactions,
          item.emoji ?? '',
          item.username,
          item.kind === 'react',
        );
        if (next === 'too_many') return { ok: false, reason: 'too_many_reactions' };
        await client.query('UPDATE messages SET reactions = $1 WHERE id = $2', [
          next.json,
          item.messageId,
        ]);
        break;
      }
    }
    await client.query(
      `INSERT INTO message_changes (${CHANGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        change.id,
        change.room_id,
        change.seq,
        change.message_id,
        change.kind,
        change.username,
        change.timestamp,
        change.content,
        change.emoji,
        change.client_id,
      ],
    );
    lastSeq.set(item.roomId, change.seq);
    return {
      ok: true,
      change: toChange(change),
      message: item.kind === 'delete' ? null : await current(),
      duplicate: false,
      releasedUploads,
    };
  }

  /** Replaces who the message at `seq` mentions. */
  private async setMentions(
    client: pg.PoolClient,
    roomId: string,
    seq: string,
    names: string[],
  ): Promise<void> {
    await client.query('DELETE FROM message_mentions WHERE room_id = $1 AND seq = $2', [
      roomId,
      seq,
    ]);
    if (names.length === 0) return;
    await client.query(
      `INSERT INTO message_mentions (room_id, seq, name)
       SELECT $1::text, $2::bigint, unnest($3::text[])`,
      [roomId, seq, names],
    );
  }

  async searchMessages(p: SearchParams): Promise<SearchHit[]> {
    const where: string[] = ['rm.deleted_at IS NULL', 'm.deleted_at IS NULL'];
    const args: unknown[] = [];
    const arg = (value: unknown): string => {
      args.push(value);
      return `$${args.length}`;
    };
    const include = tsQuery(p.include);
    const exclude = tsQuery(p.exclude, '|');
    if (include) {
      const q = exclude ? `(${include}) & !(${exclude})` : include;
      where.push(`m.search_vector @@ to_tsquery('simple', ${arg(q)})`);
    } else if (exclude) {
      where.push(`NOT (m.search_vector @@ to_tsquery('simple', ${arg(exclude)}))`);
    }
    // Text that holds a NUL cannot be stored, so it names nothing that is.
    const texts = (values: readonly string[]) => values.filter(storable);
    if (p.roomIds !== undefined) where.push(`m.room_id = ANY(${arg(texts(p.roomIds))}::text[])`);
    if (p.from.length > 0) where.push(`m.username = ANY(${arg(texts(p.from))}::text[])`);
    if (p.roomNames.length > 0) where.push(`rm.name = ANY(${arg(texts(p.roomNames))}::text[])`);
    if (p.after !== undefined) where.push(`m.timestamp >= ${arg(p.after)}::timestamptz`);
    if (p.before !== undefined) where.push(`m.timestamp < ${arg(p.before)}::timestamptz`);
    if (p.beforePos !== undefined) where.push(`m.pos < ${arg(p.beforePos)}::bigint`);
    const rows = await this.query<MessageRow & { pos: string; room_name: string }>(
      'searchMessages',
      `SELECT m.id, m.room_id, m.seq, m.username, m.content, m.timestamp, m.client_id, m.attachments,
              ${STATE_SELECT}, m.pos, rm.name AS room_name
       FROM messages m JOIN rooms rm ON rm.id = m.room_id ${REPLY_JOIN}
       WHERE ${where.join(' AND ')} ORDER BY m.pos DESC LIMIT ${arg(p.limit)}`,
      args,
    );
    return rows.map((row) => ({
      message: toMessage(row),
      room: { id: row.room_id, name: row.room_name },
      pos: Number(row.pos),
    }));
  }

  async latestSeq(roomId: string): Promise<number | null> {
    if (!storable(roomId)) return null;
    const rows = await this.query<{ last_seq: string }>(
      'latestSeq',
      'SELECT last_seq FROM rooms WHERE id = $1 AND deleted_at IS NULL',
      [roomId],
    );
    return rows[0] ? Number(rows[0].last_seq) : null;
  }

  async epoch(): Promise<string> {
    const rows = await this.query<{ value: string }>(
      'epoch',
      "SELECT value FROM parley_meta WHERE key = 'epoch'",
    );
    if (!rows[0]) throw new Error('parley_meta has no epoch');
    return rows[0].value;
  }

  async renewEpoch(): Promise<string> {
    const epoch = randomBytes(8).toString('hex');
    await this.query(
      'renewEpoch',
      `INSERT INTO parley_meta (key, value) VALUES ('epoch', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [epoch],
    );
    return epoch;
  }

  async createUpload(upload: NewUpload): Promise<boolean> {
    if (!storable(upload.roomId)) return false;
    const rows = await this.query<{ id: string }>(
      'createUpload',
      `INSERT INTO uploads (id, room_id, name, type, size, width, height, created_at)
       SELECT $1, id, $3, $4, $5, $6, $7, now() FROM rooms WHERE id = $2 AND deleted_at IS NULL
       RETURNING id`,
      [
        upload.id,
        upload.roomId,
        upload.name,
        upload.type,
        upload.size,
        upload.width ?? null,
        upload.height ?? null,
      ],
    );
    return rows.length > 0;
  }

  async getUpload(uploadId: string): Promise<StoredUpload | null> {
    if (!storable(uploadId)) return null;
    const rows = await this.query<UploadRow>(
      'getUpload',
      `SELECT ${UPLOAD_COLUMNS} FROM uploads u
       WHERE id = $1 AND NOT deleting
       AND EXISTS (SELECT 1 FROM rooms r WHERE r.id = u.room_id AND r.deleted_at IS NULL)`,
      [uploadId],
    );
    return rows[0] ? toUpload(rows[0]) : null;
  }

  async deletedRoomUploads(limit: number): Promise<string[]> {
    const rows = await this.query<{ id: string }>(
      'deletedRoomUploads',
      `SELECT u.id FROM rooms r JOIN uploads u ON u.room_id = r.id
       WHERE r.deleted_at IS NOT NULL LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  async claimAbandonedUploads(createdBefore: string, limit: number): Promise<string[]> {
    return this.transaction('claimAbandonedUploads', async (client) => {
      // SKIP LOCKED: an upload a message is taking right now is not abandoned.
      await client.query(
        `UPDATE uploads SET deleting = true WHERE id IN (SELECT id FROM uploads
           WHERE message_id IS NULL AND NOT deleting AND created_at < $1
           LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [createdBefore, limit],
      );
      const claimed = await client.query<{ id: string }>(
        'SELECT id FROM uploads WHERE message_id IS NULL AND deleting LIMIT $1',
        [limit],
      );
      return claimed.rows.map((r) => r.id);
    });
  }

  async forgetUploads(uploadIds: readonly string[]): Promise<number> {
    if (uploadIds.length === 0) return 0;
    const rows = await this.query<{ id: string }>(
      'forgetUploads',
      'DELETE FROM uploads WHERE id = ANY($1::text[]) RETURNING id',
      [uploadIds],
    );
    return rows.length;
  }

  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
