import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatStore } from '../../src/server/storage/chat-store.js';
import { SQLITE_MIGRATIONS } from '../../src/server/storage/sqlite-migrations.js';
import { SIDEBAR_ENTRIES_SQL } from '../../src/server/storage/sqlite-sidebar-store.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { accountStoreContract } from '../contracts/account-store-contract.js';
import { changesContract } from '../contracts/changes-contract.js';
import { searchContract } from '../contracts/search-contract.js';
import { sidebarStoreContract } from '../contracts/sidebar-store-contract.js';
import { storeContract } from '../contracts/store-contract.js';

// A file per store (not :memory:), so a store can be closed and opened again.
const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
const paths = new Map<ChatStore, string>();
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** FTS5's own check of the search index (a raw connection on the store's file). */
function expectIndexIntact(raw: Database.Database): void {
  raw.function('parley_index_text', { deterministic: true }, (t: unknown) => String(t));
  expect(() =>
    raw
      .prepare(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`)
      .run(),
  ).not.toThrow();
}

async function open(path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path });
  await store.init();
  paths.set(store, path);
  return store;
}

storeContract(
  'SQLite',
  () => open(join(dir, `store-${++n}.db`)),
  (closed) => open(paths.get(closed) as string),
);

searchContract('SQLite', () => open(join(dir, `search-${++n}.db`)));
changesContract('SQLite', () => open(join(dir, `changes-${++n}.db`)));
accountStoreContract('SQLite', () => open(join(dir, `accounts-${++n}.db`)));
sidebarStoreContract(
  'SQLite',
  () => open(join(dir, `sidebar-${++n}.db`)),
  async (store) => {
    const path = paths.get(store) as string;
    await store.close();
    const db = new Database(path);
    db.exec('DROP TABLE sidebar_rooms; DELETE FROM parley_migrations WHERE version = 60');
    db.close();
    return open(path);
  },
);

describe('SQLite migrations', () => {
  it('upgrades a version-1 database with data in place', async () => {
    const path = join(dir, 'v1.db');
    const v1 = new Database(path);
    v1.exec((SQLITE_MIGRATIONS[0] as { sql: string }).sql);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO rooms (id, name, created_at, last_seq) VALUES ('r1', 'old', ?, 1)").run(
      new Date().toISOString(),
    );
    v1.prepare(
      `INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id)
       VALUES ('m1', 'r1', 1, 'alice', 'before the upgrade', ?, 'cid')`,
    ).run(new Date().toISOString());
    v1.close();

    const store = await open(path);
    try {
      expect((await store.listRooms()).map((r) => r.name)).toEqual(['old']);
      expect((await store.recentMessages('r1', 10)).map((m) => m.content)).toEqual([
        'before the upgrade',
      ]);
      // the migration indexed the messages already there
      const found = await store.searchMessages({
        include: [['upgrade']],
        exclude: [],
        from: [],
        roomNames: [],
        limit: 10,
      });
      expect(found.map((h) => h.message.content)).toEqual(['before the upgrade']);
      const [retry, other] = await store.appendMessages([
        { roomId: 'r1', username: 'alice', content: 'retry', clientId: 'cid' },
        { roomId: 'r1', username: 'bob', content: 'bob reuses the id', clientId: 'cid' },
      ]);
      expect(retry).toMatchObject({ ok: true, duplicate: true, message: { seq: 1 } });
      expect(other).toMatchObject({ ok: true, duplicate: false, message: { seq: 2 } });
      expect(await store.deleteRoom('r1')).toBe(true);
      expect(await store.listRooms()).toEqual([]);
      expect(await store.purgeSlice(100)).toBe(3);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite store file', () => {
  const tempDb = () => join(mkdtempSync(join(tmpdir(), 'parley-store-')), 'chat.db');

  it('keeps its epoch across restarts, and a renewed one too', async () => {
    const path = tempDb();
    const first = new SqliteStore({ path });
    await first.init();
    const epoch = await first.epoch();
    await first.close();
    const second = new SqliteStore({ path });
    await second.init();
    expect(await second.epoch()).toBe(epoch);
    const renewed = await second.renewEpoch();
    await second.close();
    const third = new SqliteStore({ path });
    await third.init();
    expect(await third.epoch()).toBe(renewed);
    await third.close();
  });

  it('checkpoints the WAL from its worker thread once busy, and still closes to one file', async () => {
    const path = tempDb();
    const store = new SqliteStore({
      path,
      checkpointerAfterMessages: 50,
      checkpointIntervalMs: 10,
    });
    await store.init();
    const room = await store.createRoom('busy');
    const batch = (from: number) =>
      Array.from({ length: 25 }, (_, i) => ({
        roomId: room.id,
        username: 'u',
        content: `m${from + i} ${'x'.repeat(200)}`,
      }));
    await store.appendMessages(batch(0));
    expect(store.checkpointing).toBe(false); // 25 stored: not busy yet
    await store.appendMessages(batch(25));
    expect(store.checkpointing).toBe(true);
    // Far below the writer's own autocheckpoint size: only the worker copies pages
    // into the database file, which then grows.
    const before = statSync(path).size;
    for (let i = 2; statSync(path).size === before; i++) {
      await store.appendMessages(batch(25 * i));
      await new Promise((r) => setTimeout(r, 20));
    }
    const count = (await store.latestSeq(room.id)) as number;
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await again.init();
    const last = await again.recentMessages(room.id, 1);
    expect(last[0]?.seq).toBe(count);
    expect(last[0]?.content.startsWith(`m${count - 1} `)).toBe(true);
    await again.close();
  });

  it('closes completely in a process with nothing else to keep it running', () => {
    // The checkpointer thread does not keep a process alive, but must not let it
    // exit halfway through close() either (before the WAL is folded into the file).
    const path = tempDb();
    const store = pathToFileURL(join(process.cwd(), 'src/server/storage/sqlite-store.ts')).href;
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { SqliteStore } from ${JSON.stringify(store)};
         const store = new SqliteStore({ path: ${JSON.stringify(path)}, checkpointerAfterMessages: 1 });
         await store.init();
         const room = await store.createRoom('r');
         await store.appendMessages([{ roomId: room.id, username: 'u', content: 'x' }]);
         console.log(store.checkpointing);
         await store.close();
         console.log('closed');`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.split('\n').filter(Boolean)).toEqual(['true', 'closed']);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('keeps its search index consistent through edits, deletes, tombstones and purges', async () => {
    // Migration 80's triggers remove an entry by giving FTS5 the text it was
    // indexed with; a wrong text or a second removal corrupts the index, which
    // FTS5's integrity-check finds.
    const path = tempDb();
    const store = new SqliteStore({ path });
    await store.init();
    const keep = await store.createRoom('keep');
    const gone = await store.createRoom('gone');
    const stored = await store.appendMessages(
      [keep, keep, keep, gone].map((room, i) => ({
        roomId: room.id,
        username: 'u',
        content: `word${i} shared`,
      })),
    );
    const id = (i: number) => {
      const r = stored[i];
      if (!r?.ok) throw new Error('not stored');
      return r.message.id;
    };
    const change = (i: number, kind: 'edit' | 'delete', content?: string) =>
      store.applyChanges([{ roomId: keep.id, messageId: id(i), kind, username: 'u', content }]);
    await change(0, 'edit', 'word0 changed');
    await change(1, 'delete');
    await change(0, 'delete');
    // Stored just before the purge, so still waiting for the index when it runs.
    await store.appendMessages([{ roomId: gone.id, username: 'u', content: 'late shared' }]);
    await store.deleteRoom(gone.id);
    while ((await store.purgeSlice(100)) > 0);
    await store.close();
    const raw = new Database(path);
    expectIndexIntact(raw);
    const hits = (q: string) =>
      raw.prepare('SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?').get(q);
    expect(hits('shared')).toEqual({ n: 1 }); // word2's message only
    expect(hits('changed')).toEqual({ n: 0 });
    expect(hits('late')).toEqual({ n: 0 }); // purged with its room
    raw.close();
  });

  it('indexes at start the messages a crash left out of the search index', async () => {
    // New messages reach the index after their commit (SqliteSearchBacklog); a
    // copy of the files taken between the two is what a crash leaves behind.
    const path = tempDb();
    const store = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await store.init();
    const room = await store.createRoom('r');
    await store.appendMessages([{ roomId: room.id, username: 'u', content: 'early bird' }]);
    // A search right after a send finds it: the search indexes what waits first.
    const search = (word: string) =>
      store.searchMessages({ include: [[word]], exclude: [], from: [], roomNames: [], limit: 10 });
    expect((await search('bird')).map((hit) => hit.message.content)).toEqual(['early bird']);
    const [, victim] = await store.appendMessages(
      ['alpha one', 'beta two', 'gamma three'].map((content) => ({
        roomId: room.id,
        username: 'u',
        content,
      })),
    );
    if (!victim?.ok) throw new Error('not stored');
    const crashed = tempDb();
    copyFileSync(path, crashed);
    copyFileSync(`${path}-wal`, `${crashed}-wal`);
    const count = (file: string, q: string) => {
      const raw = new Database(file, { readonly: true });
      try {
        return raw
          .prepare<[string], number>('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?')
          .pluck()
          .get(q);
      } finally {
        raw.close();
      }
    };
    expect(count(crashed, 'bird')).toBe(1);
    expect(count(crashed, 'one OR two OR three')).toBe(0); // what the crash lost

    const restarted = new SqliteStore({ path: crashed });
    await restarted.init();
    expect(count(crashed, 'one OR two OR three')).toBe(3);
    expect(count(crashed, 'bird')).toBe(1); // not indexed twice
    // Consistent: its entries come out again with the tokens they went in with.
    await restarted.applyChanges([
      { roomId: room.id, messageId: victim.message.id, kind: 'delete', username: 'u' },
    ]);
    await restarted.close();
    expect(count(crashed, 'one OR two OR three')).toBe(2);
    const raw = new Database(crashed);
    expectIndexIntact(raw);
    raw.close();
    await store.close();
  });

  it('indexes nothing twice when a second store opens the file while the first holds messages back', async () => {
    // `npm run bump-epoch` beside a running server: its start indexes what the
    // server has not yet; the server's own indexing must then skip those.
    const path = tempDb();
    const server = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await server.init();
    const room = await server.createRoom('r');
    const [first] = await server.appendMessages([
      { roomId: room.id, username: 'u', content: 'twice maybe' },
    ]);
    if (!first?.ok) throw new Error('not stored');
    const admin = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await admin.init();
    await admin.close();
    await server.appendMessages([{ roomId: room.id, username: 'u', content: 'once surely' }]);
    const search = (word: string) =>
      server.searchMessages({ include: [[word]], exclude: [], from: [], roomNames: [], limit: 10 });
    expect((await search('twice')).length).toBe(1);
    expect((await search('once')).length).toBe(1);
    await server.applyChanges([
      { roomId: room.id, messageId: first.message.id, kind: 'delete', username: 'u' },
    ]);
    expect(await search('twice')).toEqual([]);
    await server.close();
    const raw = new Database(path);
    expectIndexIntact(raw);
    expect(
      raw.prepare("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'twice'").get(),
    ).toEqual({ n: 0 });
    raw.close();
  });

  it('rebuilds its search index when started by a runtime with other Unicode tables', async () => {
    const path = tempDb();
    const first = new SqliteStore({ path });
    await first.init();
    const room = await first.createRoom('r');
    const [, doomed] = await first.appendMessages(
      ['kept words', 'doomed words'].map((content) => ({
        roomId: room.id,
        username: 'u',
        content,
      })),
    );
    if (!doomed?.ok) throw new Error('not stored');
    await first.close();
    // As an older Node would have left it: built with other tokens (here, none).
    const raw = new Database(path);
    raw.exec(`INSERT INTO messages_fts (messages_fts) VALUES ('delete-all');
      UPDATE parley_meta SET value = 'unicode 1.0' WHERE key = 'index_tokens'`);
    raw.close();
    const second = new SqliteStore({ path });
    await second.init();
    const reader = new Database(path, { readonly: true });
    const hits = () =>
      reader
        .prepare<[], number>("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'words'")
        .pluck()
        .get();
    expect(hits()).toBe(2);
    // Removing an entry gives FTS5 the current tokens: consistent with the rebuilt index.
    await second.applyChanges([
      { roomId: room.id, messageId: doomed.message.id, kind: 'delete', username: 'u' },
    ]);
    expect(hits()).toBe(1);
    reader.close();
    await second.close();
  });

  it('upgrades a database of schema version 1, keeping its data and giving it an epoch', async () => {
    const path = tempDb();
    // A database as the first release left it: migration 1 only.
    const v1 = SQLITE_MIGRATIONS.find((m) => m.version === 1);
    const db = new Database(path);
    db.exec(v1?.sql ?? '');
    db.pragma('user_version = 1');
    db.prepare(
      "INSERT INTO rooms (id, name, created_at, last_seq) VALUES ('r1', 'old', '2024-01-01', 1)",
    ).run();
    db.prepare(
      `INSERT INTO messages (id, room_id, seq, username, content, timestamp, client_id)
       VALUES ('m1', 'r1', 1, 'alice', 'before the upgrade', '2024-01-01T00:00:00.000Z', 'cid')`,
    ).run();
    db.close();
    const store = new SqliteStore({ path });
    await store.init();
    expect((await store.listRooms()).map((r) => r.name)).toEqual(['old']);
    expect(await store.epoch()).toMatch(/^[0-9a-f]{16}$/);
    // the idempotency keys from before every re-indexing still hold, per sender
    const [retry, other] = await store.appendMessages([
      { roomId: 'r1', username: 'alice', content: 'retry', clientId: 'cid' },
      { roomId: 'r1', username: 'bob', content: 'bob reuses the id', clientId: 'cid' },
    ]);
    expect(retry).toMatchObject({ ok: true, duplicate: true, message: { id: 'm1', seq: 1 } });
    expect(other).toMatchObject({ ok: true, duplicate: false, message: { seq: 2 } });
    await store.close();
    const reader = new Database(path, { readonly: true });
    const indexes = reader
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '%client_id%'")
      .pluck()
      .all();
    reader.close();
    expect(indexes.sort()).toEqual(['message_changes_client_id', 'messages_client_id']);
  });
});

