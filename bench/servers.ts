// Starts and stops the servers under test as child processes, pinned to their own
// core where taskset exists, and measures them from the outside through /proc.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverExecArgv } from '../src/server/runtime-flags.js';
import { type BenchAccounts, seedAccounts } from './accounts.js';
import { BUILD_DIR } from './build.js';
import { processCpuMs, processRssBytes } from './proc.js';

/**
 * `parley-accounts` is the same Parley build with `CHAT_AUTH=accounts`, every client
 * signed in with its own account. `ceiling` is bare ws with Parley's write
 * coalescing: the same fan-out, nothing stored. `floor` is the ceiling storing each
 * message in SQLite with Parley's schema before sending it (baselines/floor-store.ts):
 * what storage itself costs (load cells only).
 */
export type ServerKind = 'parley' | 'parley-accounts' | 'ceiling' | 'floor' | 'bare' | 'sio';
export const SERVER_KINDS: readonly ServerKind[] = [
  'parley',
  'parley-accounts',
  'ceiling',
  'floor',
  'bare',
  'sio',
];
export const SERVER_LABEL: Record<ServerKind, string> = {
  parley: 'Parley',
  'parley-accounts': 'Parley accounts',
  ceiling: 'ceiling',
  floor: 'ceiling + SQLite',
  bare: 'bare ws',
  sio: 'Socket.IO',
};
export type ParleyKind = 'parley' | 'parley-accounts';
/** Both runs of Parley, open mode first. */
export const PARLEY_KINDS: readonly ParleyKind[] = ['parley', 'parley-accounts'];
export const isParley = (kind: ServerKind): kind is ParleyKind =>
  kind === 'parley' || kind === 'parley-accounts';

export interface Pinning {
  /** `taskset` CPU list for servers, or null when not pinning. */
  server: string | null;
  /** Nice value servers run at (and this process, when it could be raised), or null. */
  nice: number | null;
  /** CPU list this process (the load generator) was pinned to, or null. */
  loadGenerator: string | null;
  note: string;
}

/** Pins this process (every thread) to one core and reserves another for servers. */
export function setUpPinning(
  serverCpu: string,
  lgCpu: string,
  enabled: boolean,
  nice = -10,
): Pinning {
  // Other work on the machine (a test run, a browser) would otherwise take turns on
  // our cores: raise the priority of the load generator and servers where allowed.
  let niceValue: number | null = null;
  if (nice !== 0) {
    try {
      setPriority(process.pid, nice);
      niceValue = nice;
    } catch {
      // not permitted (not root): run at normal priority
    }
  }
  const niceNote = niceValue === null ? '' : `, nice ${niceValue}`;
  const cores = (() => {
    try {
      return Number(execFileSync('nproc').toString().trim());
    } catch {
      return 1;
    }
  })();
  const none = (why: string): Pinning => ({
    server: null,
    loadGenerator: null,
    nice: niceValue,
    note: `${why}${niceNote}`,
  });
  if (!enabled) return none('pinning disabled (--no-pin): nothing pinned');
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return none('taskset not found: nothing pinned');
  }
  if (cores < 2) return none(`${cores} core: nothing pinned`);
  execFileSync('taskset', ['-a', '-p', '-c', lgCpu, String(process.pid)], { stdio: 'ignore' });
  return {
    server: serverCpu,
    loadGenerator: lgCpu,
    nice: niceValue,
    note: `server on CPU ${serverCpu}, load generator on CPU ${lgCpu} (taskset)${niceNote}`,
  };
}

export interface RunningServer {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly dbPath: string | null;
  /** `parley-accounts`: the sessions of the admin and of every simulated user. */
  readonly accounts: BenchAccounts | null;
  cpuMs(): number;
  rssBytes(): number;
  output(): string;
  /** SIGTERM (Parley shuts down gracefully and closes its database), SIGKILL after 8 s. */
  stop(): Promise<void>;
  /** Removes the temporary database folder (after `stop`). */
  dispose(): void;
}

