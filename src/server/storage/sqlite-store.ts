// ChatStore on SQLite: opens the database (pragmas, migrations), and keeps rooms, the
// purge of deleted ones, reads of history and uploads, which are thin over their
// statements. By concern beside it: the SQL (sqlite-statements.ts), row mapping (sqlite-rows.ts),
// message writes (sqlite-message-log.ts), search (sqlite-search.ts), WAL upkeep (sqlite-wal.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Message, Room } from '../../protocol/rest.js';
import { indexText } from '../../protocol/search-text.js';
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
import { mergeLog, toChange } from './message-state.js';
import { orderedMigrations } from './migrations.js';
import type { PushStore } from './push-store.js';
import type { SidebarStore } from './sidebar-store.js';
import { SqliteAccountStore } from './sqlite-account-store.js';
import { SqliteMessageLog } from './sqlite-message-log.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { SqlitePushStore } from './sqlite-push-store.js';
import { SqliteRoomIndex } from './sqlite-room-index.js';
import { type ReplyLookup, toMessage, toRoom, toUpload, tupleToMessage } from './sqlite-rows.js';
import { searchMessages } from './sqlite-search.js';
import { SqliteSearchBacklog } from './sqlite-search-backlog.js';
import { SqliteSidebarStore } from './sqlite-sidebar-store.js';
import { prepareStatements, type SqliteStatements } from './sqlite-statements.js';
import { BUSY_TIMEOUT_MS, SqliteWal, WAL_AUTOCHECKPOINT_PAGES } from './sqlite-wal.js';

export interface SqliteStoreOptions {
  path: string;
  synchronous?: 'normal' | 'full';
  /** How often a worker thread checkpoints the WAL; 0: only the writer's own autocheckpoints. */
  checkpointIntervalMs?: number;
  /** Messages stored before that thread starts (a quiet database never needs it). */
  checkpointerAfterMessages?: number;
}

/** The embedded default store: one SQLite file in WAL mode, foreign keys on. */
export class SqliteStore implements ChatStore {
  private db!: Database.Database;
  private stmts!: SqliteStatements;
  private log!: SqliteMessageLog;
  private indexBacklog!: SqliteSearchBacklog;
  private roomIndex!: SqliteRoomIndex;
  private purgeTx!: (limit: number) => number;
  private wal!: SqliteWal;
  /** Rows of deleted rooms were removed since the WAL was last emptied. */
  private purged = false;
  private createRoomTx!: (room: Room, members: readonly string[], dmKey: string | null) => boolean;
  private accounts?: SqliteAccountStore;
  private push?: SqlitePushStore;
  private sidebars?: SqliteSidebarStore;
  private claimTx!: (createdBefore: string, limit: number) => string[];
  private forgetTx!: (ids: readonly string[]) => number;

  constructor(private readonly opts: SqliteStoreOptions) {}

  /** A reply target's preview columns (pages read them only for the replies among them). */
  private readonly replyOf: ReplyLookup = (id) => {
    const row = this.stmts.replyPreview.get(id);
    return row
      ? {
          id,
          seq: row.seq,
          username: row.username,
          excerpt: row.excerpt,
          deleted: row.deleted_at !== null,
        }
      : undefined;
  };

  async init(): Promise<void> {
    if (this.opts.path !== ':memory:') mkdirSync(dirname(this.opts.path), { recursive: true });
    this.db = new Database(this.opts.path);
    this.db.pragma('journal_mode = WAL');
    const synchronous = this.opts.synchronous === 'full' ? 'FULL' : 'NORMAL';
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Deleted rows and freed pages are overwritten with zeros, so a deleted
    // message's words do not stay readable in the file (README "Messages that live").
    this.db.pragma('secure_delete = ON');
    // The search index's tokenizer (migration 80's edit and delete triggers call it;
    // a new message is indexed by SqliteMessageLog, with indexText directly).
    this.db.function('parley_index_text', { deterministic: true }, (content: unknown) =>
      typeof content === 'string' ? indexText(content) : '',
    );
    this.migrate();
    this.reindexOnNewTokens();
    this.stmts = prepareStatements(this.db);
    // A crash may have come between a commit and its messages' room_seq entries
    // or their indexing.
    this.roomIndex = new SqliteRoomIndex(this.db);
    this.roomIndex.recover();
    this.indexBacklog = new SqliteSearchBacklog(this.db, this.stmts);
    this.indexBacklog.recover();
    this.log = new SqliteMessageLog(this.db, this.stmts, this.roomIndex, this.indexBacklog);
    this.purgeTx = this.db.transaction((limit: number) => this.purgeRows(limit));
    this.createRoomTx = this.db.transaction(
      (room: Room, members: readonly string[], dmKey: string | null) => {
        const inserted = this.stmts.insertRoom.run({ ...room, dm_key: dmKey }).changes > 0;
        if (!inserted) return false;
        for (const userId of members) this.stmts.insertMember.run(room.id, userId, room.created_at);
        return true;
      },
    );
    this.claimTx = this.db.transaction((createdBefore: string, limit: number) => {
      this.stmts.markAbandoned.run(createdBefore, limit);
      return this.stmts.claimedUploads.all(limit);
    });
    this.forgetTx = this.db.transaction((ids: readonly string[]) =>
      ids.reduce((n, id) => n + this.stmts.forgetUpload.run(id).changes, 0),
    );
    this.wal = new SqliteWal(this.db, this.opts);
  }

