// Three server processes (dist/server/main.js) on one PostgreSQL and one Redis,
// with clients spread over them: they must see one chat. Then kill -9 of one.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol/frames.js';
import type { Message } from '../../src/protocol/rest.js';
import { allMessages, createRoom } from '../support/api.js';
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
import { eventually, TestClient } from '../support/ws-client.js';

const run = (await requirePostgres()) && (await requireRedis());

const PRESENCE_TTL_MS = 2_000;
const PRESENCE_HEARTBEAT_MS = 500;
/** The documented bound for a dead process's users to leave: TTL + one heartbeat. */
const LEAVE_BOUND_MS = PRESENCE_TTL_MS + PRESENCE_HEARTBEAT_MS;
/** Delivery of the leave notice itself once the sweep found it (a publish and a hop). */
const DELIVERY_MS = 1_000;

const schema = testSchema();
const prefix = `${randomName('parley_test_')}:`;
const servers: SpawnedServer[] = [];
const clients: TestClient[] = [];

const ws = (s: SpawnedServer) => s.url.replace(/^http/, 'ws');
const at = (i: number) => servers[i] as SpawnedServer;
async function join(server: number, roomId: string, username: string, since?: number) {
  const client = await TestClient.join(ws(at(server)), roomId, username, { since });
  clients.push(client);
  return client;
}
const messagesOf = (c: TestClient): Message[] =>
  c.received.flatMap((f: ServerFrame) => (f.type === 'message' ? [f.data] : []));

