// Redis dies and comes back, empty, in the middle of a conversation between two
// servers. Nothing crashes; the servers reconnect by themselves, clients catch
// up on what they missed, and the online lists are rebuilt. With accounts, what
// the bus could not carry meanwhile is made good: a member removed from a private
// room leaves it, an ended session's sockets close, and workspace sockets are told
// to read the room list and sidebar again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol/frames.js';
import type { Message } from '../../src/protocol/rest.js';
import { invite, login, type Session, signup } from '../support/accounts.js';
import { allMessages, createRoom } from '../support/api.js';
import { type OwnRedis, redisServerInstalled, startOwnRedis } from '../support/redis-server.js';
import {
  randomName,
  requirePostgres,
  requireService,
  TEST_PG_URL,
  testSchema,
} from '../support/services.js';
import {
  type ServerPair,
  startServer,
  startServerPair,
  type TestServer,
} from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';
import { eventually, sleep, TestClient } from '../support/ws-client.js';

const run =
  (await requirePostgres()) && (await requireService('redis-server binary', redisServerInstalled));

const schema = testSchema();
let redis: OwnRedis;
const servers: TestServer[] = [];
const clients: TestClient[] = [];

const messagesOf = (c: TestClient): Message[] =>
  c.received.flatMap((f: ServerFrame) => (f.type === 'message' ? [f.data] : []));
const lastUserList = (c: TestClient): string[] | undefined =>
  c.received.flatMap((f: ServerFrame) => (f.type === 'user_list' ? [f.data.users] : [])).at(-1);
const ready = async (s: TestServer) => (await fetch(`${s.url}/readyz`)).status;
/** How `c` closed, or code -1 if it is still open after `ms`. */
const closedWithin = (c: TestClient, ms: number) =>
  Promise.race([c.closed, sleep(ms).then(() => ({ code: -1, reason: 'still open' }))]);
const busErrors = (s: TestServer) =>
  s.app.metrics.busErrors.get().then((m) => m.values.reduce((n, v) => n + v.value, 0));