describe('SQLite room_seq, written after its messages commit', () => {
  // A message's room_seq entry (where history, resume and unread counts find it)
  // waits in memory after its commit, with others (sqlite-room-index.ts).
  const tempDb = () => join(mkdtempSync(join(tmpdir(), 'parley-room-seq-')), 'chat.db');
  /** A store on a new file, its checkpoints left to the writer (a copy is then whole). */
  const fresh = async () => {
    const path = tempDb();
    const store = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await store.init();
    return { path, store };
  };
  const send = async (store: SqliteStore, roomId: string, ...contents: string[]) => {
    const results = await store.appendMessages(
      contents.map((content) => ({ roomId, username: 'u', content })),
    );
    return results.map((r) => {
      if (!r.ok) throw new Error('not stored');
      return r.message;
    });
  };
  /** What a crash leaves: the files copied while the store holds entries back. */
  const crashCopy = (path: string): string => {
    const copy = tempDb();
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    return copy;
  };
  /** A raw read of the file beside the store. */
  const read = <T>(path: string, sql: string, ...params: unknown[]): T[] => {
    const raw = new Database(path, { readonly: true });
    try {
      return raw
        .prepare(sql)
        .pluck()
        .all(...params) as T[];
    } finally {
      raw.close();
    }
  };
  /** The room's number in room_seq (its rowid). */
  const roomNo = (path: string, roomId: string) =>
    read<number>(path, 'SELECT rowid FROM rooms WHERE id = ?', roomId)[0];
  const entries = (path: string, roomId: string): number[] =>
    read(path, 'SELECT seq FROM room_seq WHERE room = ? ORDER BY seq', roomNo(path, roomId));
  const history = async (store: SqliteStore, roomId: string) =>
    (await store.messagesAfter(roomId, 0, 100)).map((m) => m.content);

  it('places at start the messages a crash left out of room_seq', async () => {
    const { path, store } = await fresh();
    const room = await store.createRoom('r');
    await send(store, room.id, 'one');
    expect(await history(store, room.id)).toEqual(['one']); // a read writes what waits
    await send(store, room.id, 'two', 'three');
    const crashed = crashCopy(path);
    expect(entries(crashed, room.id)).toEqual([1]); // what the crash lost

    const restarted = new SqliteStore({ path: crashed, checkpointIntervalMs: 0 });
    await restarted.init();
    expect(entries(crashed, room.id)).toEqual([1, 2, 3]);
    expect(await history(restarted, room.id)).toEqual(['one', 'two', 'three']);
    await send(restarted, room.id, 'four');
    expect(await restarted.recentMessages(room.id, 2)).toMatchObject([
      { seq: 3, content: 'three' },
      { seq: 4, content: 'four' },
    ]);
    await restarted.close();
    await store.close();
  });

  it('finds the messages a crash left out after a purge gave their rowids again', async () => {
    // SQLite gives a new row the highest rowid plus one: once a purge deleted the
    // newest rows, new messages take rowids room_seq had already covered.
    const { path, store } = await fresh();
    const kept = await store.createRoom('kept');
    const gone = await store.createRoom('gone');
    await send(store, kept.id, 'first');
    await send(store, gone.id, 'newest', 'rows', 'here');
    await store.deleteRoom(gone.id);
    while ((await store.purgeSlice(100)) > 0);
    await send(store, kept.id, 'second', 'third');
    const crashed = crashCopy(path);
    const rowids = read(
      crashed,
      'SELECT rowid FROM messages WHERE room_id = ? ORDER BY seq',
      kept.id,
    );
    expect(rowids).toEqual([1, 2, 3]); // the purged room's rowids, given again

    const restarted = new SqliteStore({ path: crashed, checkpointIntervalMs: 0 });
    await restarted.init();
    expect(await history(restarted, kept.id)).toEqual(['first', 'second', 'third']);
    await restarted.close();
    await store.close();
  });

  it("purges a deleted room's entries, those still waiting among them", async () => {
    const { path, store } = await fresh();
    const room = await store.createRoom('r');
    const other = await store.createRoom('other');
    await send(store, room.id, 'a', 'b');
    await history(store, room.id);
    await send(store, room.id, 'c'); // waiting when the purge runs
    await send(store, other.id, 'stays');
    const purgedNo = roomNo(path, room.id);
    await store.deleteRoom(room.id);
    while ((await store.purgeSlice(1)) > 0);
    await store.close();
    expect(read(path, 'SELECT count(*) FROM rooms WHERE id = ?', room.id)).toEqual([0]);
    expect(read(path, 'SELECT seq FROM room_seq WHERE room = ?', purgedNo)).toEqual([]);
    expect(entries(path, other.id)).toEqual([1]);
    const reopened = await open(path);
    expect(await history(reopened, other.id)).toEqual(['stays']);
    await reopened.close();
  });

  it('places nothing twice when a second store opens the file while the first holds entries back', async () => {
    // `npm run bump-epoch` beside a running server: its start places what the
    // server holds back; the server's own write must then skip those.
    const { path, store: server } = await fresh();
    const room = await server.createRoom('r');
    await send(server, room.id, 'one', 'two');
    const admin = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await admin.init();
    await admin.close();
    expect(entries(path, room.id)).toEqual([1, 2]);
    await send(server, room.id, 'three');
    expect(await history(server, room.id)).toEqual(['one', 'two', 'three']);
    await server.close();
    expect(entries(path, room.id)).toEqual([1, 2, 3]);
  });

  it('writes waiting entries on close, and within a second without a reader', async () => {
    const { path, store } = await fresh();
    const room = await store.createRoom('r');
    await send(store, room.id, 'one');
    expect(entries(path, room.id)).toEqual([]);
    await expect.poll(() => entries(path, room.id), { timeout: 5_000 }).toEqual([1]);
    await send(store, room.id, 'two');
    await store.close();
    expect(entries(path, room.id)).toEqual([1, 2]);
  });
});