  /** Whether the checkpointer thread runs (tests). */
  get checkpointing(): boolean {
    return this.wal?.checkpointing ?? false;
  }

  /** Accounts, sessions and memberships, in this store's database (after init). */
  accountStore(): AccountStore {
    this.accounts ??= new SqliteAccountStore(this.db);
    return this.accounts;
  }

  /** Web Push subscriptions, in this store's database (after init). */
  pushStore(): PushStore {
    this.push ??= new SqlitePushStore(this.db);
    return this.push;
  }

  /** Sidebars and read positions, in this store's database (after init). */
  sidebarStore(): SidebarStore {
    this.sidebars ??= new SqliteSidebarStore(this.db, () => this.roomIndex.flush());
    return this.sidebars;
  }

  /**
   * Rebuilds the search index when the runtime's Unicode tables changed since it
   * was built. Its entries are removed by giving FTS5 their indexed tokens again
   * (migration 80), and tokens come from Unicode properties (protocol/search-text.ts):
   * another Node may split or fold some text differently, and a removal with other
   * tokens would corrupt the index. Once per such upgrade; the first start records.
   */
  private reindexOnNewTokens(): void {
    const tokens = `unicode ${process.versions.unicode}`;
    const built = this.db
      .prepare<[], string>("SELECT value FROM parley_meta WHERE key = 'index_tokens'")
      .pluck()
      .get();
    if (built === tokens) return;
    this.db.transaction(() => {
      if (built !== undefined) {
        this.db.exec(`INSERT INTO messages_fts (messages_fts) VALUES ('delete-all');
          INSERT INTO messages_fts (rowid, body)
            SELECT rowid, parley_index_text(content) FROM messages WHERE deleted_at IS NULL`);
      }
      this.db
        .prepare(
          `INSERT INTO parley_meta (key, value) VALUES ('index_tokens', ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        )
        .run(tokens);
    })();
  }

  /**
   * Applies every migration not applied yet, in version order. Applied versions
   * are a set (parley_migrations), not a high-water mark, so a migration merged
   * later with a lower version still runs on a database that has newer ones.
   */
  private migrate(): void {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS parley_migrations (version INTEGER PRIMARY KEY)');
    const applied = new Set(
      db.prepare<[], number>('SELECT version FROM parley_migrations').pluck().all(),
    );
    const record = db.prepare<[number]>('INSERT INTO parley_migrations (version) VALUES (?)');
    // Older databases recorded only the highest version applied, in user_version.
    const legacy = db.pragma('user_version', { simple: true }) as number;
    const migrations = orderedMigrations(SQLITE_MIGRATIONS);
    if (applied.size === 0 && legacy > 0) {
      db.transaction(() => {
        for (const m of migrations) if (m.version <= legacy) record.run(m.version);
      })();
      for (const m of migrations) if (m.version <= legacy) applied.add(m.version);
    }
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        db.exec(m.sql);
        record.run(m.version);
        db.pragma(`user_version = ${Math.max(m.version, legacy)}`);
      })();
    }
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
    this.createRoomTx(room, options.members ?? [], null);
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
    if (this.createRoomTx(room, members, dmKey)) return { room, created: true };
    const existing = this.stmts.dmByKey.get(dmKey);
    if (!existing) throw new Error('direct-message room vanished while opening it');
    return { room: existing, created: false };
  }

  async renameRoom(roomId: string, name: string): Promise<Room | null> {
    if (this.stmts.rename.run(name, roomId).changes === 0) return null;
    return this.stmts.getRoom.get(roomId) ?? null;
  }

  async listRooms(viewerId?: string): Promise<Room[]> {
    return this.stmts.listRooms.all({ viewer: viewerId ?? null });
  }

  async listRoomsPage(limit: number, after?: RoomCursor, viewerId?: string): Promise<RoomPage> {
    // One row past the page tells whether there is a next one.
    const rows = this.stmts.roomsAfter.all({
      createdAt: after?.createdAt ?? '',
      pos: after?.pos ?? 0,
      limit: limit + 1,
      viewer: viewerId ?? null,
    });
    const more = rows.length > limit;
    if (more) rows.pop();
    const rooms = rows.map(toRoom);
    const last = rows[rows.length - 1];
    return { rooms, next: more && last ? { createdAt: last.created_at, pos: last.pos } : null };
  }

  async getRoom(roomId: string): Promise<Room | null> {
    return this.stmts.getRoom.get(roomId) ?? null;
  }

  async deleteRoom(roomId: string): Promise<boolean> {
    this.log.forget(roomId);
    return this.stmts.markDeleted.run(new Date().toISOString(), roomId).changes > 0;
  }

  async purgeSlice(limit: number): Promise<number> {
    // Deleting a message row takes its tokens out of the index: they must be in
    // it. The purge finds a room's messages in room_seq.
    this.indexBacklog.flush();
    this.roomIndex.flush();
    const removed = this.purgeTx(Math.max(1, Math.floor(limit)));
    // Once per purge, when it is done: emptying the WAL after every slice would
    // put a checkpoint's copy and fsync on the event loop between slices.
    if (removed > 0) this.purged = true;
    else if (this.purged) {
      this.purged = false;
      this.wal.scrub();
    }
    return removed;
  }

  /** Inside purgeTx: up to `limit` rows of deleted rooms, messages first. */
  private purgeRows(limit: number): number {
    let removed = 0;
    while (removed < limit) {
      const room = this.stmts.nextDeleted.get();
      if (!room) break;
      const slice = limit - removed;
      const messages = this.stmts.purgeMessages.run(room.id, slice).changes;
      this.stmts.purgeSeqs.run(room.id, slice);
      if (messages > 0) this.roomIndex.purged();
      removed += messages;
      if (removed >= limit) break;
      removed += this.stmts.purgeChanges.run(room.id, limit - removed).changes;
      if (removed >= limit) break;
      removed += this.stmts.purgeMentions.run(room.id, limit - removed).changes;
      if (removed >= limit) break;
      // Fewer messages than asked for: none are left, so the row can go (its
      // cascade finds nothing).
      const dropped = this.stmts.dropRoom.run(room.id, room.id).changes;
      if (dropped === 0) break;
      removed += dropped;
    }
    return removed;
  }

  async appendMessages(batch: readonly NewMessage[]): Promise<AppendResult[]> {
    const results = this.log.append(batch);
    this.wal.countStored(batch.length);
    return results;
  }

  async recentMessages(roomId: string, limit: number, beforeSeq?: number): Promise<Message[]> {
    this.roomIndex.flush();
    const rows = this.stmts.recent.all(roomId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit);
    const out = new Array<Message>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      out[rows.length - 1 - i] = tupleToMessage(rows[i]!, this.replyOf);
    }
    return out;
  }

  async messagesAfter(roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    this.roomIndex.flush();
    const rows = this.stmts.after.all(roomId, afterSeq, limit);
    return rows.map((row) => tupleToMessage(row, this.replyOf));
  }

  async applyChanges(batch: readonly NewChange[]): Promise<ChangeResult[]> {
    if (batch.length === 0) return [];
    const results = this.log.change(batch);
    if (batch.some((change, i) => change.kind === 'delete' && results[i]?.ok)) this.wal.scrub();
    return results;
  }

  async getMessage(roomId: string, messageId: string): Promise<StoredMessage | null> {
    const row = this.stmts.getMessage.get(messageId, roomId);
    if (!row) return null;
    return { message: toMessage(row), deleted: row.deleted_at !== null };
  }

  async entriesAfter(roomId: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    // Two index range scans, merged: each side holds at most `limit` of the first `limit`.
    this.roomIndex.flush();
    const messages = this.stmts.after.all(roomId, afterSeq, limit);
    const changes = this.stmts.changesAfter.all(roomId, afterSeq, roomId, limit);
    const current = messages.map((row) => tupleToMessage(row, this.replyOf));
    return mergeLog(current, changes.map(toChange), limit);
  }

  async searchMessages(p: SearchParams): Promise<SearchHit[]> {
    // Everything stored before the search is found by it.
    this.indexBacklog.flush();
    return searchMessages(this.db, p);
  }

  async latestSeq(roomId: string): Promise<number | null> {
    return this.stmts.latestSeq.get(roomId)?.last_seq ?? null;
  }

  async epoch(): Promise<string> {
    // Read each time, not cached: `npm run bump-epoch` may change it under a running server.
    const row = this.stmts.epoch.get();
    if (!row) throw new Error('parley_meta has no epoch');
    return row.value;
  }

  async renewEpoch(): Promise<string> {
    const epoch = randomBytes(8).toString('hex');
    this.stmts.setEpoch.run(epoch);
    return epoch;
  }

  async createUpload(upload: NewUpload): Promise<boolean> {
    const result = this.stmts.insertUpload.run(
      upload.id,
      upload.name,
      upload.type,
      upload.size,
      upload.width ?? null,
      upload.height ?? null,
      new Date().toISOString(),
      upload.roomId,
    );
    return result.changes > 0;
  }

  async getUpload(uploadId: string): Promise<StoredUpload | null> {
    const row = this.stmts.getUpload.get(uploadId);
    return row ? toUpload(row) : null;
  }

  async deletedRoomUploads(limit: number): Promise<string[]> {
    return this.stmts.deletedRoomUploads.all(limit);
  }

  async claimAbandonedUploads(createdBefore: string, limit: number): Promise<string[]> {
    return this.claimTx(createdBefore, limit);
  }

  async forgetUploads(uploadIds: readonly string[]): Promise<number> {
    return uploadIds.length === 0 ? 0 : this.forgetTx(uploadIds);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db?.open) {
      this.roomIndex?.close();
      this.indexBacklog?.close();
    }
    // The checkpointer's connection goes first: the last one to close removes the WAL.
    await this.wal?.close();
    if (this.db?.open) this.db.close();
  }
}