export interface StartOptions {
  pinning: Pinning;
  /** Parley only: an existing database file to serve (else a fresh one in a temp folder). */
  dbPath?: string;
  /**
   * `parley-accounts`: the usernames to create an account and a session for, in the
   * database before the server starts (bench/accounts.ts).
   */
  accounts?: readonly string[];
  env?: Record<string, string>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const SCRIPTS: Record<ServerKind, string> = {
  parley: `${BUILD_DIR}/parley.js`,
  'parley-accounts': `${BUILD_DIR}/parley.js`,
  ceiling: `${BUILD_DIR}/bare-ws-server.js`,
  floor: `${BUILD_DIR}/bare-ws-server.js`,
  bare: `${BUILD_DIR}/bare-ws-server.js`,
  sio: `${BUILD_DIR}/socketio-server.js`,
};

/** Every child still running, so an interrupted run leaves no server behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startServer(kind: ServerKind, opts: StartOptions): Promise<RunningServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  let tempDir: string | null = null;
  let dbPath: string | null = null;
  if (isParley(kind) || kind === 'floor') {
    if (opts.dbPath) dbPath = opts.dbPath;
    else {
      tempDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
      dbPath = join(tempDir, 'chat.db');
    }
  }
  // Written before the server opens the database, so no sign-up runs while it serves.
  let accounts: BenchAccounts | null = null;
  if (kind === 'parley-accounts' && dbPath) {
    try {
      accounts = await seedAccounts(dbPath, opts.accounts ?? []);
    } catch (error) {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw error;
    }
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: host,
    PORT: String(port),
    CHAT_LOG_LEVEL: 'warn',
    CHAT_WS_RATE: '0',
    CHAT_HTTP_RATE: '0',
    CHAT_WS_MAX_PER_IP: '0',
    ...(dbPath ? { CHAT_DB_PATH: dbPath } : {}),
    ...(kind === 'ceiling' || kind === 'floor' ? { BARE_WS_COALESCE: '1' } : {}),
    ...(kind === 'floor' && dbPath ? { BARE_WS_DB: dbPath } : {}),
    // Explicit, so a CHAT_AUTH in the caller's environment cannot swap the two.
    ...(isParley(kind) ? { CHAT_AUTH: kind === 'parley-accounts' ? 'accounts' : 'open' } : {}),
    ...opts.env,
  };
  // BENCH_PARLEY_SCRIPT runs another build of Parley (to compare two versions).
  const script = (isParley(kind) && process.env.BENCH_PARLEY_SCRIPT) || SCRIPTS[kind];
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the servers.
  const benchArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // Parley runs with the flags the supervisor gives its workers (src/server/runtime-flags.ts),
  // and so does the floor, so that the two differ only in what their code does.
  const nodeArgs =
    isParley(kind) || kind === 'floor'
      ? serverExecArgv(benchArgs, process.env.NODE_OPTIONS)
      : benchArgs;
  let argv = [process.execPath, ...nodeArgs, script];
  if (opts.pinning.server) argv = ['taskset', '-c', opts.pinning.server, ...argv];
  // Through nice(1), so every thread of the server starts at that priority.
  if (opts.pinning.nice !== null) argv = ['nice', '-n', String(opts.pinning.nice), ...argv];
  const [cmd, ...args] = argv as [string, ...string[]];
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => live.delete(child));

  const httpUrl = `http://${host}:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${kind} server exited early:\n${out}`);
    }
    try {
      const res = await fetch(`${httpUrl}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} server did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const pid = child.pid as number;
  return {
    kind,
    pid,
    host,
    port,
    httpUrl,
    wsUrl: `ws://${host}:${port}`,
    dbPath,
    accounts,
    cpuMs: () => processCpuMs(pid),
    rssBytes: () => processRssBytes(pid),
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(timer);
      }
    },
    dispose() {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
