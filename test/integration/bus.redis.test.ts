import { randomUUID } from 'node:crypto';
import { afterAll, describe } from 'vitest';
import { RedisBus } from '../../src/server/bus/redis-bus.js';
import { busContract } from '../contracts/bus-contract.js';
import { clearRedisPrefix, randomName, requireRedis, TEST_REDIS_URL } from '../support/services.js';

const run = await requireRedis();
// A channel prefix of its own, so parallel runs never hear each other.
const prefix = randomName('parley_test_');
afterAll(() => (run ? clearRedisPrefix(prefix) : undefined));

describe.runIf(run)('Redis bus', () => {
  busContract('Redis', {
    shared: true,
    async make() {
      const bus = new RedisBus({ url: TEST_REDIS_URL, prefix: `${prefix}:`, nodeId: randomUUID() });
      await bus.init();
      return bus;
    },
  });
});
