// Runs the built server (dist/server/main.js) as a child process, for tests that
// kill it (-9 or SIGTERM) and bring it back on the same port and data file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface SpawnedServer {
  readonly port: number;
  readonly url: string;
  readonly dbPath: string;
  /** Output of the current process, for debugging a failed test. */
  readonly output: () => string;
  readonly pid: () => number | undefined;
  /** The current process has not exited (it may still be starting or stopping). */
  readonly running: () => boolean;
  /** Stops the process with `signal` and resolves with its exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
  /** Starts the process again with the same port, env and data file. */
  start(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  dbPath?: string;
  port?: number;
}

const MAIN = join(process.cwd(), 'dist/server/main.js');

export async function spawnServer(opts: SpawnOptions = {}): Promise<SpawnedServer> {
  const port = opts.port ?? (await freePort());
  const dbPath = opts.dbPath ?? join(mkdtempSync(join(tmpdir(), 'parley-')), 'chat.db');
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let out = '';

  async function start(): Promise<void> {
    out = '';
    child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        CHAT_DB_PATH: dbPath,
        CHAT_LOG_LEVEL: 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const proc = child;
    // Generous: a loaded 2-core CI machine can take several seconds to start Node.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`server exited early:\n${out}`);
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`server did not become healthy:\n${out}`);
  }

  function stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      return Promise.resolve(proc?.exitCode ?? proc?.signalCode ?? null);
    }
    return new Promise((resolve) => {
      proc.once('exit', (code, sig) => resolve(code ?? sig));
      proc.kill(signal);
    });
  }

  await start();
  return {
    port,
    url,
    dbPath,
    output: () => out,
    pid: () => child?.pid,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    stop,
    start,
  };
}
