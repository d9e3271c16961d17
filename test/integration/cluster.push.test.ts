// Web Push on two processes sharing PostgreSQL and Redis: one key pair for the
// deployment (in the database), a reader in the room on the other process is
// not pushed to (presence through Redis), and a message is pushed once, by the
// process that stored it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushKey } from '../../src/protocol/push.js';
import type { Room } from '../../src/protocol/rest.js';
import { postMessage } from '../support/api.js';
import { FakePushService } from '../support/fake-push-service.js';
import {
  postgresRedisBackend,
  requirePostgres,
  requireRedis,
  type TestBackend,
} from '../support/services.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

const available = (await requirePostgres()) && (await requireRedis());

describe.runIf(available)('web push on two processes', () => {
  let service: FakePushService;
  let backend: TestBackend;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    service = await new FakePushService().start();
    backend = postgresRedisBackend();
    a = await startServer(backend.overrides, { pushAgent: service.agent });
    b = await startServer(backend.overrides, { pushAgent: service.agent });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backend?.cleanup();
    await service?.close();
  });

  const settled = () => Promise.all([a, b].map((s) => s.app.push?.idle()));
  const post = (server: TestServer, roomId: string, content: string) =>
    postMessage(server.url, roomId, 'alice', content);

  it('one key, nothing for a reader in the room elsewhere, one push per message', async () => {
    const keys = await Promise.all(
      [a, b].map(async (s) => {
        const res = await fetch(`${s.url}/api/chat/push/key`);
        return ((await res.json()) as PushKey).public_key;
      }),
    );
    expect(keys[1]).toBe(keys[0]);

    const res = await fetch(`${a.url}/api/chat/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'push-cluster' }),
    });
    const room = (await res.json()) as Room;
    const bob = service.browser();
    const saved = await fetch(`${b.url}/api/chat/push/subscriptions?username=bob`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bob.subscription()),
    });
    expect(saved.status).toBe(204);

    const watching = await TestClient.join(b.wsUrl, room.id, 'bob');
    await post(a, room.id, '@bob you are here');
    await settled();
    expect(service.to(bob)).toEqual([]);

    await watching.close();
    await eventually(
      async () => !(await a.app.presence.list(room.id)).users.includes('bob'),
      10_000,
      'bob to leave everywhere',
    );
    await post(a, room.id, '@bob stored on a');
    await post(b, room.id, '@bob stored on b');
    await settled();
    const excerpts = service
      .to(bob)
      .map((p) => (JSON.parse(bob.decrypt(p.body)) as { excerpt: string }).excerpt)
      .sort();
    expect(excerpts).toEqual(['@bob stored on a', '@bob stored on b']);
  });
});
