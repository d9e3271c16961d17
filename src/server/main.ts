// The process entry point: the only place that reads the environment, installs
// signal handlers and exits.
import { createApp } from './app.js';
import { type Config, loadConfig } from './config.js';
import { ConfigError } from './errors.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const app = await createApp(config);
  const url = await app.listen();
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
