import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoom, history } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, sleep, TestClient } from '../support/ws-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('WebSocket chat', () => {
  it('connects, announces the join and sends the user list', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.connect(server.wsUrl, room.id, 'alice');
    expect(await alice.next('join')).toEqual({
      username: 'alice',
      message: 'alice joined the room',
    });
    expect(await alice.next('user_list')).toEqual({ users: ['alice'] });
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    expect(await alice.next('join')).toEqual({ username: 'bob', message: 'bob joined the room' });
    expect(await alice.next('user_list')).toEqual({ users: ['alice', 'bob'] });
    expect(bob.received[0]).toEqual({
      type: 'join',
      data: { username: 'bob', message: 'bob joined the room' },
    });
    await Promise.all([alice.close(), bob.close()]);
  });

  it('broadcasts a message to everyone, the sender included, after storing it', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    alice.send({ type: 'message', content: 'hello <b>bob</b>' });
    const echo = await alice.next('message');
    const got = await bob.next('message');
    expect(got).toEqual(echo);
    expect(echo).toMatchObject({
      room_id: room.id,
      username: 'alice',
      content: 'hello <b>bob</b>',
      seq: 1,
    });
    expect(await history(server.url, room.id)).toEqual([echo]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('sends typing to others, never to the typist', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const alice2 = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    alice.send({ type: 'typing', is_typing: true });
    expect(await bob.next('typing')).toEqual({ username: 'alice', is_typing: true });
    alice.send({ type: 'typing', is_typing: false });
    expect(await bob.next('typing')).toEqual({ username: 'alice', is_typing: false });
    // a later message proves the typing frames would have arrived by now
    await bob.say('sync');
    await alice.next('message');
    await alice2.next('message');
    expect(alice.pending('typing')).toEqual([]);
    expect(alice2.pending('typing')).toEqual([]);
    await Promise.all([alice.close(), alice2.close(), bob.close()]);
  });

  it('answers get_users to the asker only', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    await alice.next('user_list', (d) => d.users.length === 2);
    alice.send({ type: 'get_users' });
    expect(await alice.next('user_list')).toEqual({ users: ['alice', 'bob'] });
    await bob.say('sync');
    await alice.next('message');
    expect(bob.pending('user_list')).toEqual([]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('announces leave and the new user list when a user disconnects', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    await bob.close();
    expect(await alice.next('leave')).toEqual({ username: 'bob', message: 'bob left the room' });
    expect(await alice.next('user_list', (d) => d.users.length === 1)).toEqual({
      users: ['alice'],
    });
    await alice.close();
  });

  it('treats two tabs of one user as one user: listed once, leave only after the last', async () => {
    const room = await createRoom(server.url);
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    const tab1 = await TestClient.join(server.wsUrl, room.id, 'alice');
    const tab2 = await TestClient.join(server.wsUrl, room.id, 'alice');
    expect(tab2.received.map((f) => f.type)).toEqual(['user_list']);
    expect(tab2.received[0]).toEqual({ type: 'user_list', data: { users: ['bob', 'alice'] } });
    await bob.next('join', (d) => d.username === 'alice');
    await tab1.close();
    await bob.say('after first tab closed');
    expect(bob.pending('leave')).toEqual([]);
    bob.send({ type: 'get_users' });
    expect(await bob.next('user_list', (d) => d.users.length === 2)).toEqual({
      users: ['bob', 'alice'],
    });
    await tab2.close();
    expect(await bob.next('leave')).toEqual({ username: 'alice', message: 'alice left the room' });
    expect(
      bob.received.filter((f) => f.type === 'join' && f.data.username === 'alice'),
    ).toHaveLength(1);
    await bob.close();
  });

  it('persists messages: a later joiner sees them in history', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    await alice.say('first');
    await alice.say('second');
    await alice.close();
    const msgs = await history(server.url, room.id);
    expect(msgs.map((m) => [m.seq, m.username, m.content])).toEqual([
      [1, 'alice', 'first'],
      [2, 'alice', 'second'],
    ]);
  });

  it('keeps a room usable by others while one client misbehaves', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const mallory = await TestClient.join(server.wsUrl, room.id, 'mallory');
    mallory.send('{not json');
    mallory.send({ type: 'nope' });
    const echo = await alice.say('still fine');
    expect(echo.content).toBe('still fine');
    expect(alice.pending('error')).toEqual([]);
    await Promise.all([alice.close(), mallory.close()]);
  });

  it('tells members when their room is deleted and closes with 4010', async () => {
    const room = await createRoom(server.url);
    const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
    const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
    const res = await fetch(`${server.url}/api/chat/rooms/${room.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await alice.next('room_deleted')).toEqual({
      room_id: room.id,
      message: 'This room was deleted',
    });
    expect((await alice.closed).code).toBe(4010);
    expect((await bob.closed).code).toBe(4010);
    await eventually(() => server.app.presence.roomCount() === 0, 2_000, 'presence cleared');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('leaves no presence, rooms or sockets behind after clients go', async () => {
    const room = await createRoom(server.url);
    const clients = await Promise.all(
      ['a', 'b', 'c'].map((u) => TestClient.join(server.wsUrl, room.id, u)),
    );
    await Promise.all(clients.map((c) => c.close()));
    await eventually(() => server.app.gateway.openSockets() === 0, 2_000, 'sockets closed');
    await sleep(20);
    expect(server.app.presence.roomCount()).toBe(0);
    expect(server.app.hub.roomCount()).toBe(0);
  });
});
