// /ws/workspace across two server processes (dist/server/main.js) on one
// PostgreSQL and one Redis: subscriptions, resume, presence and the pushed room
// list work whichever process a socket is on. Accounts mode (private rooms,
// removal) across two apps sharing the backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { invite, type Session, signup } from '../support/accounts.js';
import { createRoom } from '../support/api.js';
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
import { type ServerPair, startServerPair } from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';
import { TestClient } from '../support/ws-client.js';

const run = (await requirePostgres()) && (await requireRedis());

describe.runIf(run)('/ws/workspace on two server processes', () => {
  const schema = testSchema();
  const prefix = `${randomName('parley_test_')}:`;
  let a: SpawnedServer;
  let b: SpawnedServer;
  const wsUrl = (s: SpawnedServer) => s.url.replace(/^http/, 'ws');

  beforeAll(async () => {
    const env = {
      DATABASE_URL: TEST_PG_URL,
      CHAT_PG_SCHEMA: schema.name,
      CHAT_PG_POOL_SIZE: '4',
      REDIS_URL: TEST_REDIS_URL,
      CHAT_REDIS_PREFIX: prefix,
      CHAT_WS_RATE: '0',
    };
    // Started together: they race to migrate the fresh schema.
    [a, b] = (await Promise.all([1, 2].map(() => spawnServer({ env })))) as [
      SpawnedServer,
      SpawnedServer,
    ];
  });
  afterAll(async () => {
    await Promise.all([a, b].map((s) => s?.stop('SIGKILL')));
    await Promise.all([schema.drop(), clearRedisPrefix(prefix)]);
  });

  it('carries rooms, messages, presence, resume and the room list across processes', async () => {
    const onA = await WorkspaceClient.open(wsUrl(a), 'alice');
    const onB = await WorkspaceClient.open(wsUrl(b), 'bob');
    const room = await createRoom(a.url, 'made on a');
    for (const ws of [onA, onB]) expect(await ws.next('room_created')).toEqual(room);

    // Messages both ways between a /ws/chat client on a and a workspace socket on b.
    await onB.subscribe(room.id, { presence: true });
    const carol = await TestClient.join(wsUrl(a), room.id, 'carol');
    const list = carol.received.find((f) => f.type === 'user_list');
    expect(list?.data).toEqual({ users: ['bob', 'carol'] });
    await onB.next('join', (d, f) => f.room_id === room.id && d.username === 'carol');
    await carol.say('from a');
    expect((await onB.message(room.id, 'from a')).username).toBe('carol');
    await onB.say(room.id, 'from b');
    await carol.next('message', (m) => m.content === 'from b');

    // Resume on b after messages sent on a.
    onB.send({ type: 'unsubscribe', room_id: room.id });
    await onB.next('unsubscribed', (d) => d.room_id === room.id);
    await carol.next('leave', (d) => d.username === 'bob');
    await carol.say('missed 1');
    await carol.say('missed 2');
    await onB.subscribe(room.id, { since: 2 });
    const replayed = onB.all('message', room.id).map((f) => f.data.content);
    expect(replayed.slice(-2)).toEqual(['missed 1', 'missed 2']);

    // Deleted on a: room_deleted then unsubscribed on b, the room leaves both lists.
    const res = await fetch(`${a.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await onB.nextFrame('room_deleted')).room_id).toBe(room.id);
    expect(await onB.next('unsubscribed')).toEqual({ room_id: room.id, reason: 'deleted' });
    for (const ws of [onA, onB])
      expect(await ws.next('room_removed')).toEqual({ room_id: room.id });
    await Promise.all([onA.close(), onB.close(), carol.close()]);
  });
});

describe.runIf(run)('/ws/workspace with accounts on two processes', () => {
  let pair: ServerPair;
  let admin: Session;
  beforeAll(async () => {
    pair = await startServerPair({ auth: { mode: 'accounts' }, ws: { ratePerSec: 0 } });
    admin = await signup(pair.a.url, 'root');
  });
  afterAll(() => pair?.close());

  const onB = (s: Session) =>
    WorkspaceClient.open(pair.b.wsUrl, 'decoy', { headers: { cookie: s.cookie } });

  it('private rooms reach only their members; removal on one process ends the subscription on the other', async () => {
    const dan = await signup(pair.a.url, 'dan', await invite(admin));
    const eve = await signup(pair.a.url, 'eve', await invite(admin));
    const [danWs, eveWs] = await Promise.all([onB(dan), onB(eve)]);
    const secret = await admin.createRoom('secret', 'private');
    await admin.addMember(secret.id, dan.user.id);
    await admin.json(`/api/chat/rooms/${secret.id}`, { method: 'PATCH', json: { name: 'hush' } });
    expect(await danWs.next('room_updated')).toMatchObject({ id: secret.id, name: 'hush' });
    const lobby = await admin.createRoom('lobby');
    expect((await eveWs.next('room_created')).id).toBe(lobby.id);
    expect(eveWs.all('room_updated')).toHaveLength(0);

    eveWs.send({ type: 'subscribe', room_id: secret.id });
    expect((await eveWs.error(secret.id)).data.code).toBe(ErrorCode.ROOM_NOT_FOUND);
    await danWs.subscribe(secret.id);
    const res = await admin.fetch(`/api/chat/rooms/${secret.id}/members/${dan.user.id}`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(204);
    expect(await danWs.next('unsubscribed')).toEqual({ room_id: secret.id, reason: 'removed' });
    await danWs.subscribe(lobby.id);
    await Promise.all([danWs.close(), eveWs.close()]);
  });
});
