// /ws/workspace under the same inbound limits as /ws/chat: a flood is throttled,
// then closed with 4129 only after every stored message was echoed; the address
// limit counts workspace sockets too.
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/protocol/error-codes.js';
import { LocalBus } from '../../src/server/bus/local-bus.js';
import { allMessages, createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { WorkspaceClient } from '../support/workspace-client.js';
import { eventually, sendAtEchoPace, TestClient } from '../support/ws-client.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('workspace socket limits', () => {
  it('closes a flooding workspace socket with 4129, after echoing every message it stored', async () => {
    server = await startServer({ ws: { ratePerSec: 50, rateBurst: 10, throttleMaxMs: 500 } });
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const flooder = await WorkspaceClient.open(server.wsUrl, 'flooder');
    await flooder.subscribe(a.id);
    await flooder.subscribe(b.id);
    const sent = 5_000;
    for (let i = 0; i < sent; i++) {
      flooder.send({ type: 'message', room_id: i % 2 ? a.id : b.id, content: `flood ${i}` });
    }
    expect((await flooder.closed).code).toBe(CloseCode.RATE_LIMITED);
    for (const room of [a, b]) {
      const echoed = flooder.all('message', room.id).map((f) => f.data.id);
      const stored = (await allMessages(server.url, room.id)).map((m) => m.id);
      expect(echoed).toEqual(stored);
    }
    expect(flooder.all('message').length).toBeGreaterThan(10);
    expect(flooder.all('message').length).toBeLessThan(sent);
    expect(flooder.all('error')).toEqual([]);
    expect(server.app.gateway.queuedFrames()).toBe(0);
  }, 40_000);

  it('drops a workspace socket that stops reading (slow consumer), the rooms keep their pace', async () => {
    server = await startServer({ ws: { ratePerSec: 0, slowConsumerBytes: 256 * 1024 } });
    const [a, b] = await Promise.all([createRoom(server.url), createRoom(server.url)]);
    const sender = await TestClient.join(server.wsUrl, a.id, 'sender');
    const slow = await WorkspaceClient.open(server.wsUrl, 'slow');
    await slow.subscribe(a.id);
    await slow.subscribe(b.id);
    slow.ws.pause();
    const content = 'x'.repeat(8_000);
    const total = 1_500; // ~12 MB: more than the kernel buffers hold
    // At the pace of the sender's echoes: only the client that stops reading falls behind.
    await sendAtEchoPace(sender, total, content);
    // Only the sender is left.
    await eventually(() => server?.app.gateway.openSockets() === 1, 20_000, 'slow dropped');
    slow.ws.terminate();
    await sender.close();
  }, 40_000);

  it('counts workspace sockets against CHAT_WS_MAX_PER_IP (4130)', async () => {
    server = await startServer({ ws: { maxConnectionsPerIp: 1 } });
    const first = await WorkspaceClient.open(server.wsUrl, 'alice');
    const second = await WorkspaceClient.connect(server.wsUrl, 'alice');
    expect((await second.closed).code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
    await first.close();
  });
});

describe('workspace sockets at shutdown', () => {
  it('closes them with 1001', async () => {
    server = await startServer();
    const room = await createRoom(server.url);
    const ws = await WorkspaceClient.open(server.wsUrl, 'alice');
    await ws.subscribe(room.id, { presence: true });
    await server.app.close();
    expect((await ws.closed).code).toBe(CloseCode.GOING_AWAY);
  });
});

describe('workspace churn', () => {
  it('leaves nothing behind: hub rooms, presence, bus topics, addresses', async () => {
    const bus = new LocalBus();
    server = await startServer({ ws: { maxConnectionsPerIp: 0, ratePerSec: 0 } }, { bus });
    const rooms = await Promise.all([1, 2, 3].map(() => createRoom(server?.url as string)));
    for (let batch = 0; batch < 5; batch++) {
      const sockets = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          WorkspaceClient.open(server?.wsUrl as string, `user${i % 4}`),
        ),
      );
      await Promise.all(
        sockets.map(async (ws, i) => {
          for (const [n, room] of rooms.entries())
            await ws.subscribe(room.id, { presence: n === i % 3 });
        }),
      );
      await Promise.all(
        sockets.map((ws, i) => {
          if (i % 2 === 0) return ws.close();
          ws.ws.terminate();
          return ws.closed;
        }),
      );
    }
    const app = server.app;
    await eventually(() => app.gateway.openSockets() === 0, 5_000, 'sockets closed');
    await eventually(() => app.hub.roomCount() === 0, 5_000, 'hub rooms gone');
    await eventually(() => app.presence.roomCount() === 0, 5_000, 'presence gone');
    expect(bus.topicCount()).toBe(0);
    expect(app.gateway.trackedAddresses()).toBe(0);
  }, 60_000);
});
