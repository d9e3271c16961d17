// Starts the real server in this process on an ephemeral port.
import { type App, type AppDeps, createApp } from '../../src/server/app.js';
import { type Config, type DeepPartial, testConfig } from '../../src/server/config.js';

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
  const config = testConfig({ publicDir: './dist/public', ...overrides });
  const app = await createApp(config, deps);
  const url = await app.listen();
  return { app, config, url, wsUrl: url.replace(/^http/, 'ws'), close: () => app.close() };
}