describe.runIf(run)('three server processes, one chat', () => {
  beforeAll(async () => {
    const env = {
      DATABASE_URL: TEST_PG_URL,
      CHAT_PG_SCHEMA: schema.name,
      CHAT_PG_POOL_SIZE: '4',
      REDIS_URL: TEST_REDIS_URL,
      CHAT_REDIS_PREFIX: prefix,
      CHAT_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
      CHAT_PRESENCE_HEARTBEAT_MS: String(PRESENCE_HEARTBEAT_MS),
      CHAT_WS_RATE: '0',
    };
    // started together: they race to migrate the fresh schema
    servers.push(...(await Promise.all([1, 2, 3].map(() => spawnServer({ env })))));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await Promise.all([schema.drop(), clearRedisPrefix(prefix)]);
  });

  it('carries joins, typing, messages, user lists, leaves and room deletion across processes', async () => {
    const room = await createRoom(at(0).url);
    const alice = await join(0, room.id, 'alice');
    const bob = await join(1, room.id, 'bob');
    expect(await alice.next('join', (d) => d.username === 'bob')).toEqual({
      username: 'bob',
      message: 'bob joined the room',
    });
    expect(await alice.next('user_list', (d) => d.users.length === 2)).toEqual({
      users: ['alice', 'bob'],
    });
    const carol = await join(2, room.id, 'carol');
    for (const c of [alice, bob]) {
      await c.next('join', (d) => d.username === 'carol');
      expect(await c.next('user_list', (d) => d.users.length === 3)).toEqual({
        users: ['alice', 'bob', 'carol'],
      });
    }
    expect(carol.received.at(-1)).toEqual({
      type: 'user_list',
      data: { users: ['alice', 'bob', 'carol'] },
    });

    // typing reaches the other processes, never the typist
    bob.send({ type: 'typing', is_typing: true });
    for (const c of [alice, carol]) {
      expect(await c.next('typing')).toEqual({ username: 'bob', is_typing: true });
    }

    // 3 × 30 messages sent at once from three processes: one order for everyone
    const senders = [alice, bob, carol];
    senders.forEach((c, k) => {
      for (let i = 0; i < 30; i++) c.send({ type: 'message', content: `${k}:${i}` });
    });
    await eventually(
      () => senders.every((c) => messagesOf(c).length >= 90),
      10_000,
      'every client to receive 90 messages',
    );
    const reference = messagesOf(alice);
    expect(reference.map((m) => m.seq)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    for (const c of senders) expect(messagesOf(c)).toEqual(reference);
    // and each sender's own messages in the order it sent them
    for (let k = 0; k < 3; k++) {
      const mine = reference.filter((m) => m.content.startsWith(`${k}:`)).map((m) => m.content);
      expect(mine).toEqual(Array.from({ length: 30 }, (_, i) => `${k}:${i}`));
    }
    expect(await allMessages(at(2).url, room.id)).toEqual(reference);
    expect(bob.pending('typing')).toEqual([]);

    // a second tab of alice on another process: listed once, nobody hears a join
    const aliceTab2 = await join(2, room.id, 'alice');
    expect(aliceTab2.received.map((f) => f.type)).toEqual(['user_list']);
    carol.send({ type: 'get_users' });
    expect(await carol.next('user_list')).toEqual({ users: ['alice', 'bob', 'carol'] });
    await alice.close();
    await bob.say('after alice closed one tab');
    await carol.next('message', (m) => m.content === 'after alice closed one tab');
    expect(carol.pending('leave')).toEqual([]);

    // carol leaves: the others, on other processes, hear it with the new list
    await carol.close();
    for (const c of [bob, aliceTab2]) {
      expect(await c.next('leave')).toEqual({ username: 'carol', message: 'carol left the room' });
      expect(await c.next('user_list', (d) => d.users.length === 2)).toEqual({
        users: ['alice', 'bob'],
      });
    }

    // deleted through process 0: members on processes 1 and 2 are told and closed
    const res = await fetch(`${at(0).url}/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    for (const c of [bob, aliceTab2]) {
      expect(await c.next('room_deleted')).toEqual({
        room_id: room.id,
        message: 'This room was deleted',
      });
      expect((await c.closed).code).toBe(4010);
    }
  });

  it('resumes on another process with since=<seq>: no gap, no duplicate', async () => {
    const room = await createRoom(at(1).url);
    const talker = await join(0, room.id, 'talker');
    const reader = await join(1, room.id, 'reader');
    for (let i = 1; i <= 5; i++) await talker.say(`m${i}`);
    await reader.next('message', (m) => m.seq === 5);
    await reader.close();
    for (let i = 6; i <= 12; i++) await talker.say(`m${i}`);
    // back, through another process, while the talker keeps going
    const back = await join(2, room.id, 'reader', 5);
    for (let i = 13; i <= 15; i++) await talker.say(`m${i}`);
    await back.next('message', (m) => m.seq === 15);
    expect(messagesOf(back).map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 6));
  });

  it('kill -9 of one process: its users leave everywhere within the bound, the rest chat on, nothing stored is lost', async () => {
    const room = await createRoom(at(0).url);
    const u0 = await join(0, room.id, 'u0');
    const u1 = await join(1, room.id, 'u1');
    const doomed = await join(2, room.id, 'doomed');
    const doomedToo = await join(2, room.id, 'doomed-too');
    await u0.next('user_list', (d) => d.users.length === 4);
    await u1.next('user_list', (d) => d.users.length === 4);

    // everyone streams messages with client ids; remember every echo
    const echoed = new Map<string, Message>();
    let streaming = true;
    const stream = async (c: TestClient, name: string) => {
      c.ws.on('message', (raw) => {
        const f = JSON.parse(raw.toString()) as ServerFrame;
        if (f.type === 'message' && f.data.username === name && f.data.client_id) {
          echoed.set(f.data.client_id, f.data);
        }
      });
      for (let i = 0; streaming && c.ws.readyState === c.ws.OPEN; i++) {
        c.send({ type: 'message', content: `${name} ${i}`, client_id: randomUUID() });
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const streams = [
      stream(u0, 'u0'),
      stream(u1, 'u1'),
      stream(doomed, 'doomed'),
      stream(doomedToo, 'doomed-too'),
    ];
    await eventually(() => echoed.size >= 40, 5_000, 'some traffic');

    const killedAt = Date.now();
    await at(2).stop('SIGKILL');
    for (const c of [u0, u1]) {
      const left = new Set<string>();
      while (left.size < 2) {
        const d = await c.next('leave', () => true, LEAVE_BOUND_MS + DELIVERY_MS);
        left.add(d.username);
      }
      expect(left).toEqual(new Set(['doomed', 'doomed-too']));
    }
    expect(Date.now() - killedAt).toBeLessThanOrEqual(LEAVE_BOUND_MS + DELIVERY_MS);
    u0.send({ type: 'get_users' });
    expect(await u0.next('user_list', (d) => d.users.length === 2)).toEqual({
      users: ['u0', 'u1'],
    });

    // the survivors keep chatting
    const before = echoed.size;
    await eventually(() => echoed.size >= before + 20, 5_000, 'traffic after the kill');
    streaming = false;
    await Promise.all(streams);
    // A last word from each survivor: once both have seen both, everything the
    // survivors sent before is stored (a connection's sends commit in order).
    const ends = [await u0.say('u0 ends'), await u1.say('u1 ends')];
    for (const c of [u0, u1]) {
      await eventually(
        () => ends.every((e) => messagesOf(c).some((m) => m.id === e.id)),
        5_000,
        'the last words',
      );
    }

    // every echoed message is stored exactly once; survivors saw one gapless order
    const stored = await allMessages(at(0).url, room.id);
    expect(stored.map((m) => m.seq)).toEqual(
      Array.from({ length: stored.length }, (_, i) => i + 1),
    );
    const keyed = stored.filter((m) => m.client_id !== undefined);
    const byClientId = new Map(keyed.map((m) => [m.client_id, m]));
    expect(byClientId.size).toBe(keyed.length);
    for (const [clientId, message] of echoed) expect(byClientId.get(clientId)).toEqual(message);
    await eventually(() => messagesOf(u0).length >= stored.length, 5_000, 'u0 to be current');
    await eventually(() => messagesOf(u1).length >= stored.length, 5_000, 'u1 to be current');
    const seen0 = messagesOf(u0);
    const seen1 = messagesOf(u1);
    expect(seen0.map((m) => m.seq)).toEqual(stored.map((m) => m.seq));
    expect(seen1).toEqual(seen0);
  });
});
