// A store that fails answers the same way whichever backend it is: 503
// STORE_FAILED over REST, STORE_FAILED error frames over WebSocket, and a count
// in parley_store_errors_total. Here the store is closed under a running server
// (SQLite, and PostgreSQL in the postgres+redis run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Room } from '../../src/protocol/rest.js';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { TestClient } from '../support/ws-client.js';

let server: TestServer;
let room: Room;
let alice: TestClient;
beforeAll(async () => {
  server = await startServer({ ws: { ratePerSec: 0 } });
  room = await createRoom(server.url);
  alice = await TestClient.join(server.wsUrl, room.id, 'alice');
  await server.app.store.close();
});
afterAll(async () => {
  await alice.close();
  await server.close();
});

const storeErrors = async () =>
  (await server.app.metrics.storeErrors.get()).values.reduce((n, v) => n + v.value, 0);

describe('a failing store', () => {
  it('answers REST calls with 503 STORE_FAILED and counts the failure', async () => {
    const before = await storeErrors();
    for (const path of ['/api/chat/rooms', `/api/chat/rooms/${room.id}/messages`]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(503);
      expect((await res.json()).code).toBe(ErrorCode.STORE_FAILED);
    }
    expect(await storeErrors()).toBe(before + 2);
  });

  it('answers a send with a STORE_FAILED error frame carrying the client_id', async () => {
    alice.send({ type: 'message', content: 'hello', client_id: 'c-1' });
    const error = await alice.next('error');
    expect(error).toMatchObject({ code: ErrorCode.STORE_FAILED, client_id: 'c-1' });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
