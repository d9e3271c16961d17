// ChatStore on PostgreSQL: the pool, rooms, reads of history, uploads and the epoch.
// Over 300 lines because it is one class per backend (as SqliteStore): each operation
// is a short query beside its row mapping, and the shared contract suite
// (test/contracts/store-contract.ts) holds the two together. By concern beside it: row
// shapes and mapping (postgres-rows.ts), message writes (postgres-message-log.ts),
// search (postgres-search.ts), the purge of deleted rooms (postgres-purge.ts) and
// migrations (postgres-migrate.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Message, Room } from '../../protocol/rest.js';
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
import { CHANGE_COLUMNS, mergeLog } from './message-state.js';
import { PostgresAccountStore } from './postgres-account-store.js';
import { appendBatch, changeBatch } from './postgres-message-log.js';
import { migrate } from './postgres-migrate.js';
import { purgeRows } from './postgres-purge.js';
import { PostgresPushStore } from './postgres-push-store.js';
import {
  type MessageRow,
  type PgChangeRow,
  type RoomRow,
  SELECT_MESSAGE,
  storable,
  toMessage,
  toPgChange,
  toRoom,
  toUpload,
  UPLOAD_COLUMNS,
  type UploadRow,
} from './postgres-rows.js';
import { type SearchRow, searchMessages } from './postgres-search.js';
import { PostgresSidebarStore } from './postgres-sidebar-store.js';
import type { PushStore, SharedVapidKeys } from './push-store.js';
import type { SidebarStore } from './sidebar-store.js';

const ROOM_COLUMNS = 'id, name, created_at, visibility, owner_id, kind';
// Accounts mode: public rooms, and private ones the viewer ($V) is a member of;
// every room when $V is NULL (open mode).
const visibleTo = (v: string) =>
  `(${v}::text IS NULL OR visibility = 'public' OR EXISTS
    (SELECT 1 FROM room_members m WHERE m.room_id = rooms.id AND m.user_id = ${v}::text))`;
// Hides the messages of a room marked deleted but not purged yet (a one-time
// filter in the plan, not per row).
const ROOM_LIVE = 'NOT EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND deleted_at IS NOT NULL)';

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
    await migrate(this.pool, this.schema);
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
    return this.transaction('purgeSlice', (client) => purgeRows(client, max));
  }

  async appendMessages(batch: readonly NewMessage[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    return this.transaction('appendMessages', (client) => appendBatch(client, batch));
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
    return this.transaction('applyChanges', (client) => changeBatch(client, batch));
  }

  async searchMessages(p: SearchParams): Promise<SearchHit[]> {
    return searchMessages(
      (text, values) => this.query<SearchRow>('searchMessages', text, values),
      p,
    );
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
