// The process entry point: the only place that reads the environment, installs
// signal handlers and exits. `npm start` runs it under the supervisor (cluster.ts),
// which restarts it when it dies; it runs just as well on its own.
import { type App, createApp } from './app.js';
import { type Config, loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { ExitCode, listenFailure, type StartupFailure, storageFailure } from './startup-failure.js';

/** One line on stderr and an exit code the supervisor will not retry. */
function fail(failure: StartupFailure): never {
  console.error(failure.line);
  process.exit(failure.exitCode);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(ExitCode.CONFIG);
    }
    throw error;
  }
  let app: App;
  try {
    app = await createApp(config);
  } catch (error) {
    const failure = config.databaseUrl === '' ? storageFailure(error, config.dbPath) : undefined;
    if (failure) fail(failure);
    throw error;
  }
  let url: string;
  try {
    url = await app.listen();
  } catch (error) {
    const failure = listenFailure(error, config.host, config.port);
    if (failure) fail(failure);
    throw error;
  }
  app.log.info(
    {
      url,
      // never the PostgreSQL URL: it may hold a password
      db: config.backends.store === 'sqlite' ? config.dbPath : 'postgres',
      bus: config.backends.bus,
      presence: config.backends.presence,
    },
    `Parley listening on ${url}`,
  );
  if (config.auth.mode === 'open') {
    app.log.warn(
      'CHAT_AUTH=open: anyone who can reach this server can post under any name and delete any room. Set CHAT_AUTH=accounts for sign-in and permissions.',
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Under `npm run start:cluster` the primary asks over IPC (the worker may have
  // had the terminal's SIGINT already: then this is no second signal).
  process.on('message', (message) => {
    if (message === 'parley:shutdown' && !stopping) stop('SIGTERM');
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
