// Backup and restore of the SQLite store. A backup uses SQLite's online backup API
// (a consistent snapshot while the server keeps writing; a file copy of a database
// in WAL mode is not one), and a restore replaces the file of a stopped server and
// gives the history a new epoch, so clients that resume learn it was replaced.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';

/** What a backup file holds. */
export interface BackupSummary {
  rooms: number;
  messages: number;
  /** Null for a backup taken before epochs existed (schema version < 3). */
  epoch: string | null;
}

export interface RestoreResult extends BackupSummary {
  /** The epoch the restored database now has. */
  newEpoch: string;
  /** Where the database that was replaced now is, if there was one. */
  previous: string | null;
}

/** A restore or backup that cannot go ahead; the message says why, for a person. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/**
 * Pages per backup step: all of them. One step is one read transaction, so the copy
 * is a snapshot; in small steps, every write by the server would restart the copy,
 * which under steady traffic might never finish. In WAL mode the server's writes go
 * on meanwhile.
 */
const ALL_PAGES = 0x7fffffff;

const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

function removeWithSideFiles(path: string): void {
  for (const suffix of ['', ...SIDE_FILES]) rmSync(path + suffix, { force: true });
}

/**
 * Checks that `path` is an intact Parley database and says what it holds. It opens
 * the file for writing (a WAL file left beside it is merged), so only call it on
 * a file of our own.
 */
function inspectDatabase(path: string): BackupSummary {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (error) {
    throw new BackupError(`cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${path} is damaged: ${String(check)}`);
    const tables = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((t) => t.name),
    );
    if (!tables.has('rooms') || !tables.has('messages')) {
      throw new BackupError(`${path} is not a Parley database (no rooms and messages tables)`);
    }
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const epoch = tables.has('parley_meta')
      ? ((
          db.prepare("SELECT value FROM parley_meta WHERE key = 'epoch'").get() as
            | { value: string }
            | undefined
        )?.value ?? null)
      : null;
    return { rooms: count('rooms'), messages: count('messages'), epoch };
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${path} is not a usable database: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * Whether another process has the database open (a running server). Taking an
 * exclusive lock fails while any other connection holds the file; POSIX locks, so
 * this is reliable on local file systems, not on every network file system.
 */
export function databaseInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return true;
    throw error;
  } finally {
    // Being the only connection, closing also checkpoints the WAL into the file.
    db.close();
  }
}

/**
 * Copies the live database at `dbPath` to `dest` with the online backup API,
 * consistent as of the moment the copy starts, while the server goes on writing.
 * `dest` is replaced only once the copy is complete and checked.
 */
export async function backupSqlite(dbPath: string, dest: string): Promise<BackupSummary> {
  if (dbPath === ':memory:') throw new BackupError('an in-memory database cannot be backed up');
  if (!existsSync(dbPath)) throw new BackupError(`no database at ${dbPath}`);
  if (resolve(dest) === resolve(dbPath)) {
    throw new BackupError('the backup file must not be the database itself');
  }
  const partial = `${dest}.partial`;
  removeWithSideFiles(partial);
  // Not read-only: a read-only connection could not remove the -wal and -shm files it
  // makes when the server is not running. It writes nothing.
  const source = new Database(dbPath, { fileMustExist: true, timeout: 5_000 });
  try {
    await source.backup(partial, { progress: () => ALL_PAGES });
  } catch (error) {
    removeWithSideFiles(partial);
    throw new BackupError(`backup failed: ${(error as Error).message}`);
  } finally {
    source.close();
  }
  let summary: BackupSummary;
  try {
    // The copy is in WAL mode like its source; a backup should be one self-contained file.
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    summary = inspectDatabase(partial);
  } catch (error) {
    removeWithSideFiles(partial);
    throw error;
  }
  renameSync(partial, dest);
  return summary;
}

/**
 * Puts the backup `src` in place of the database at `dbPath`, which no process may
 * have open. The backup is migrated to the current schema and gets a new epoch; the
 * replaced database is kept beside it as `<dbPath>.pre-restore`.
 */
export async function restoreSqlite(src: string, dbPath: string): Promise<RestoreResult> {
  if (dbPath === ':memory:') throw new BackupError('cannot restore into an in-memory database');
  if (resolve(src) === resolve(dbPath)) {
    throw new BackupError('the backup file must not be the database itself');
  }
  if (!existsSync(src)) throw new BackupError(`no backup at ${src}`);
  if (databaseInUse(dbPath)) {
    throw new BackupError(`${dbPath} is open in another process: stop the server before restoring`);
  }
  // Everything happens on a copy beside the database: the backup itself is never
  // written to, and the final rename is atomic (same directory, same file system).
  const staging = `${dbPath}.restoring`;
  mkdirSync(dirname(dbPath), { recursive: true });
  removeWithSideFiles(staging);
  copyFileSync(src, staging);
  let summary: BackupSummary;
  let newEpoch: string;
  try {
    summary = inspectDatabase(staging);
  } catch (error) {
    removeWithSideFiles(staging);
    throw error instanceof BackupError
      ? new BackupError(error.message.replaceAll(staging, src))
      : error;
  }
  try {
    const store = new SqliteStore({ path: staging, synchronous: 'full' });
    await store.init();
    try {
      newEpoch = await store.renewEpoch();
    } finally {
      await store.close();
    }
  } catch (error) {
    removeWithSideFiles(staging);
    throw new BackupError(`cannot prepare the backup: ${(error as Error).message}`);
  }
  let previous: string | null = null;
  if (existsSync(dbPath)) {
    previous = `${dbPath}.pre-restore`;
    removeWithSideFiles(previous);
    renameSync(dbPath, previous);
  }
  // A -wal or -shm left over from the old file would be applied to the new one.
  for (const suffix of SIDE_FILES) rmSync(dbPath + suffix, { force: true });
  renameSync(staging, dbPath);
  return { ...summary, newEpoch, previous };
}
