import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/server/bus/local-bus.js';
import { createRoom } from '../support/api.js';
import { startServer, type TestServer } from '../support/start-server.js';
import { eventually, sleep, TestClient } from '../support/ws-client.js';

let server: TestServer;
let bus: LocalBus;
beforeAll(async () => {
  bus = new LocalBus();
  server = await startServer({ ws: { maxConnectionsPerIp: 0, ratePerSec: 0 } }, { bus });
});
afterAll(() => server.close());

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('churn', () => {
  it('leaves nothing behind after 1000 connect/disconnect cycles', async () => {
    const rooms = await Promise.all([
      createRoom(server.url),
      createRoom(server.url),
      createRoom(server.url),
    ]);
    const watcher = await TestClient.join(server.wsUrl, (rooms[0] as { id: string }).id, 'watcher');
    const timersBefore = timers();
    const rssBefore = process.memoryUsage().rss;
    for (let batch = 0; batch < 20; batch++) {
      const clients = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          TestClient.join(server.wsUrl, (rooms[i % 3] as { id: string }).id, `user${i % 7}`),
        ),
      );
      // half leave politely, half vanish
      await Promise.all(
        clients.map((c, i) => {
          if (i % 2 === 0) return c.close();
          c.ws.terminate();
          return c.closed;
        }),
      );
    }
    await eventually(() => server.app.gateway.openSockets() === 1, 5_000, 'sockets closed');
    await sleep(50);
    expect(server.app.presence.roomCount()).toBe(1);
    expect((await server.app.presence.list((rooms[0] as { id: string }).id)).users).toEqual([
      'watcher',
    ]);
    expect(server.app.hub.roomCount()).toBe(1);
    expect(bus.topicCount()).toBe(1);
    expect(server.app.gateway.trackedAddresses()).toBe(1);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    // the watcher saw every join matched by a leave
    const joins = watcher.received.filter((f) => f.type === 'join').length;
    const leaves = watcher.received.filter((f) => f.type === 'leave').length;
    expect(joins - 1).toBe(leaves);
    await watcher.close();
    await eventually(() => server.app.gateway.openSockets() === 0, 2_000, 'watcher closed');
    expect(server.app.presence.roomCount()).toBe(0);
    expect(server.app.hub.roomCount()).toBe(0);
    expect(bus.topicCount()).toBe(0);
    expect(server.app.gateway.trackedAddresses()).toBe(0);
    // memory does not grow with the number of cycles (generous bound: no leak of ~1000 connections' state)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
