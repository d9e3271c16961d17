import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/server/bus/bus-events.js';
import { RedisBus } from '../../src/server/bus/redis-bus.js';
import { busContract } from '../contracts/bus-contract.js';
import { clearRedisPrefix, randomName, requireRedis, TEST_REDIS_URL } from '../support/services.js';

const run = await requireRedis();
// A channel prefix of its own, so parallel runs never hear each other.
const prefix = randomName('parley_test_');
afterAll(() => (run ? clearRedisPrefix(prefix) : undefined));

const makeBus = async (nodeId: string = randomUUID()) => {
  const bus = new RedisBus({ url: TEST_REDIS_URL, prefix: `${prefix}:`, nodeId });
  await bus.init();
  return bus;
};

describe.runIf(run)('Redis bus', () => {
  busContract('Redis', { shared: true, make: () => makeBus() });

  const message = (roomId: string, seq: number): BusEvent => ({
    type: 'message',
    roomId,
    message: {
      id: `m${seq}`,
      room_id: roomId,
      username: 'ann',
      content: `hello "${seq}" \u2028`,
      timestamp: '2026-12-07T00:00:00.000Z',
      seq,
    },
  });

  it('publishes {"v":1,"origin","event"} as JSON, the format every version reads', async () => {
    // A node id that JSON has to escape, to show the envelope is still exact JSON.
    const nodeId = `node "${randomUUID()}"\\`;
    const bus = await makeBus(nodeId);
    const raw = new Redis(TEST_REDIS_URL);
    try {
      const roomId = randomUUID();
      const heard: string[] = [];
      raw.on('message', (_channel: string, payload: string) => heard.push(payload));
      await raw.subscribe(`${prefix}:room:${roomId}`);
      await bus.publish(message(roomId, 1));
      while (heard.length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(heard).toEqual([JSON.stringify({ v: 1, origin: nodeId, event: message(roomId, 1) })]);
    } finally {
      raw.disconnect();
      await bus.close();
    }
  });

  it("drops its own echo from Redis and delivers another process's events once each", async () => {
    const [a, b] = await Promise.all([makeBus(), makeBus()]);
    try {
      const roomId = randomUUID();
      const inA: BusEvent[] = [];
      a.subscribe(roomId, (e) => inA.push(e));
      await a.subscribed(roomId);
      await a.publish(message(roomId, 1));
      // Redis delivers to a connection in publish order: once b's event reaches a,
      // a's own echo of seq 1 has come back and been dropped.
      await b.publish(message(roomId, 2));
      while (inA.length < 2) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      expect(inA).toEqual([message(roomId, 1), message(roomId, 2)]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
