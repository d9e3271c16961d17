// Issue 11 in accounts mode: who may edit, delete and react (message-permissions.ts),
// over REST and WebSocket, as real accounts with real sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/rest.js';
import { type Session, team } from '../support/accounts.js';
import { startServer, type TestServer } from '../support/start-server.js';
import type { TestClient } from '../support/ws-client.js';

let server: TestServer;
let admin: Session;
let owner: Session;
let author: Session;
let other: Session;
beforeAll(async () => {
  server = await startServer({ auth: { mode: 'accounts' }, ws: { ratePerSec: 0 } });
  [admin, owner, author, other] = (await team(server.url, 'owner', 'author', 'other')) as [
    Session,
    Session,
    Session,
    Session,
  ];
});
afterAll(() => server.close());

const CHANGES = { features: 'changes' };

async function post(s: Session, roomId: string, content: string): Promise<Message> {
  const res = await s.post(roomId, content);
  if (res.status !== 201) throw new Error(`post: ${res.status}`);
  return (await res.json()) as Message;
}

async function refusal(c: TestClient, frame: Record<string, unknown>) {
  const clientId = `e-${Math.random().toString(36).slice(2)}`;
  c.send({ ...frame, client_id: clientId });
  return c.next('error', (e) => e.client_id === clientId);
}

describe('who may change a message (accounts)', () => {
  it('lets the author edit and delete, and nobody else edit', async () => {
    const room = await owner.createRoom(`edits-${Date.now()}`);
    const m = await post(author, room.id, 'draft');
    const path = `/api/chat/rooms/${room.id}/messages/${m.id}`;
    for (const s of [owner, admin, other]) {
      const res = await s.fetch(path, { method: 'PATCH', json: { content: 'not yours' } });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'FORBIDDEN' });
      const socket = await s.join(room.id, CHANGES);
      expect(await refusal(socket, { type: 'edit', message_id: m.id, content: 'x' })).toMatchObject(
        {
          code: 'FORBIDDEN',
        },
      );
      await socket.close();
    }
    // `username` in the body is ignored with accounts: it cannot claim authorship
    const claimed = await other.fetch(path, {
      method: 'PATCH',
      json: { content: 'claimed', username: 'author' },
    });
    expect(claimed.status).toBe(403);
    const edited = await author.json<Message>(path, {
      method: 'PATCH',
      json: { content: 'final' },
    });
    expect(edited.content).toBe('final');
    expect((await author.fetch(path, { method: 'DELETE' })).status).toBe(204);
    expect(await author.history(room.id)).toEqual([]);
  });

  it('lets the room owner and admins delete any message, and not another member', async () => {
    const room = await owner.createRoom(`moderation-${Date.now()}`);
    const [m1, m2] = [await post(author, room.id, 'one'), await post(author, room.id, 'two')];
    const path = (m: Message) => `/api/chat/rooms/${room.id}/messages/${m.id}`;
    const byOther = await other.fetch(`${path(m1)}?username=author`, { method: 'DELETE' });
    expect(byOther.status).toBe(403);
    expect(await byOther.json()).toMatchObject({ code: 'FORBIDDEN' });
    const otherSocket = await other.join(room.id, CHANGES);
    expect(await refusal(otherSocket, { type: 'delete', message_id: m1.id })).toMatchObject({
      code: 'FORBIDDEN',
    });
    // anyone who sees the room may react
    otherSocket.send({ type: 'react', message_id: m1.id, emoji: '👍', on: true, client_id: 'r1' });
    expect(await otherSocket.next('change', (c) => c.client_id === 'r1')).toMatchObject({
      kind: 'react',
      username: 'other',
    });

    expect((await owner.fetch(path(m1), { method: 'DELETE' })).status).toBe(204);
    const adminSocket = await admin.join(room.id, CHANGES);
    adminSocket.send({ type: 'delete', message_id: m2.id, client_id: 'd2' });
    expect(await adminSocket.next('change', (c) => c.client_id === 'd2')).toMatchObject({
      kind: 'delete',
      username: 'admin',
      message_id: m2.id,
    });
    await otherSocket.next('change', (c) => c.message_id === m2.id && c.kind === 'delete');
    expect(await author.history(room.id)).toEqual([]);
    await Promise.all([otherSocket.close(), adminSocket.close()]);
  });

  it('treats a private room’s messages as unknown to non-members', async () => {
    const room = await owner.createRoom(`private-${Date.now()}`, 'private');
    const m = await post(owner, room.id, 'members only');
    const res = await other.fetch(
      `/api/chat/rooms/${room.id}/messages/${m.id}/reactions/${encodeURIComponent('👀')}`,
      { method: 'PUT' },
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'ROOM_NOT_FOUND' });
    // admins too: a private room stays private
    const del = await admin.fetch(`/api/chat/rooms/${room.id}/messages/${m.id}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(404);
  });

  it('needs a session for every change', async () => {
    const room = await owner.createRoom(`anon-${Date.now()}`);
    const m = await post(owner, room.id, 'x');
    const res = await fetch(`${server.url}/api/chat/rooms/${room.id}/messages/${m.id}`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(401);
  });
});
