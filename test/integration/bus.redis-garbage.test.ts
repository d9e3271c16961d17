// Whatever arrives on a room's Redis channel is read as untrusted: a payload that
// is not a well-formed event is dropped at the door. One with a non-numeric seq
// used to reach the room's ordering logic and stall the room for good.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../src/protocol/rest.js';
import { createRoom } from '../support/api.js';
import { clearRedisPrefix, randomName, requireRedis, TEST_REDIS_URL } from '../support/services.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';
import { TestClient } from '../support/ws-client.js';

const run = await requireRedis();
const prefix = `${randomName('parley_test_')}:`;

let server: TestServer;
let room: Room;
let alice: TestClient;
let bob: TestClient;
let redis: Redis;

beforeAll(async () => {
  if (!run) return;
  server = await startServer({ redisUrl: TEST_REDIS_URL, redis: { prefix } });
  room = await createRoom(server.url);
  alice = await TestClient.join(server.wsUrl, room.id, 'alice');
  bob = await TestClient.join(server.wsUrl, room.id, 'bob');
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  if (!run) return;
  await Promise.all([alice.close(), bob.close()]);
  redis.disconnect();
  await server.close();
  await clearRedisPrefix(prefix);
});

const message = (roomId: string, seq: unknown) => ({
  id: 'x',
  room_id: roomId,
  username: 'mallory',
  content: 'forged',
  timestamp: '2026-01-01T00:00:00.000Z',
  seq,
});

describe.runIf(run)('Redis bus: malformed payloads', () => {
  it('drops them; the room keeps its order and its members keep chatting', async () => {
    const channel = `${prefix}room:${room.id}`;
    const envelope = (event: unknown) => JSON.stringify({ v: 1, origin: 'mallory', event });
    const garbage = [
      'not json',
      'null',
      '42',
      '[]',
      '{"v":1}',
      JSON.stringify({ v: 2, origin: 'mallory', event: { type: 'room_deleted', roomId: room.id } }),
      envelope({ type: 'message', roomId: room.id }),
      envelope({ type: 'message', roomId: room.id, message: null }),
      envelope({ type: 'message', roomId: room.id, message: message(room.id, 'x') }),
      envelope({ type: 'message', roomId: room.id, message: message(room.id, -1) }),
      envelope({ type: 'message', roomId: room.id, message: message(room.id, 1e300) }),
      envelope({ type: 'typing', roomId: room.id, username: {}, isTyping: 'yes' }),
      envelope({ type: 'presence', roomId: room.id, change: 'join', username: 'm', users: 5 }),
      envelope({ type: 'user_list', roomId: room.id, users: [1, 2] }),
      // A list without a version, or with one that is not a count, could never be ordered.
      envelope({ type: 'user_list', roomId: room.id, users: ['m'] }),
      envelope({ type: 'user_list', roomId: room.id, users: ['m'], version: -1 }),
      envelope({ type: 'user_list', roomId: room.id, users: ['m'], version: 1e300 }),
      envelope({
        type: 'presence',
        roomId: room.id,
        change: 'leave',
        username: 'm',
        users: [],
        version: '9',
      }),
      envelope({ type: 'change', roomId: room.id }),
      envelope({ type: 'change', roomId: room.id, change: { ...message(room.id, 2), kind: 'x' } }),
      envelope({
        type: 'change',
        roomId: room.id,
        change: {
          id: 'c',
          room_id: room.id,
          seq: 0,
          message_id: 'm',
          kind: 'edit',
          username: 'u',
          timestamp: 't',
        },
      }),
      envelope({
        type: 'change',
        roomId: room.id,
        change: {
          id: 'c',
          room_id: room.id,
          seq: 3,
          message_id: 'm',
          kind: 'react',
          username: 'u',
          timestamp: 't',
          emoji: 5,
        },
      }),
      envelope({ type: 'nonsense', roomId: room.id }),
      envelope({ type: 'room_deleted', roomId: 42 }),
    ];
    for (const payload of garbage) await redis.publish(channel, payload);
    // One channel's messages reach the subscriber in order: once this well-formed
    // event is through, every payload above has been handled.
    await redis.publish(
      channel,
      envelope({ type: 'typing', roomId: room.id, username: 'sentinel', isTyping: true }),
    );
    await bob.next('typing', (t) => t.username === 'sentinel');

    const echo = await alice.say('after the garbage');
    expect((await bob.next('message', (m) => m.id === echo.id)).content).toBe('after the garbage');
    // nothing forged reached a client
    for (const client of [alice, bob]) {
      expect(
        client.received.filter((f) => f.type === 'message').map((f) => f.data.username),
      ).toEqual(['alice']);
      expect(client.received.filter((f) => f.type === 'room_deleted')).toEqual([]);
      for (const f of client.received) {
        if (f.type === 'user_list')
          expect(f.data.users.every((u) => typeof u === 'string')).toBe(true);
        if (f.type === 'typing') expect(typeof f.data.username).toBe('string');
      }
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe.runIf(run)('Redis bus: malformed room-list and reader payloads', () => {
  it('drops them; workspace sockets get only well-formed frames', async () => {
    const ws = await WorkspaceClient.open(server.wsUrl, 'wanda');
    const envelope = (event: unknown) => JSON.stringify({ v: 1, origin: 'mallory', event });
    const rooms = `${prefix}room:rooms`;
    const reader = `${prefix}room:reader:u:wanda`;
    const good = {
      id: 'r',
      name: 'n',
      created_at: 't',
      visibility: 'public',
      owner_id: null,
      kind: 'room',
    };
    const listed = (fields: object) =>
      envelope({
        type: 'room_listed',
        roomId: 'rooms',
        change: 'created',
        room: good,
        members: null,
        ...fields,
      });
    for (const payload of [
      listed({ change: 'exploded' }),
      listed({ room: null }),
      listed({ room: { ...good, id: 5 } }),
      listed({ members: 'everyone' }),
      listed({ members: [1] }),
    ]) {
      await redis.publish(rooms, payload);
    }
    const readerEvent = (fields: object) =>
      envelope({ type: 'reader', roomId: 'reader:u:wanda', reader: 'u:wanda', ...fields });
    for (const payload of [
      readerEvent({ frame: null }),
      readerEvent({ frame: { type: 'hello', data: {} } }),
      readerEvent({ frame: { type: 'read_state', data: 'x' } }),
      readerEvent({ reader: 7, frame: { type: 'read_state', data: {} } }),
    ]) {
      await redis.publish(reader, payload);
    }
    await redis.publish(rooms, listed({ room: { ...good, id: 'sentinel' } }));
    await redis.publish(
      reader,
      readerEvent({ frame: { type: 'sidebar_removed', data: { room_id: 's' } } }),
    );
    expect((await ws.next('room_created')).id).toBe('sentinel');
    expect(await ws.next('sidebar_removed')).toEqual({ room_id: 's' });
    // Each channel is in order, the two channels not with each other.
    expect(ws.received.map((f) => f.type).sort()).toEqual([
      'hello',
      'room_created',
      'sidebar_removed',
    ]);
    await ws.close();
  });
});
