// Starts the real server in this process on an ephemeral port.
import { type App, type AppDeps, createApp } from '../../src/server/app.js';
import { type Config, type DeepPartial, testConfig } from '../../src/server/config.js';
import { postgresRedisBackend, testBackendName } from './services.js';

export interface TestServer {
  app: App;
  config: Config;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startServer(
  overrides: DeepPartial<Config> = {},
  deps: AppDeps = {},
): Promise<TestServer> {
  // CHAT_TEST_BACKEND=postgres-redis runs the same tests on PostgreSQL and Redis
  // (the `postgres+redis` project in vitest.config.ts).
  const backend = testBackendName() === 'postgres-redis' ? postgresRedisBackend() : null;
  const config = testConfig({
    publicDir: './dist/public',
    ...backend?.overrides,
    ...overrides,
    // Test files create rooms by the dozen; the room-creation limit has its own test.
    http: { roomCreatePerMin: 0, ...overrides.http },
  });
  const app = await createApp(config, deps);
  const url = await app.listen();
  return {
    app,
    config,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    async close() {
      await app.close();
      await backend?.cleanup();
    },
  };
}

/** Two server processes (apps) sharing one fresh PostgreSQL schema and Redis prefix. */
export interface ServerPair {
  a: TestServer;
  b: TestServer;
  close(): Promise<void>;
}

/**
 * Starts two apps on one shared PostgreSQL + Redis backend, as two processes of
 * one deployment would run; `close` stops both and removes what they left.
 * Callers check `requirePostgres()` and `requireRedis()` first.
 */
export async function startServerPair(overrides: DeepPartial<Config> = {}): Promise<ServerPair> {
  const backend = postgresRedisBackend();
  const config = { ...backend.overrides, ...overrides };
  const a = await startServer(config);
  const b = await startServer(config);
  return {
    a,
    b,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await backend.cleanup();
    },
  };
}
