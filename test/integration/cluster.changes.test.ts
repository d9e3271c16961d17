// Two server processes (dist/server/main.js) on one PostgreSQL and one Redis:
// edits, deletes and reactions made through either of them, over WebSocket and
// REST, reach every client of both in one order (the room's log: messages and
// changes share one seq counter), and a client that resumes on the other
// process gets exactly the entries it missed. And the convergence property of
// changes.property.test.ts holds with its clients spread over both processes.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageChange } from '../../src/protocol/changes.js';
import { allMessages, createRoom } from '../support/api.js';
import { ChangesClient, type WireFrame } from '../support/changes-client.js';
import { changesScenario, op } from '../support/changes-scenario.js';
import { ORIGINAL_FRAME_TYPES } from '../support/original-protocol.js';
import {
  clearRedisPrefix,
  randomName,
  requirePostgres,
  requireRedis,
  TEST_PG_URL,
  TEST_REDIS_URL,
  testSchema,
} from '../support/services.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { type LiveMessage, stateOfHistory } from '../support/timeline-model.js';
import { eventually, TestClient } from '../support/ws-client.js';

const run = (await requirePostgres()) && (await requireRedis());

const schema = testSchema();
const prefix = `${randomName('parley_test_')}:`;
const servers: SpawnedServer[] = [];
const clients: ChangesClient[] = [];
const originals: TestClient[] = [];

const at = (i: number) => servers[i] as SpawnedServer;
const ws = (i: number) => at(i).url.replace(/^http/, 'ws');

async function joinChanges(server: number, roomId: string, username: string) {
  const c = new ChangesClient(ws(server), roomId, username);
  clients.push(c);
  await c.loadEpoch(at(server).url);
  await c.connect({ since: 0 });
  return c;
}

/** One log entry as a client received it. */
const entriesOf = (frames: readonly WireFrame[]) =>
  frames.flatMap((f) =>
    f.type === 'message' || f.type === 'change'
      ? [{ type: f.type, id: (f.data as { id: string }).id, seq: (f.data as { seq: number }).seq }]
      : [],
  );

