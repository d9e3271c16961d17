// The supervisor, run by `npm start` (one worker, SQLite is fine) and
// `npm run start:cluster` (several workers on one machine, with node:cluster).
// The second entry point besides main.ts (which each worker runs): it reads the
// environment, forks, restarts a worker that dies (at once, then with backoff
// while it keeps dying) and stops them on a signal. Several workers share rooms,
// messages and presence through PostgreSQL (DATABASE_URL) and Redis (REDIS_URL),
// exactly as separate machines would.
import cluster, { type Worker } from 'node:cluster';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { HEALTHY_AFTER_MS, restartDelayMs } from './restart-backoff.js';
import { serverExecArgv } from './runtime-flags.js';
import { ExitCode, PERMANENT_EXIT_CODES } from './startup-failure.js';
import { createLogger } from './util/logger.js';

function configOrExit(): Config {
  try {
    const config = loadConfig(process.env);
    const problems: string[] = [];
    const { store, bus, presence } = config.backends;
    if (
      config.cluster.workers > 1 &&
      (store !== 'postgres' || bus !== 'redis' || presence !== 'redis')
    ) {
      problems.push(
        'CHAT_CLUSTER_WORKERS > 1 needs DATABASE_URL and REDIS_URL: processes share rooms, ' +
          'messages and presence only through PostgreSQL and Redis',
      );
    }
    if (config.cluster.ports === 'spread' && config.port + config.cluster.workers - 1 > 65535) {
      problems.push('PORT + CHAT_CLUSTER_WORKERS - 1 must be at most 65535');
    }
    if (config.cluster.ports === 'spread' && config.port === 0) {
      problems.push('CHAT_CLUSTER_PORTS=spread needs a fixed PORT');
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(ExitCode.CONFIG);
    }
    throw error;
  }
}

function main(): void {
  const config = configOrExit();
  const log = createLogger(config.logLevel, 'primary', config.logFormat);
  const { workers, ports } = config.cluster;
  // One worker accepts its connections itself. With round-robin the primary
  // accepts them and hands each over; one accepted just as the worker dies is
  // handed to the dead worker and never answered, so its client waits for its
  // own timeout instead of reconnecting at once.
  cluster.schedulingPolicy = workers === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
  cluster.setupPrimary({
    exec: join(dirname(fileURLToPath(import.meta.url)), 'main.js'),
    execArgv: serverExecArgv(process.execArgv, process.env.NODE_OPTIONS),
  });

  const slots = new Map<number, { index: number; startedAt: number }>();
  /** Per worker slot: crashes in a row, each within HEALTHY_AFTER_MS of its start. */
  const crashes = new Array<number>(workers).fill(0);
  let stopping = false;
  /** The supervisor's exit code once every worker is gone. */
  let exitCode = 0;
  /** Workers that are serving (and so listen for the shutdown request). */
  const listening = new Set<number>();

  const fork = (index: number): Worker => {
    const port = ports === 'spread' ? config.port + index : config.port;
    const worker = cluster.fork({ PORT: String(port) });
    slots.set(worker.id, { index, startedAt: Date.now() });
    log.info({ worker: index, pid: worker.process.pid, port }, 'worker started');
    return worker;
  };

  /** Stops every worker; the exit handler exits once the last one is gone. */
  const shutdown = () => {
    stopping = true;
    if (slots.size === 0) process.exit(exitCode);
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker) continue;
      // A listening worker shuts down gracefully when asked (see main.ts); not by
      // signal, since after a Ctrl-C in a terminal it has its own SIGINT already.
      // One still starting has nothing to lose and would not hear the request yet.
      if (listening.has(worker.id) && worker.isConnected()) worker.send('parley:shutdown');
      else worker.process.kill('SIGTERM');
    }
  };

  cluster.on('listening', (worker) => listening.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    const slot = slots.get(worker.id);
    slots.delete(worker.id);
    if (!slot) return;
    if (stopping) {
      if (slots.size === 0) process.exit(exitCode);
      return;
    }
    if (code !== null && PERMANENT_EXIT_CODES.has(code)) {
      // The worker printed why (one line on the shared stderr); a restart would
      // fail the same way, so stop everything with its exit code.
      log.error({ worker: slot.index, code }, 'worker cannot start; not restarting');
      exitCode = code;
      shutdown();
      return;
    }
    const ranFor = Date.now() - slot.startedAt;
    const count = ranFor > HEALTHY_AFTER_MS ? 1 : (crashes[slot.index] ?? 0) + 1;
    crashes[slot.index] = count;
    const delay = restartDelayMs(count);
    log.error({ worker: slot.index, code, signal, restartInMs: delay }, 'worker died; restarting');
    const restart = () => {
      if (!stopping) fork(slot.index);
    };
    if (delay === 0) restart();
    else setTimeout(restart, delay);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: killing workers');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    log.info({ signal, workers: slots.size }, 'stopping workers');
    shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  for (let i = 0; i < workers; i++) fork(i);
}

main();
