// PostgreSQL unreachable: the server sits behind a proxy of the test's own,
// which cuts or stalls the connection. Sends fail fast with STORE_FAILED, the
// server stays up, and work resumes when the database is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { allMessages, createRoom } from '../support/api.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { requirePostgres, TEST_PG_URL, testSchema } from '../support/services.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

const run = await requirePostgres();
const TIMEOUT_MS = 1_000;

const schema = testSchema();
let proxy: FaultProxy;
let server: TestServer;
const clients: TestClient[] = [];

const readiness = async () => {
  const res = await fetch(`${server.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { store?: string } };
};

describe.runIf(run)('PostgreSQL cut off', () => {
  beforeAll(async () => {
    const target = new URL(TEST_PG_URL);
    proxy = await startFaultProxy(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${proxy.port}`;
    server = await startServer({
      databaseUrl: target.toString(),
      postgres: { schema: schema.name, poolSize: 3, timeoutMs: TIMEOUT_MS },
      ws: { ratePerSec: 0 },
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    await proxy?.close();
    await schema.drop();
  });

  it.each(['cut', 'stall'] as const)(
    '%s: sends get STORE_FAILED, not a hang; the server recovers when the database is back',
    async (fault) => {
      const room = await createRoom(server.url);
      const alice = await TestClient.join(server.wsUrl, room.id, 'alice');
      const bob = await TestClient.join(server.wsUrl, room.id, 'bob');
      clients.push(alice, bob);
      await alice.say('before');

      proxy[fault]();
      const started = Date.now();
      alice.send({ type: 'message', content: 'during' });
      // a pool connection times out, and a new one cannot be made: at most two timeouts
      const error = await alice.next('error', () => true, 2 * TIMEOUT_MS + 2_000);
      expect(error.code).toBe(ErrorCode.STORE_FAILED);
      expect(Date.now() - started).toBeLessThan(2 * TIMEOUT_MS + 2_000);
      expect(await readiness()).toEqual({
        status: 503,
        body: { status: 'unavailable', store: 'unreachable', bus: 'ok' },
      });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // REST fails with a clean 503, not a hang or a stack trace
      const list = await fetch(`${server.url}/api/chat/rooms`);
      expect(list.status).toBe(503);
      expect(await list.json()).toMatchObject({ code: ErrorCode.STORE_FAILED });
      // a new connection is refused with 1011, not left hanging
      const late = await TestClient.connect(server.wsUrl, room.id, 'late');
      expect((await late.closed).code).toBe(1011);

      proxy.restore();
      await eventually(async () => (await readiness()).status === 200, 10_000, 'ready again');
      const after = await alice.say('after');
      expect(await bob.next('message', (m) => m.id === after.id)).toEqual(after);
      expect((await allMessages(server.url, room.id)).map((m) => m.content)).toEqual([
        'before',
        'after',
      ]);
      await Promise.all([alice.close(), bob.close()]);
    },
  );

  it('counts store errors in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const errors = text
      .split('\n')
      .filter((l) => l.startsWith('parley_store_errors_total{'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    expect(errors).toBeGreaterThan(0);
  });
});