async function rest(
  server: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${at(server).url}/api/chat/rooms/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function converge(roomId: string, who: ChangesClient[]): Promise<void> {
  await eventually(
    async () => {
      const state = stateOfHistory((await allMessages(at(0).url, roomId)) as LiveMessage[]);
      return who.every((c) => isDeepStrictEqual(c.model.state(), state));
    },
    15_000,
    'every client to hold the room REST shows',
  ).catch(() => {
    // the assertions that follow show the difference
  });
}

describe.runIf(run)('two server processes, one log of messages and changes', () => {
  beforeAll(async () => {
    const env = {
      DATABASE_URL: TEST_PG_URL,
      CHAT_PG_SCHEMA: schema.name,
      CHAT_PG_POOL_SIZE: '4',
      REDIS_URL: TEST_REDIS_URL,
      CHAT_REDIS_PREFIX: prefix,
      CHAT_WS_RATE: '0',
      CHAT_HTTP_RATE: '0',
    };
    // started together: they race to migrate the fresh schema
    servers.push(...(await Promise.all([1, 2].map(() => spawnServer({ env })))));
  });

  afterAll(async () => {
    await Promise.all([...clients.map((c) => c.disconnect()), ...originals.map((c) => c.close())]);
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await Promise.all([schema.drop(), clearRedisPrefix(prefix)]);
  });

  it('delivers changes made through both processes to everyone in one order; a resume on the other process gets what it missed', async () => {
    const room = await createRoom(at(0).url);
    const ann = await joinChanges(0, room.id, 'ann');
    const ben = await joinChanges(1, room.id, 'ben');
    const obs0 = await joinChanges(0, room.id, 'obs0');
    const obs1 = await joinChanges(1, room.id, 'obs1');
    const cara = await joinChanges(0, room.id, 'cara');
    const olaf = await TestClient.join(ws(1), room.id, 'olaf', { since: 0 });
    originals.push(olaf);

    // Phase 1: messages from both processes at once.
    for (let i = 0; i < 8; i++) {
      ann.send({ type: 'message', content: `ann ${i}`, client_id: ann.nextClientId() });
      ben.send({ type: 'message', content: `ben ${i}`, client_id: ben.nextClientId() });
    }
    await Promise.all([ann.settle(), ben.settle()]);
    await converge(room.id, [cara]);
    const annMessages = ann.model.messages().filter((m) => m.username === 'ann');
    const benMessages = ann.model.messages().filter((m) => m.username === 'ben');
    expect(annMessages).toHaveLength(8);
    expect(benMessages).toHaveLength(8);

    // Cara leaves process 0 here and comes back on process 1 after phase 2.
    const caraPosition = cara.position;
    await cara.disconnect();

    // Phase 2: every kind of change, through both processes, over WebSocket and REST, at once.
    const annIds = annMessages.map((m) => m.id);
    const benIds = benMessages.map((m) => m.id);
    const id = (ids: string[], i: number) => ids[i] as string;
    for (let i = 0; i < 4; i++) {
      ann.send({
        type: 'edit',
        message_id: id(annIds, i),
        content: `ann ${i}, edited @ben`,
        client_id: ann.nextClientId(),
      });
      ben.send({
        type: 'react',
        message_id: id(annIds, i),
        emoji: '👍',
        on: true,
        client_id: ben.nextClientId(),
      });
      ann.send({
        type: 'react',
        message_id: id(benIds, i),
        emoji: '🎉',
        on: true,
        client_id: ann.nextClientId(),
      });
      ben.send({ type: 'delete', message_id: id(benIds, 4 + i), client_id: ben.nextClientId() });
    }
    ann.send({
      type: 'message',
      content: 'to ben',
      reply_to: id(benIds, 0),
      client_id: ann.nextClientId(),
    });
    await Promise.all([ann.settle(), ben.settle()]);
    // Then REST through both processes, with one more over WebSocket; on targets
    // of their own, so that none of them is a no-op whatever order they take.
    ben.send({
      type: 'react',
      message_id: id(annIds, 0),
      emoji: '👍',
      on: false,
      client_id: ben.nextClientId(),
    });
    const restCalls = await Promise.all([
      rest(1, 'PATCH', `${room.id}/messages/${id(annIds, 5)}`, {
        content: 'ann 5, edited over REST',
        username: 'ann',
      }),
      rest(0, 'PUT', `${room.id}/messages/${id(benIds, 1)}/reactions/ok?username=rita`),
      rest(1, 'PUT', `${room.id}/messages/${id(benIds, 1)}/reactions/ok?username=sam`),
      rest(0, 'DELETE', `${room.id}/messages/${id(annIds, 7)}?username=ann`),
      rest(
        1,
        'DELETE',
        `${room.id}/messages/${id(benIds, 2)}/reactions/${encodeURIComponent('🎉')}?username=ann`,
      ),
    ]);
    expect(restCalls.map((r) => r.status)).toEqual([200, 200, 200, 204, 200]);
    await ben.settle();
    expect([...ann.errors, ...ben.errors]).toEqual([]);

    const live = [ann, ben, obs0, obs1];
    await converge(room.id, live);
    const history = (await allMessages(at(1).url, room.id)) as LiveMessage[];
    const state = stateOfHistory(history);
    for (const c of live) {
      expect(c.model.state(), `${c.username}'s room`).toEqual(state);
      expect(c.problems, `${c.username}'s problems`).toEqual([]);
    }

    // One order for everyone, with no gap: every entry of the log, once.
    const reference = entriesOf(obs0.received);
    expect(reference.map((e) => e.seq)).toEqual(
      Array.from({ length: reference.length }, (_, i) => i + 1),
    );
    // 16 + 1 messages, 4 × 4 + 1 changes over WebSocket, 5 over REST
    expect(reference).toHaveLength(17 + 17 + 5);
    for (const c of live) expect(entriesOf(c.received), c.username).toEqual(reference);
    // ... and the same change frames, byte for byte, on both processes.
    const changes = (c: ChangesClient) =>
      c.received.filter((f) => f.type === 'change').map((f) => f.data as MessageChange);
    expect(changes(obs1)).toEqual(changes(obs0));

    // The original client on process 1: the messages, in the same order, nothing else.
    await eventually(
      () => olaf.received.filter((f) => f.type === 'message').length === 17,
      10_000,
      'olaf to get all 17 messages',
    );
    expect(olaf.received.flatMap((f) => (f.type === 'message' ? [f.data.seq] : []))).toEqual(
      reference.filter((e) => e.type === 'message').map((e) => e.seq),
    );
    expect(olaf.received.filter((f) => !ORIGINAL_FRAME_TYPES.has(f.type))).toEqual([]);

    // Cara resumes on the other process: the entries after her position, in order,
    // deleted messages left out, messages in their current state.
    const before = cara.received.length;
    await cara.connect({ wsUrl: ws(1) });
    await converge(room.id, [cara]);
    // Deleting a message erases it and its earlier changes from the log; its delete stays.
    const deleted = new Set(
      changes(obs0)
        .filter((c) => c.kind === 'delete')
        .map((c) => c.message_id),
    );
    const missed = entriesOf(
      obs0.received.filter((f) => {
        const d = f.data as { seq: number; id: string; message_id?: string; kind?: string };
        if (f.type === 'message') return !deleted.has(d.id);
        if (f.type !== 'change') return false;
        return d.kind === 'delete' || !deleted.has(d.message_id ?? '');
      }),
    ).filter((e) => e.seq > caraPosition);
    expect(entriesOf(cara.received.slice(before))).toEqual(missed);
    const current = new Map(history.map((m) => [m.id, m]));
    for (const f of cara.received.slice(before)) {
      if (f.type === 'message') {
        const m = f.data as LiveMessage;
        expect(m, 'a replayed message in its current state').toEqual(current.get(m.id));
      }
    }
    expect(cara.model.state()).toEqual(state);
    expect(cara.problems).toEqual([]);

    // ... and she is live there: a change made through process 0 reaches her.
    ann.send({
      type: 'edit',
      message_id: id(annIds, 6),
      content: 'ann 6, edited last',
      client_id: ann.nextClientId(),
    });
    await ann.settle();
    await converge(room.id, [cara, obs1, obs0]);
    expect(cara.model.get(id(annIds, 6))?.content).toBe('ann 6, edited last');
    expect(entriesOf(cara.received).at(-1)).toEqual(entriesOf(obs0.received).at(-1));
  }, 90_000);

  it('the convergence property holds with clients and REST calls spread over both processes', async () => {
    const endpoints = [0, 1].map((i) => ({ url: at(i).url, wsUrl: ws(i) }));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), (ops) =>
        changesScenario(endpoints, ops),
      ),
      { numRuns: 12, endOnFailure: true },
    );
  }, 180_000);
});
