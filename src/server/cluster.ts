// `npm run start:cluster`: several server processes on one machine, with
// node:cluster. The second entry point besides main.ts (which each worker runs):
// it reads the environment, forks, restarts crashed workers and stops them on a
// signal. The workers share rooms, messages and presence through PostgreSQL
// (DATABASE_URL) and Redis (REDIS_URL), exactly as separate machines would.
import cluster, { type Worker } from 'node:cluster';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './util/logger.js';

/** A worker that crashes is restarted after this delay, doubling up to a minute while it keeps crashing. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 60_000;
/** A worker that ran this long counts as healthy again. */
const HEALTHY_AFTER_MS = 30_000;

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
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

function main(): void {
  const config = configOrExit();
  const log = createLogger(config.logLevel, 'primary', config.logFormat);
  const { workers, ports } = config.cluster;
  cluster.setupPrimary({
    exec: join(dirname(fileURLToPath(import.meta.url)), 'main.js'),
  });

  const slots = new Map<number, { index: number; startedAt: number }>();
  const delays = new Array<number>(workers).fill(RESTART_MIN_MS);
  let stopping = false;

  const fork = (index: number): Worker => {
    const port = ports === 'spread' ? config.port + index : config.port;
    const worker = cluster.fork({ PORT: String(port) });
    slots.set(worker.id, { index, startedAt: Date.now() });
    log.info({ worker: index, pid: worker.process.pid, port }, 'worker started');
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.get(worker.id);
    slots.delete(worker.id);
    if (!slot) return;
    if (stopping) {
      if (slots.size === 0) process.exit(0);
      return;
    }
    const ranFor = Date.now() - slot.startedAt;
    if (ranFor > HEALTHY_AFTER_MS) delays[slot.index] = RESTART_MIN_MS;
    const delay = delays[slot.index] ?? RESTART_MIN_MS;
    delays[slot.index] = Math.min(delay * 2, RESTART_MAX_MS);
    log.error({ worker: slot.index, code, signal, restartInMs: delay }, 'worker died; restarting');
    setTimeout(() => {
      if (!stopping) fork(slot.index);
    }, delay);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: killing workers');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, workers: slots.size }, 'stopping workers');
    if (slots.size === 0) process.exit(0);
    // Each worker shuts down gracefully (see main.ts). Not by signal: after a
    // Ctrl-C in a terminal the workers have their own SIGINT already.
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send('parley:shutdown');
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  for (let i = 0; i < workers; i++) fork(i);
}

main();
