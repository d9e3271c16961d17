// Startup failures that will happen again on every retry (the address cannot be
// listened on, the database cannot be written), turned into one line for a human
// and an exit code that tells the supervisor (cluster.ts) not to restart.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Exit codes (sysexits.h) of a server that cannot start; the supervisor does not retry them. */
export const ExitCode = {
  /** Invalid settings: every bad variable is listed. */
  CONFIG: 78,
  /** HOST/PORT cannot be listened on: in use, not permitted, no such address. */
  ADDRESS: 69,
  /** The SQLite database cannot be created, opened or written (permissions, read-only, full disk). */
  STORAGE: 73,
} as const;

export const PERMANENT_EXIT_CODES: ReadonlySet<number> = new Set(Object.values(ExitCode));

export interface StartupFailure {
  /** One line, no stack trace. */
  line: string;
  exitCode: number;
}

interface ErrorLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
}

const codeOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as ErrorLike).code === 'string'
    ? ((error as ErrorLike).code as string)
    : '';

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'is already in use; stop the other program or set PORT',
  EACCES: 'needs privileges this process does not have; use a port above 1023 or set PORT',
  EADDRNOTAVAIL: 'is not an address of this machine; set HOST',
  ENOTFOUND: 'is not a known host name; set HOST',
};

/** A failure of `listen(HOST, PORT)` that a retry will not fix, or undefined. */
export function listenFailure(
  error: unknown,
  host: string,
  port: number,
): StartupFailure | undefined {
  const code = codeOf(error);
  const reason = LISTEN_REASONS[code];
  if (!reason) return undefined;
  const where =
    code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? `HOST ${host}` : `${host}:${port}`;
  return { line: `Parley cannot start: ${where} ${reason} (${code})`, exitCode: ExitCode.ADDRESS };
}

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** SQLite failures a retry will not fix (not SQLITE_BUSY: another process may let go). */
const SQLITE_PERMANENT = /^SQLITE_(CANTOPEN|READONLY|PERM|NOTADB|CORRUPT)/;
const FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOENT', 'EISDIR']);

/**
 * A failure to create, open or write the SQLite database at `dbPath`, or undefined.
 * SQLite errors name no file, so an unwritable file or folder is looked up here.
 */
export function storageFailure(error: unknown, dbPath: string): StartupFailure | undefined {
  const code = codeOf(error);
  const sqlite = SQLITE_PERMANENT.test(code);
  const path = (error as ErrorLike | undefined)?.path;
  // A file-system error belongs here only if it is about the database or a folder above it.
  const ours =
    typeof path === 'string' &&
    (resolve(path) === resolve(dbPath) || resolve(dbPath).startsWith(`${resolve(path)}/`));
  if (!sqlite && !(FS_CODES.has(code) && ours) && !FULL.has(code)) return undefined;
  const fail = (why: string): StartupFailure => ({
    line: `Parley cannot start: the database ${dbPath} cannot be used: ${why} (${code}); fix it or set CHAT_DB_PATH`,
    exitCode: ExitCode.STORAGE,
  });
  if (FULL.has(code)) return fail('the disk is full');
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return fail('it is not a SQLite database, or is damaged');
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') return fail(`${String(path)} is not a folder`);
  return fail(unwritable(dbPath) ?? 'it cannot be opened or written');
}

/** Why the database file, or the folder it goes in, is not writable (SQLite needs both, for the WAL). */
function unwritable(dbPath: string): string | undefined {
  const file = resolve(dbPath);
  try {
    if (statSync(file).isDirectory()) return `${file} is a folder`;
    accessSync(file, constants.W_OK);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') return notWritable(error, file);
  }
  // The folder, or the nearest one above it that exists (folders are created on start).
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      accessSync(dir, constants.W_OK);
      return undefined;
    } catch (error) {
      if (codeOf(error) !== 'ENOENT' || dirname(dir) === dir) return notWritable(error, dir);
    }
  }
}

function notWritable(error: unknown, path: string): string {
  const code = codeOf(error);
  if (code === 'EROFS') return `${path} is on a read-only file system`;
  if (code === 'ENOTDIR') return `${path} is under a file, not a folder`;
  return `no permission to write ${path}`;
}
