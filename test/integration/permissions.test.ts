// Accounts mode: every room permission, each forbidden action tried and refused
// over REST and over WebSocket; impersonation; DMs; the REST message route (both
// modes). Real server; runs on SQLite+local and PostgreSQL+Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/error-codes.js';
import type { Message, Room } from '../../src/protocol/rest.js';
import { invite, type Session, signup } from '../support/accounts.js';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { TestClient } from '../support/ws-client.js';

async function code(res: Response): Promise<string | undefined> {
  return ((await res.json()) as { code?: string }).code;
}

async function expectRefused(res: Response, status: number, errorCode: string, what: string) {
  expect(res.status, what).toBe(status);
  expect(await code(res), what).toBe(errorCode);
}

describe('permissions (accounts mode)', () => {
  let server: TestServer;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  beforeAll(async () => {
    server = await startServer({ auth: { mode: 'accounts' } });
    admin = await signup(server.url, 'admin');
    alice = await signup(server.url, 'alice', await invite(admin));
    bob = await signup(server.url, 'bob', await invite(admin));
    carol = await signup(server.url, 'carol', await invite(admin));
  });
  afterAll(() => server.close());

  it('a room records its creator; others may not rename or delete it (403), owner and admin may', async () => {
    const room = await alice.createRoom('alice-public');
    expect(room).toMatchObject({ owner_id: alice.user.id, visibility: 'public', kind: 'room' });
    const watcher = await alice.join(room.id);
    await expectRefused(
      await bob.fetch(`/api/chat/rooms/${room.id}`, { method: 'PATCH', json: { name: 'mine' } }),
      403,
      'FORBIDDEN',
      'rename by non-owner',
    );
    await expectRefused(
      await bob.fetch(`/api/chat/rooms/${room.id}`, { method: 'DELETE' }),
      403,
      'FORBIDDEN',
      'delete by non-owner',
    );
    // nothing happened: the room is there, with its name, and its member is still connected
    const rooms = await bob.json<Room[]>('/api/chat/rooms');
    expect(rooms.find((r) => r.id === room.id)?.name).toBe('alice-public');
    await watcher.say('still standing');
    const renamed = await alice.json<Room>(`/api/chat/rooms/${room.id}`, {
      method: 'PATCH',
      json: { name: 'renamed' },
    });
    expect(renamed.name).toBe('renamed');
    expect(
      (
        await admin.json<Room>(`/api/chat/rooms/${room.id}`, {
          method: 'PATCH',
          json: { name: 'by admin' },
        })
      ).name,
    ).toBe('by admin');
    expect((await admin.fetch(`/api/chat/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await watcher.closed).code).toBe(CloseCode.ROOM_DELETED);
    const own = await bob.createRoom('bob-own');
    expect((await bob.fetch(`/api/chat/rooms/${own.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('a private room is 404 for non-members everywhere: list, history, members, send, rename, delete, WebSocket', async () => {
    const room = await alice.createRoom('secret', 'private');
    expect(room.visibility).toBe('private');
    await alice.post(room.id, 'for members only');
    const list = await carol.json<Room[]>('/api/chat/rooms');
    expect(list.map((r) => r.id)).not.toContain(room.id);
    const paged = await carol.json<Room[]>('/api/chat/rooms?limit=1000');
    expect(paged.map((r) => r.id)).not.toContain(room.id);
    for (const [method, path, json] of [
      ['GET', `/api/chat/rooms/${room.id}/messages`, undefined],
      ['GET', `/api/chat/rooms/${room.id}/members`, undefined],
      ['POST', `/api/chat/rooms/${room.id}/messages`, { content: 'let me in' }],
      ['PATCH', `/api/chat/rooms/${room.id}`, { name: 'pwned' }],
      ['DELETE', `/api/chat/rooms/${room.id}`, undefined],
      ['PUT', `/api/chat/rooms/${room.id}/members/${carol.user.id}`, undefined],
      ['DELETE', `/api/chat/rooms/${room.id}/members/${alice.user.id}`, undefined],
    ] as const) {
      for (const who of [carol, admin]) {
        await expectRefused(
          await who.fetch(path, { method, ...(json ? { json } : {}) }),
          404,
          'ROOM_NOT_FOUND',
          `${who.user.username} ${method} ${path}`,
        );
      }
    }
    const ws = await TestClient.connect(carol.wsUrl, room.id, 'carol', {
      headers: { cookie: carol.cookie },
    });
    expect((await ws.closed).code).toBe(CloseCode.ROOM_NOT_FOUND);
    // nothing leaked or changed
    const history = await alice.history(room.id);
    expect(history.map((m) => m.content)).toEqual(['for members only']);
    expect((await alice.json<Room[]>('/api/chat/rooms')).find((r) => r.id === room.id)?.name).toBe(
      'secret',
    );
  });

  it('members: only the owner (or an admin) adds or removes; a member may leave; removal closes their sockets with 4011', async () => {
    const room = await alice.createRoom('team', 'private');
    await alice.addMember(room.id, bob.user.id);
    expect((await bob.json<Room[]>('/api/chat/rooms')).map((r) => r.id)).toContain(room.id);
    const members = await bob.json<{ username: string }[]>(`/api/chat/rooms/${room.id}/members`);
    expect(members.map((m) => m.username)).toEqual(['alice', 'bob']);
    await expectRefused(
      await bob.fetch(`/api/chat/rooms/${room.id}/members/${carol.user.id}`, { method: 'PUT' }),
      403,
      'FORBIDDEN',
      'member adds',
    );
    await expectRefused(
      await bob.fetch(`/api/chat/rooms/${room.id}/members/${alice.user.id}`, { method: 'DELETE' }),
      403,
      'FORBIDDEN',
      'member removes owner',
    );
    await expectRefused(
      await bob.fetch(`/api/chat/rooms/${room.id}`, { method: 'DELETE' }),
      403,
      'FORBIDDEN',
      'member deletes',
    );
    const bobWs = await bob.join(room.id);
    const aliceWs = await alice.join(room.id);
    const removed = await alice.fetch(`/api/chat/rooms/${room.id}/members/${bob.user.id}`, {
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    expect((await bobWs.closed).code).toBe(CloseCode.REMOVED_FROM_ROOM);
    await expectRefused(
      await bob.fetch(`/api/chat/rooms/${room.id}/messages`),
      404,
      'ROOM_NOT_FOUND',
      'removed reads',
    );
    // alice's socket in the same room is untouched
    await aliceWs.say('bob is gone');
    // a member may leave by themself
    await alice.addMember(room.id, carol.user.id);
    expect(
      (
        await carol.fetch(`/api/chat/rooms/${room.id}/members/${carol.user.id}`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(204);
    // members cannot be added to public rooms
    const pub = await alice.createRoom('pub');
    await expectRefused(
      await alice.fetch(`/api/chat/rooms/${pub.id}/members/${bob.user.id}`, { method: 'PUT' }),
      403,
      'FORBIDDEN',
      'add to public',
    );
    await aliceWs.close();
  });

  it('impersonation is impossible: Bob asking for username=alice is Bob in messages, presence and typing', async () => {
    const room = await alice.createRoom('masks');
    const aliceWs = await alice.join(room.id);
    const fake = await bob.join(room.id, { username: 'alice' });
    const join = await aliceWs.next('join', (j) => j.username !== 'alice');
    expect(join.username).toBe('bob');
    aliceWs.send({ type: 'get_users' });
    const list = await aliceWs.next('user_list', (l) => l.users.length === 2);
    expect([...list.users].sort()).toEqual(['alice', 'bob']);
    const echo = await fake.say('hello from "alice"');
    expect(echo.username).toBe('bob');
    fake.send({ type: 'typing', is_typing: true });
    expect((await aliceWs.next('typing')).username).toBe('bob');
    const stored = await alice.history(room.id);
    expect(stored.map((m) => m.username)).toEqual(['bob']);
    // REST too: a username in the body is ignored
    const res = await bob.fetch(`/api/chat/rooms/${room.id}/messages`, {
      method: 'POST',
      json: { content: 'rest', username: 'alice' },
    });
    expect(((await res.json()) as Message).username).toBe('bob');
    await Promise.all([aliceWs.close(), fake.close()]);
  });

  it('DMs: a private room of two, one per pair, named after the other member, closed to others', async () => {
    const first = await alice.fetch('/api/chat/dms', {
      method: 'POST',
      json: { user_id: bob.user.id },
    });
    expect(first.status).toBe(201);
    const dm = (await first.json()) as Room;
    expect(dm).toMatchObject({ kind: 'dm', visibility: 'private', name: 'bob' });
    const again = await bob.fetch('/api/chat/dms', {
      method: 'POST',
      json: { user_id: alice.user.id },
    });
    expect(again.status).toBe(200);
    const seen = (await again.json()) as Room;
    expect(seen.id).toBe(dm.id);
    expect(seen.name).toBe('alice');
    const bobsList = await bob.json<Room[]>('/api/chat/rooms');
    expect(bobsList.find((r) => r.id === dm.id)?.name).toBe('alice');
    await expectRefused(
      await carol.fetch(`/api/chat/rooms/${dm.id}/messages`),
      404,
      'ROOM_NOT_FOUND',
      'dm read',
    );
    await expectRefused(
      await alice.fetch(`/api/chat/rooms/${dm.id}`, { method: 'PATCH', json: { name: 'x' } }),
      403,
      'FORBIDDEN',
      'dm rename',
    );
    await expectRefused(
      await alice.fetch(`/api/chat/rooms/${dm.id}/members/${carol.user.id}`, { method: 'PUT' }),
      403,
      'FORBIDDEN',
      'dm add',
    );
    const self = await alice.fetch('/api/chat/dms', {
      method: 'POST',
      json: { user_id: alice.user.id },
    });
    expect(self.status).toBe(404);
    const nobody = await alice.fetch('/api/chat/dms', {
      method: 'POST',
      json: { user_id: 'nope' },
    });
    expect(nobody.status).toBe(404);
  });

  it('REST send: stored and delivered like a WebSocket message, idempotent by client_id per sender', async () => {
    const room = await alice.createRoom('integrations');
    const listener = await alice.join(room.id);
    const { token } = await bob.json<{ token: string }>(
      '/api/auth/tokens',
      { method: 'POST', json: { name: 'bot' } },
      201,
    );
    const send = () =>
      fetch(`${server.url}/api/chat/rooms/${room.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ content: 'deploy done', client_id: 'deploy-1' }),
      });
    const first = await send();
    expect(first.status).toBe(201);
    const message = (await first.json()) as Message;
    expect(message).toMatchObject({
      username: 'bob',
      content: 'deploy done',
      client_id: 'deploy-1',
      seq: 1,
    });
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as Message).id).toBe(message.id);
    const live = await listener.next('message');
    expect(live.id).toBe(message.id);
    // the retry was not delivered again, and stored once
    await listener.say('after');
    expect(listener.pending('message')).toEqual([]);
    expect((await alice.history(room.id)).map((m) => m.content)).toEqual(['deploy done', 'after']);
    // another sender with the same client_id gets a message of their own
    const other = await alice.fetch(`/api/chat/rooms/${room.id}/messages`, {
      method: 'POST',
      json: { content: 'mine', client_id: 'deploy-1' },
    });
    expect(other.status).toBe(201);
    for (const body of [
      { content: '' },
      { content: 'a\u0000b' },
      {},
      { content: 'x', client_id: 'a\u200Bb' },
    ]) {
      const bad = await alice.fetch(`/api/chat/rooms/${room.id}/messages`, {
        method: 'POST',
        json: body,
      });
      expect(bad.status, JSON.stringify(body)).toBe(422);
    }
    await expectRefused(await alice.post('nope', 'x'), 404, 'ROOM_NOT_FOUND', 'unknown room');
    await listener.close();
  });
});

describe('open mode: unchanged, plus the REST message route', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const post = (roomId: string, body: unknown) =>
    fetch(`${server.url}/api/chat/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sends with a username in the body, delivered to WebSocket members, idempotent by client_id', async () => {
    const room = await createRoom(server.url, 'open');
    expect(room).toMatchObject({ owner_id: null, visibility: 'public', kind: 'room' });
    const ws = await TestClient.join(server.wsUrl, room.id, 'watcher');
    const first = await post(room.id, { username: 'hubot', content: 'hi', client_id: 'h-1' });
    expect(first.status).toBe(201);
    const message = (await first.json()) as Message;
    expect(message.username).toBe('hubot');
    expect((await ws.next('message')).id).toBe(message.id);
    const again = await post(room.id, { username: 'hubot', content: 'hi', client_id: 'h-1' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as Message).id).toBe(message.id);
    await ws.close();
  });

  it('needs a valid username there (422), and refuses private rooms (422)', async () => {
    const room = await createRoom(server.url, 'open2');
    for (const body of [{ content: 'x' }, { username: '  ', content: 'x' }]) {
      expect((await post(room.id, body)).status).toBe(422);
    }
    const priv = await fetch(`${server.url}/api/chat/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'p', visibility: 'private' }),
    });
    expect(priv.status).toBe(422);
  });

  it('has no account routes, and /api/auth/mode says open', async () => {
    expect(await (await fetch(`${server.url}/api/auth/mode`)).json()).toEqual({
      mode: 'open',
      first_run: false,
      signup_open: false,
    });
    expect((await fetch(`${server.url}/api/auth/me`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/admin/users`)).status).toBe(404);
  });
});
