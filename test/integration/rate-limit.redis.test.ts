// REST rate limits in the scaled-out mode: counted once across processes through
// Redis, and never failing requests while Redis is away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { postgresRedisBackend, requirePostgres, requireRedis } from '../support/services.js';
import {
  type ServerPair,
  startServer,
  startServerPair,
  type TestServer,
} from '../support/start-server.js';

const available = (await requirePostgres()) && (await requireRedis());

describe.runIf(available)('REST rate limit across server processes', () => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    // 20 requests per window of 20 s per address, for both processes together
    pair = await startServerPair({ http: { ratePerSec: 1, rateBurst: 20 } });
    ({ a, b } = pair);
  });
  afterAll(() => pair?.close());

  it('allows the rate once in total, not once per process', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      for (const server of [a, b]) {
        statuses.push((await fetch(`${server.url}/api/chat/rooms`)).status);
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const res = await fetch(`${b.url}/api/chat/rooms`);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({
      detail: 'Too many requests; slow down',
      code: 'RATE_LIMITED',
    });
    // not the health checks
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
  });
});

describe.runIf(available)('REST rate limit while Redis is unreachable', () => {
  it('lets requests through rather than failing them', async () => {
    const backend = postgresRedisBackend();
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const server = await startServer({
      ...backend.overrides,
      redisUrl: deadRedis,
      http: { ratePerSec: 1, rateBurst: 2 },
    });
    try {
      for (let i = 0; i < 5; i++) {
        expect((await fetch(`${server.url}/api/chat/rooms`)).status).toBe(200);
      }
    } finally {
      await server.close();
      await backend.cleanup();
    }
  });
});
