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