describe("SQLite message log's rooms, known between batches", () => {
  const fresh = async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'parley-known-')), 'chat.db');
    const store = new SqliteStore({ path, checkpointIntervalMs: 0 });
    await store.init();
    return { path, store };
  };
  const seqOf = async (store: SqliteStore, roomId: string) => {
    const [result] = await store.appendMessages([{ roomId, username: 'u', content: 'x' }]);
    return result?.ok ? result.message.seq : result?.reason;
  };

  it('takes the next seq from the file once another connection wrote to it', async () => {
    const { path, store } = await fresh();
    const room = await store.createRoom('r');
    expect(await seqOf(store, room.id)).toBe(1);
    expect(await seqOf(store, room.id)).toBe(2);
    // Another writer on the file (nothing in Parley does this to a room's seq; a
    // restore or a second process would change what a room's newest seq is).
    const other = new Database(path);
    other.prepare('UPDATE rooms SET last_seq = 40 WHERE id = ?').run(room.id);
    other.close();
    expect(await seqOf(store, room.id)).toBe(41);
    await store.close();
  });

  it('takes no message into a room marked deleted after it took some', async () => {
    const { store } = await fresh();
    const room = await store.createRoom('r');
    expect(await seqOf(store, room.id)).toBe(1);
    await store.deleteRoom(room.id);
    expect(await seqOf(store, room.id)).toBe('room_not_found');
    await store.close();
  });
});

