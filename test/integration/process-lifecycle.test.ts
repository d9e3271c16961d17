// The server as a real process: kill -9 in the middle of a stream of messages,
// and graceful shutdown on SIGTERM / SIGINT.
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/rest.js';
import { allMessages, createRoom, history } from '../support/api.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { sleep, TestClient } from '../support/ws-client.js';

let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
});

const wsUrl = (s: SpawnedServer) => s.url.replace(/^http/, 'ws');

describe('durability', () => {
  it('keeps every echoed message exactly once across kill -9', async () => {
    server = await spawnServer({ env: { CHAT_WS_RATE: '0' } });
    const room = await createRoom(server.url);
    const echoed = new Map<string, Message>();
    const sent: string[] = [];
    const senders = await Promise.all(
      ['s1', 's2', 's3'].map((name) =>
        TestClient.join(wsUrl(server as SpawnedServer), room.id, name),
      ),
    );
    for (const c of senders) {
      c.ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as { type: string; data: Message };
        if (frame.type === 'message' && frame.data.client_id)
          echoed.set(frame.data.client_id, frame.data);
      });
    }
    // A steady stream from three clients until the process dies at a random moment.
    let streaming = true;
    const streams = senders.map(async (c, k) => {
      for (let i = 0; streaming; i++) {
        const id = `${k}-${i}-${randomUUID()}`;
        sent.push(id);
        c.send({ type: 'message', content: `msg ${k}/${i}`, client_id: id });
        await sleep(1);
      }
    });
    await sleep(300 + Math.random() * 700);
    await server.stop('SIGKILL');
    streaming = false;
    await Promise.all(streams);
    await Promise.all(senders.map((c) => c.closed));
    expect(echoed.size).toBeGreaterThan(50);

    await server.start();
    const stored = await allMessages(server.url, room.id);
    const byClientId = new Map<string, number>();
    for (const m of stored)
      byClientId.set(m.client_id ?? '', (byClientId.get(m.client_id ?? '') ?? 0) + 1);
    for (const [id, message] of echoed) {
      expect(byClientId.get(id), `echoed ${id} stored once`).toBe(1);
      expect(stored.find((m) => m.client_id === id)).toEqual(message);
    }
    // seq is gap-free and strictly increasing
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
    // resending what was never echoed stores it once; what was echoed is not stored
    // again (client ids are per sender: s1 retries its own)
    const c = await TestClient.join(wsUrl(server), room.id, 's1');
    const mine = sent.filter((id) => id.startsWith('0-')).slice(0, 20);
    for (const id of mine) c.send({ type: 'message', content: 'retry', client_id: id });
    await c.next('message', (m) => m.client_id === mine.at(-1), 5_000);
    await c.close();
    const after = await allMessages(server.url, room.id);
    expect(new Set(after.map((m) => m.client_id)).size).toBe(after.length);
  });
});

describe('search across kill -9', () => {
  it('finds every message stored before the kill, the ones still waiting for the index included', async () => {
    server = await spawnServer({ env: { CHAT_WS_RATE: '0' } });
    const room = await createRoom(server.url);
    const words: string[] = [];
    // Messages reach the search index within 250 ms of their commit; kill until
    // one kill lands before that for some of them (the first, nearly always).
    for (let attempt = 0; ; attempt++) {
      const c = await TestClient.join(wsUrl(server), room.id, 'writer');
      const batch = Array.from({ length: 20 }, () => `w${randomUUID().replaceAll('-', '')}`);
      for (const word of batch) c.send({ type: 'message', content: `note ${word}` });
      await c.next('message', (m) => m.content === `note ${batch.at(-1)}`, 5_000);
      await server.stop('SIGKILL');
      await c.closed;
      words.push(...batch);
      const db = new Database(server.dbPath);
      const unindexed = db
        .prepare<[], number>(
          `SELECT count(*) FROM messages m
            WHERE NOT EXISTS (SELECT 1 FROM messages_fts_docsize d WHERE d.id = m.rowid)`,
        )
        .pluck()
        .get();
      db.close();
      await server.start();
      if ((unindexed ?? 0) > 0) break;
      if (attempt === 4) throw new Error('five kills, each after every message was indexed');
    }
    for (const word of words) {
      const res = await fetch(`${server.url}/api/chat/search?q=${word}`);
      const body = (await res.json()) as { results: { message: Message }[] };
      expect(
        body.results.map((r) => r.message.content),
        word,
      ).toEqual([`note ${word}`]);
    }
  });
});

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s closes sockets with 1001, exits 0 and leaves a clean database',
    async (signal) => {
      server = await spawnServer();
      const room = await createRoom(server.url);
      const alice = await TestClient.join(wsUrl(server), room.id, 'alice');
      await alice.say('before shutdown');
      const [code] = await Promise.all([server.stop(signal), alice.closed]);
      expect(code).toBe(0);
      expect((await alice.closed).code).toBe(1001);
      // closed cleanly: the WAL was checkpointed into the main file and removed
      const wal = `${server.dbPath}-wal`;
      expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
      const db = new Database(server.dbPath, { readonly: true });
      expect((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(1);
      db.close();
      await server.start();
      expect((await history(server.url, room.id)).map((m) => m.content)).toEqual([
        'before shutdown',
      ]);
    },
  );
});
