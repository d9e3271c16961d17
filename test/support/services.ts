// Real PostgreSQL and Redis for tests: where they are, whether they answer, and
// throwaway namespaces (a schema, a key prefix) so parallel runs never collide.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Config, DeepPartial } from '../../src/server/config.js';

/** PostgreSQL for tests (trust auth). Override with CHAT_TEST_PG_URL. */
export const TEST_PG_URL =
  process.env.CHAT_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** Redis for tests. Override with CHAT_TEST_REDIS_URL. */
export const TEST_REDIS_URL = process.env.CHAT_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

export const randomName = (prefix: string): string => `${prefix}${randomBytes(5).toString('hex')}`;

/** True when PostgreSQL at `url` answers a query within a second. */
export async function pgAnswers(url = TEST_PG_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** True when Redis at `url` answers PING within a second. */
export async function redisAnswers(url = TEST_REDIS_URL): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Whether tests needing `name` should run. Present: true. Absent: a loud warning
 * and false (the caller skips with `describe.runIf`), except on CI (CI=true),
 * where a missing service is a failure, never a silent skip.
 */
export async function requireService(
  name: string,
  probe: () => Promise<boolean>,
): Promise<boolean> {
  if (await probe()) return true;
  const message = `${name} is not reachable: the tests that need it are SKIPPED`;
  if (process.env.CI === 'true') {
    throw new Error(`${name} is required on CI (CI=true) but is not reachable`);
  }
  console.warn(`\n${'!'.repeat(78)}\n!! ${message}\n${'!'.repeat(78)}\n`);
  return false;
}

export const requirePostgres = (): Promise<boolean> =>
  requireService(`PostgreSQL (${TEST_PG_URL})`, () => pgAnswers());
export const requireRedis = (): Promise<boolean> =>
  requireService(`Redis (${TEST_REDIS_URL})`, () => redisAnswers());

/** A fresh PostgreSQL schema for one test run; `drop` removes it and everything in it. */
export interface TestSchema {
  name: string;
  drop(): Promise<void>;
}

/** Drops a PostgreSQL schema and everything in it (also used by bench/cluster.ts and bench/scale.ts). */
export async function dropSchema(name: string, url = TEST_PG_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function testSchema(): TestSchema {
  const name = randomName('parley_test_');
  return { name, drop: () => dropSchema(name) };
}

/**
 * Drops many schemas a few at a time: each DROP ... CASCADE locks every object in
 * its schema until it commits, and a hundred at once exhaust PostgreSQL's shared
 * lock table ("out of shared memory" with the default max_locks_per_transaction).
 */
export async function dropSchemas(schemas: readonly TestSchema[], atOnce = 4): Promise<void> {
  const queue = [...schemas];
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) await s.drop();
  };
  await Promise.all(Array.from({ length: atOnce }, worker));
}

/** Deletes every Redis key under `prefix` (presence left behind by killed processes). */
export async function clearRedisPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The backends the in-process test server runs on, from CHAT_TEST_BACKEND. */
export type TestBackendName = 'sqlite-local' | 'postgres-redis';

export function testBackendName(): TestBackendName {
  const name = process.env.CHAT_TEST_BACKEND || 'sqlite-local';
  if (name !== 'sqlite-local' && name !== 'postgres-redis') {
    throw new Error(`CHAT_TEST_BACKEND must be sqlite-local or postgres-redis, got ${name}`);
  }
  return name;
}

export interface TestBackend {
  /** Config overrides selecting the backend (merged under the test's own). */
  overrides: DeepPartial<Config>;
  /** Removes what the server left in the services. */
  cleanup(): Promise<void>;
}

/** PostgreSQL on a fresh schema and Redis on a fresh prefix, removed by `cleanup`. */
export function postgresRedisBackend(): TestBackend {
  const schema = testSchema();
  const prefix = `${randomName('parley_test_')}:`;
  return {
    overrides: {
      databaseUrl: TEST_PG_URL,
      postgres: { schema: schema.name, poolSize: 4 },
      redisUrl: TEST_REDIS_URL,
      redis: { prefix },
    },
    async cleanup() {
      await Promise.all([schema.drop(), clearRedisPrefix(prefix)]);
    },
  };
}