describe('SQLite sidebar counts', () => {
  it('count by range scans of room_seq, never scanning a whole table of messages', async () => {
    const path = join(dir, `plan-${++n}.db`);
    const store = await open(path);
    await store.close();
    const db = new Database(path);
    db.exec('ANALYZE');
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${SIDEBAR_ENTRIES_SQL}`)
      .all({ reader: 'u:a', username: 'a', mention: 'a', account: null, room: null }) as {
      detail: string;
    }[];
    const details = plan.map((p) => p.detail);
    db.close();
    expect(details.some((d) => /SEARCH q USING PRIMARY KEY \(room=\? AND seq>\?\)/.test(d))).toBe(
      true,
    );
    expect(
      details.some((d) =>
        /SEARCH n USING .*INDEX message_mentions_name \(room_id=\? AND name=\? AND seq>\?\)/.test(
          d,
        ),
      ),
    ).toBe(true);
    expect(
      details.some((d) =>
        /SEARCH s USING .*(PRIMARY KEY|INDEX sqlite_autoindex_sidebar_rooms_1) \(reader=\?/.test(d),
      ),
    ).toBe(true);
    expect(
      details.filter((d) => /SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/.test(d)),
    ).toHaveLength(2);
    expect(
      details.filter((d) => /^SCAN (m|n|q|messages|message_mentions|room_seq)\b/.test(d)),
    ).toEqual([]);
  });
});
