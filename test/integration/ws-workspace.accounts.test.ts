// /ws/workspace in accounts mode: identity from the session, private rooms only
// for their members (subscribing and the pushed room list), removal and session
// end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode, ErrorCode } from '../../src/protocol/error-codes.js';
import type { Room } from '../../src/protocol/rest.js';
import { login, type Session, team } from '../support/accounts.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';

let server: TestServer;
let admin: Session;
let carol: Session;
let dan: Session;
beforeAll(async () => {
  server = await startServer({ auth: { mode: 'accounts' }, ws: { ratePerSec: 0 } });
  [admin, carol, dan] = (await team(server.url, 'carol', 'dan')) as [Session, Session, Session];
});
afterAll(() => server?.close());

const open = (s: Session) =>
  WorkspaceClient.open(server.wsUrl, 'decoy', { headers: { cookie: s.cookie } });

/** The HTTP status of a workspace upgrade (101 when it opens). */
function upgradeStatus(headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/ws/workspace?username=x`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', reject);
  });
}

describe('/ws/workspace with accounts', () => {
  it('needs a session (401 without), and is the account whatever `username` says', async () => {
    expect(await upgradeStatus()).toBe(401);
    expect(await upgradeStatus({ cookie: 'parley_session=nope' })).toBe(401);
    const ws = await open(carol);
    expect(ws.received[0]?.data.username).toBe('carol');
    await ws.close();
  });

  it('pushes a private room only to its members; others cannot subscribe to it', async () => {
    const [adminWs, carolWs, danWs] = await Promise.all([open(admin), open(carol), open(dan)]);
    const secret = await carol.createRoom('secret', 'private');
    expect((await carolWs.next('room_created')).id).toBe(secret.id);
    const lobby = await carol.createRoom('lobby');
    // The next room the others hear of is the public one.
    for (const ws of [adminWs, danWs]) expect((await ws.next('room_created')).id).toBe(lobby.id);
    expect((await carolWs.next('room_created')).id).toBe(lobby.id);

    danWs.send({ type: 'subscribe', room_id: secret.id });
    expect((await danWs.error(secret.id)).data.code).toBe(ErrorCode.ROOM_NOT_FOUND);

    // Renaming: to those who may see it.
    await carol.json<Room>(`/api/chat/rooms/${secret.id}`, {
      method: 'PATCH',
      json: { name: 'still secret' },
    });
    expect(await carolWs.next('room_updated')).toMatchObject({
      id: secret.id,
      name: 'still secret',
    });
    await carol.json<Room>(`/api/chat/rooms/${lobby.id}`, {
      method: 'PATCH',
      json: { name: 'hall' },
    });
    for (const ws of [adminWs, danWs, carolWs]) {
      expect(await ws.next('room_updated')).toMatchObject({ id: lobby.id, name: 'hall' });
    }
    expect(danWs.all('room_updated').concat(adminWs.all('room_updated'))).toHaveLength(2);

    // Deleting the private room: its members hear of it, the others do not.
    await carol.addMember(secret.id, dan.user.id);
    const res = await carol.fetch(`/api/chat/rooms/${secret.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await carolWs.next('room_removed')).toEqual({ room_id: secret.id });
    expect(await danWs.next('room_removed')).toEqual({ room_id: secret.id });
    const del = await carol.fetch(`/api/chat/rooms/${lobby.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await adminWs.next('room_removed')).toEqual({ room_id: lobby.id });
    expect(adminWs.all('room_removed')).toHaveLength(1);
    await Promise.all([adminWs.close(), carolWs.close(), danWs.close()]);
  });

  it('removal from a private room ends that subscription (`removed`); the socket stays', async () => {
    const secret = await carol.createRoom('members only', 'private');
    const lobby = await carol.createRoom('open to all');
    await carol.addMember(secret.id, dan.user.id);
    const ws = await open(dan);
    await ws.subscribe(secret.id);
    await ws.subscribe(lobby.id);
    const res = await carol.fetch(`/api/chat/rooms/${secret.id}/members/${dan.user.id}`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(204);
    expect(await ws.next('unsubscribed')).toEqual({ room_id: secret.id, reason: 'removed' });
    ws.send({ type: 'message', room_id: secret.id, content: 'let me in' });
    expect((await ws.error(secret.id)).data.code).toBe(ErrorCode.NOT_SUBSCRIBED);
    ws.send({ type: 'subscribe', room_id: secret.id });
    expect((await ws.error(secret.id)).data.code).toBe(ErrorCode.ROOM_NOT_FOUND);
    expect((await ws.say(lobby.id, 'still here')).username).toBe('dan');
    await ws.close();
  });

  it('closes with 4003 when the session ends (logout)', async () => {
    const again = await login(server.url, 'carol');
    const ws = await open(again);
    const out = await again.fetch('/api/auth/logout', { method: 'POST' });
    expect(out.status).toBeLessThan(300);
    expect((await ws.closed).code).toBe(CloseCode.SESSION_ENDED);
  });
});
