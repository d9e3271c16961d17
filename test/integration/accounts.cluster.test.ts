// Accounts across server processes (PostgreSQL + Redis): a session revoked, an
// account deactivated or a member removed on one process closes the sockets
// held by another, at once, through the bus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/error-codes.js';
import { invite, Session, signup } from '../support/accounts.js';
import { requirePostgres, requireRedis } from '../support/services.js';
import { type ServerPair, startServerPair, type TestServer } from '../support/start-server.js';

const available = (await requirePostgres()) && (await requireRedis());

describe.runIf(available)('accounts across two server processes', () => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  let admin: Session;
  beforeAll(async () => {
    pair = await startServerPair({ auth: { mode: 'accounts' } });
    ({ a, b } = pair);
    admin = await signup(a.url, 'root');
  });
  afterAll(async () => {
    await pair?.close();
  });

  /** The same account, signed in on process b (its cookie works on both). */
  const onB = (s: Session): Session => new Session(b.url, s.user, s.cookie);

  it('deactivating on one process closes the account’s sockets on the other (4003)', async () => {
    const carol = await signup(a.url, 'carol', await invite(admin));
    const room = await admin.createRoom('lobby');
    const socketOnB = await onB(carol).join(room.id);
    const bystander = await onB(admin).join(room.id);
    const res = await admin.fetch(`/api/admin/users/${carol.user.id}`, {
      method: 'PATCH',
      json: { active: false },
    });
    expect(res.status).toBe(200);
    expect((await socketOnB.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect((await onB(carol).fetch('/api/auth/me')).status).toBe(401);
    await bystander.say('still here');
    await bystander.close();
  });

  it('removing a member on one process closes their socket in that room on the other (4011)', async () => {
    const dan = await signup(a.url, 'dan', await invite(admin));
    const secret = await admin.createRoom('secret', 'private');
    await admin.addMember(secret.id, dan.user.id);
    const socketOnB = await onB(dan).join(secret.id);
    const res = await admin.fetch(`/api/chat/rooms/${secret.id}/members/${dan.user.id}`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(204);
    expect((await socketOnB.closed).code).toBe(CloseCode.REMOVED_FROM_ROOM);
    expect((await onB(dan).fetch(`/api/chat/rooms/${secret.id}/messages`)).status).toBe(404);
  });
});