describe.runIf(run)('Redis restart mid-conversation', () => {
  beforeAll(async () => {
    redis = await startOwnRedis();
    const config = {
      databaseUrl: TEST_PG_URL,
      postgres: { schema: schema.name, poolSize: 3 },
      redisUrl: redis.url,
      redis: {
        prefix: `${randomName('parley_test_')}:`,
        presenceTtlMs: 2_000,
        presenceHeartbeatMs: 500,
      },
      ws: { ratePerSec: 0 },
    };
    servers.push(await startServer(config), await startServer(config));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
    await redis?.stop();
    await schema.drop();
  });

  it('servers reconnect by themselves; clients catch up; presence is rebuilt', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const room = await createRoom(a.url);
    const alice = await TestClient.join(a.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(b.wsUrl, room.id, 'bob');
    clients.push(alice, bob);
    await alice.next('user_list', (d) => d.users.length === 2);
    const hello = await alice.say('hello');
    await bob.next('message', (m) => m.id === hello.id);
    // a second room, deleted through server a while Redis is down
    const doomed = await createRoom(a.url);
    const dave = await TestClient.join(b.wsUrl, doomed.id, 'dave');
    clients.push(dave);

    await redis.stop();
    await eventually(async () => (await ready(a)) === 503, 5_000, 'a not ready');
    // Both keep talking: their messages are stored, and each hears their own echo.
    for (const text of ['a1', 'a2', 'a3']) await alice.say(text);
    for (const text of ['b1', 'b2']) await bob.say(text);
    expect((await fetch(`${a.url}/api/chat/rooms/${doomed.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    // down long enough for several reconnect attempts, with backoff
    await sleep(1_000);
    // bob's first send found a gap and read alice's messages from the store already
    expect(messagesOf(bob).map((m) => m.content)).toEqual(['hello', 'a1', 'a2', 'a3', 'b1', 'b2']);

    await redis.start();
    const stored = await allMessages(a.url, room.id);
    expect(stored.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // alice catches up after the reconnect, in order, without duplicates
    await eventually(() => messagesOf(alice).length >= 6, 10_000, 'alice to catch up');
    expect(messagesOf(alice)).toEqual(stored);
    expect(messagesOf(bob)).toEqual(stored);
    await eventually(async () => (await ready(a)) === 200 && (await ready(b)) === 200, 10_000);
    // the deletion that Redis never carried reaches dave through the catch-up
    expect(await dave.next('room_deleted', () => true, 10_000)).toMatchObject({
      room_id: doomed.id,
    });
    expect((await dave.closed).code).toBe(4010);

    // Redis came back empty: the online list is rebuilt and re-sent to everyone
    const both = (users: string[] | undefined) => [...(users ?? [])].sort().join() === 'alice,bob';
    await eventually(() => both(lastUserList(alice)) && both(lastUserList(bob)), 20_000, 'lists');
    bob.send({ type: 'get_users' });
    expect(both((await bob.next('user_list', (d) => d.users.length === 2)).users)).toBe(true);

    // live traffic flows between the servers again
    const carol = await TestClient.join(b.wsUrl, room.id, 'carol');
    clients.push(carol);
    expect(await alice.next('join', (d) => d.username === 'carol')).toMatchObject({
      username: 'carol',
    });
    alice.send({ type: 'typing', is_typing: true });
    expect(await carol.next('typing')).toEqual({ username: 'alice', is_typing: true });
    const live = await carol.say('back to normal');
    expect(await alice.next('message', (m) => m.id === live.id)).toEqual(live);
    expect(messagesOf(alice).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    expect(await busErrors(a)).toBeGreaterThan(0);
  }, 60_000);
});

describe.runIf(run)('Redis restart with accounts', () => {
  let ownRedis: OwnRedis;
  let pair: ServerPair;
  let admin: Session;

  beforeAll(async () => {
    ownRedis = await startOwnRedis();
    pair = await startServerPair({
      auth: { mode: 'accounts' },
      ws: { ratePerSec: 0 },
      redisUrl: ownRedis.url,
    });
    admin = await signup(pair.a.url, 'root');
  });

  afterAll(async () => {
    await pair?.close();
    await ownRedis?.stop();
  });

  it('removals, ended sessions, the room list and the sidebar lost meanwhile are made good', async () => {
    const { a, b } = pair;
    const dan = await signup(a.url, 'dan', await invite(admin));
    const danElsewhere = await login(a.url, 'dan');
    const secret = await admin.createRoom('secret', 'private');
    const lobby = await admin.createRoom('lobby');
    await admin.addMember(secret.id, dan.user.id);
    // Everything of dan's is on b; every change below is made on a.
    const headers = (s: Session) => ({ headers: { cookie: s.cookie } });
    const workspace = await WorkspaceClient.open(b.wsUrl, 'decoy', headers(dan));
    await workspace.subscribe(secret.id);
    const inSecret = await TestClient.join(b.wsUrl, secret.id, 'decoy', headers(dan));
    const elsewhere = await TestClient.join(b.wsUrl, lobby.id, 'decoy', headers(danElsewhere));
    clients.push(inSecret, elsewhere);

    await ownRedis.stop();
    await eventually(async () => (await ready(a)) === 503, 5_000, 'a not ready');
    const removed = await admin.fetch(`/api/chat/rooms/${secret.id}/members/${dan.user.id}`, {
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    const loggedOut = await danElsewhere.fetch('/api/auth/logout', { method: 'POST' });
    expect(loggedOut.status).toBeLessThan(300);
    const made = await admin.createRoom('made while redis was down');
    const joined = await dan.fetch(`/api/chat/me/rooms/${lobby.id}`, { method: 'PUT' });
    expect(joined.status).toBe(200);
    await sleep(500);
    // Nothing of it reached b.
    expect(workspace.all('unsubscribed')).toEqual([]);
    expect(workspace.all('room_created')).toEqual([]);
    expect(workspace.all('sidebar_added')).toEqual([]);
    expect(inSecret.ws.readyState).toBe(inSecret.ws.OPEN);
    expect(elsewhere.ws.readyState).toBe(elsewhere.ws.OPEN);

    await ownRedis.start();
    // The room list and the sidebar: the socket is told to read them again.
    expect(await workspace.next('refresh', () => true, 15_000)).toEqual({ reason: 'bus_outage' });
    const rooms = await dan.json<{ id: string }[]>('/api/chat/rooms');
    expect(rooms.map((r) => r.id)).toContain(made.id);
    const sidebar = await dan.json<{ room: { id: string } }[]>('/api/chat/me/rooms');
    expect(sidebar.map((r) => r.room.id)).toContain(lobby.id);
    // The removal: the subscription ends and the room's socket closes.
    expect(await workspace.next('unsubscribed', () => true, 15_000)).toEqual({
      room_id: secret.id,
      reason: 'removed',
    });
    expect((await closedWithin(inSecret, 10_000)).code).toBe(4011);
    // The ended session: its socket closes now, not at the next periodic check (30 s).
    expect((await closedWithin(elsewhere, 10_000)).code).toBe(4003);
    // dan's own session goes on.
    expect(workspace.ws.readyState).toBe(workspace.ws.OPEN);
    await workspace.subscribe(lobby.id);
    await workspace.close();
  }, 60_000);
});
