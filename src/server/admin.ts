// Database chores beside the server, with the server's own settings (CHAT_DB_PATH,
// DATABASE_URL, CHAT_PG_SCHEMA):
//   npm run backup -- FILE      consistent copy of the SQLite store, server running or not
//   npm run restore -- FILE     put a backup in place (server stopped), with a new epoch
//   npm run bump-epoch          new history epoch (after restoring PostgreSQL)
import { type Config, loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createStore } from './storage/index.js';
import { BackupError, backupSqlite, restoreSqlite } from './storage/sqlite-backup.js';

const USAGE = `usage: node dist/server/admin.js backup FILE | restore FILE | bump-epoch
  (npm run backup -- FILE, npm run restore -- FILE, npm run bump-epoch)`;

/** Exit codes: 0 done, 1 failed (nothing changed), 2 wrong use, 78 bad settings. */
const EXIT = { FAILED: 1, USAGE: 2, CONFIG: 78 } as const;

class UsageError extends Error {}

const POSTGRES_BACKUP = `DATABASE_URL is set: back up PostgreSQL with its own tools, e.g.
  pg_dump --format=custom --file=parley.dump "$DATABASE_URL"
(see "Backups" in the README).`;

const POSTGRES_RESTORE = `DATABASE_URL is set: restore PostgreSQL with its own tools, servers stopped, e.g.
  pg_restore --clean --if-exists --dbname="$DATABASE_URL" parley.dump
then give the history a new epoch before starting the servers:
  npm run bump-epoch`;

async function run(config: Config, args: readonly string[]): Promise<void> {
  const [command, file, ...rest] = args;
  const needsFile = command === 'backup' || command === 'restore';
  if (rest.length > 0 || (needsFile ? !file : file !== undefined)) throw new UsageError(USAGE);
  const postgres = config.backends.store === 'postgres';
  switch (command) {
    case 'backup': {
      if (postgres) throw new UsageError(POSTGRES_BACKUP);
      const s = await backupSqlite(config.dbPath, file as string);
      console.log(
        `Backed up ${config.dbPath} to ${file}: ${s.rooms} rooms, ${s.messages} messages` +
          (s.epoch ? `, epoch ${s.epoch}` : ''),
      );
      return;
    }
    case 'restore': {
      if (postgres) throw new UsageError(POSTGRES_RESTORE);
      const r = await restoreSqlite(file as string, config.dbPath);
      console.log(
        `Restored ${file} to ${config.dbPath}: ${r.rooms} rooms, ${r.messages} messages, ` +
          `new epoch ${r.newEpoch}.` +
          (r.previous ? `\nThe database it replaced is kept as ${r.previous}.` : ''),
      );
      return;
    }
    case 'bump-epoch': {
      const store = createStore(config);
      try {
        await store.init();
        const before = await store.epoch();
        const after = await store.renewEpoch();
        console.log(`History epoch changed from ${before} to ${after}.`);
      } finally {
        await store.close();
      }
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT.CONFIG);
    }
    throw error;
  }
  try {
    await run(config, process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(EXIT.USAGE);
    }
    console.error(error instanceof BackupError ? error.message : error);
    process.exit(EXIT.FAILED);
  }
}

void main();
