// Issue 11: "a deleted message's content is gone from the database, not just
// hidden". On SQLite (the default) that is checked where it matters, in the raw
// bytes of the database file and its WAL: the real server runs as a process, a
// message with a unique word is edited (so its old text is in the change log
// too), searched for and deleted over REST, and then neither file holds the
// word, while a kept message's word is still found (so the grep can fail).
// On PostgreSQL the check is one level up (README "Messages that live": its dead
// row versions are vacuum's to reclaim): no row of any table holds the words.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse } from '../../src/protocol/search.js';
import { createRoom, postMessage } from '../support/api.js';
import {
  postgresRedisBackend,
  requirePostgres,
  requireRedis,
  TEST_PG_URL,
} from '../support/services.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { startServer } from '../support/start-server.js';
import { eventually } from '../support/ws-client.js';

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server.stop();
});

/** Whether the database file or its WAL holds `word`, in any encoding SQLite writes text in. */
function onDisk(word: string): { db: boolean; wal: boolean } {
  const read = (path: string) => {
    try {
      return readFileSync(path);
    } catch {
      return Buffer.alloc(0); // no WAL: nothing in it
    }
  };
  return {
    db: read(server.dbPath).includes(word),
    wal: read(`${server.dbPath}-wal`).includes(word),
  };
}

const post = (roomId: string, username: string, content: string, url = server.url) =>
  postMessage(url, roomId, username, content);

const search = async (word: string) => {
  const res = await fetch(`${server.url}/api/chat/search?q=${encodeURIComponent(word)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as SearchResponse).results;
};

describe('deleting a message erases its words from the files', () => {
  it('leaves no trace of the text, its earlier edit or its search entry in the database or WAL', async () => {
    const room = await createRoom(server.url, 'erase');
    // Unique words, built at run time so this test's source is not what is found.
    const tag = Math.random().toString(36).slice(2, 10);
    const original = `zq${tag}original`;
    const edited = `zq${tag}edited`;
    const kept = `zq${tag}kept`;
    // Neighbours on the same pages, so the message is not alone on one it could drop whole.
    for (let i = 0; i < 40; i++)
      await post(room.id, 'ann', `filler ${i} ${'lorem ipsum '.repeat(8)}`);
    const doomed = await post(room.id, 'ann', `the secret is ${original} and more`);
    await post(room.id, 'ben', `this one stays: ${kept}`);
    for (let i = 40; i < 80; i++)
      await post(room.id, 'ann', `filler ${i} ${'lorem ipsum '.repeat(8)}`);

    const patched = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages/${doomed.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ann', content: `now it says ${edited}` }),
    });
    expect(patched.status).toBe(200);
    expect((await search(edited)).map((r) => r.message.id)).toEqual([doomed.id]);
    // Written: in the WAL now, or already copied into the file by a checkpoint.
    await eventually(() => {
      const found = onDisk(edited);
      return found.db || found.wal;
    });

    const deleted = await fetch(
      `${server.url}/api/chat/rooms/${room.id}/messages/${doomed.id}?username=ann`,
      { method: 'DELETE' },
    );
    expect(deleted.status).toBe(204);
    expect(await search(edited)).toEqual([]);

    // The checkpointer thread copies the zeroed pages into the file and empties the WAL.
    const gone = (word: string) => {
      const found = onDisk(word);
      return !found.db && !found.wal;
    };
    await eventually(() => gone(original) && gone(edited), 10_000, 'the words to leave both files');
    // The grep can find what is still there: the kept message, in the file itself.
    const stays = onDisk(kept);
    expect(stays.db || stays.wal).toBe(true);
    expect((await search(kept)).length).toBe(1);

    // And so it stays once the server has stopped and folded its WAL into the file.
    expect(await server.stop()).toBe(0);
    expect(gone(original) && gone(edited)).toBe(true);
    expect(onDisk(kept).db).toBe(true);
    await server.start();
    expect((await search(kept)).length).toBe(1);
    expect(await search(original)).toEqual([]);
  });
});

describe('deleting a message on PostgreSQL', () => {
  it('leaves no row in any table holding its text or its earlier edit', async () => {
    if (!((await requirePostgres()) && (await requireRedis()))) return;
    const backend = postgresRedisBackend();
    const app = await startServer(backend.overrides);
    const db = new pg.Client({ connectionString: TEST_PG_URL });
    await db.connect();
    try {
      const room = await createRoom(app.url, 'erase');
      const tag = Math.random().toString(36).slice(2, 10);
      const original = `zq${tag}original`;
      const edited = `zq${tag}edited`;
      const kept = `zq${tag}kept`;
      const doomed = await post(room.id, 'ann', `the secret is ${original}`, app.url);
      await post(room.id, 'ben', `this one stays: ${kept}`, app.url);
      const messageUrl = `${app.url}/api/chat/rooms/${room.id}/messages/${doomed.id}`;
      const patched = await fetch(messageUrl, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ann', content: `now it says ${edited}` }),
      });
      expect(patched.status).toBe(200);

      const schema = backend.overrides.postgres?.schema as string;
      /** Tables of the server's schema with a row whose text form holds `word`. */
      const holding = async (word: string) => {
        const tables = await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables
           WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
          [schema],
        );
        const found: string[] = [];
        for (const { table_name } of tables.rows) {
          const rows = await db.query(
            `SELECT 1 FROM "${schema}"."${table_name}" t WHERE t::text LIKE $1 LIMIT 1`,
            [`%${word}%`],
          );
          if (rows.rowCount) found.push(table_name);
        }
        return found.sort();
      };
      // The edit's text is in the message and in the change log; the search
      // vector is a column of messages, so its lexemes count there too.
      expect(await holding(edited)).toEqual(['message_changes', 'messages']);

      expect((await fetch(`${messageUrl}?username=ann`, { method: 'DELETE' })).status).toBe(204);
      expect(await holding(original)).toEqual([]);
      expect(await holding(edited)).toEqual([]);
      expect(await holding(kept)).toEqual(['messages']);
    } finally {
      await db.end();
      await app.close();
      await backend.cleanup();
    }
  });
});
