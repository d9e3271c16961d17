import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL from a worker thread with its own connection, so copying
 * pages into the database file (and its fsync) does not run inside a COMMIT on
 * the event loop. A PASSIVE checkpoint never blocks the writer; what it has not
 * copied yet, the next one does. The writer's own wal_autocheckpoint stays on,
 * at a larger size, as the bound on the WAL if this thread falls behind (it then
 * copies only what is left).
 *
 * After a delete the WAL is emptied too (`scrub`): the frames a deleted message
 * was written in stay in the WAL file after a PASSIVE checkpoint. Once one has
 * copied every frame, the worker says so (`onBackfilled`) and the writer's
 * connection truncates the WAL: nearly nothing is left to copy by then, and only
 * the writer may take the write lock, because a transaction of the writer that
 * has read and then writes gets SQLITE_BUSY at once, with no retry, if another
 * connection holds it. (PRAGMA secure_delete zeroed the words in the pages the
 * checkpoint copies into the file.)
 *
 * The worker runs inline source (no second bundle entry): the build ships one
 * file per program. The driver is resolved here and handed over by path.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('synchronous = ' + workerData.synchronous);
let scrub = false;
const run = () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (scrub && result.busy === 0 && result.log === result.checkpointed) {
      scrub = false;
      parentPort.postMessage('backfilled');
    }
  } catch {
    // busy (the writer is checkpointing itself) or closing: the next turn retries
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'scrub') {
    scrub = true;
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(
    path: string,
    synchronous: 'NORMAL' | 'FULL',
    intervalMs: number,
    onBackfilled: () => void,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(SOURCE, {
      eval: true,
      workerData: { path, synchronous, intervalMs, driver },
    });
    // A failing checkpointer only loses the offload: the writer still checkpoints.
    this.worker.on('error', () => {});
    this.worker.on('message', onBackfilled);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
  }

  /** Asks for `onBackfilled` once a checkpoint has copied every frame (see above). */
  scrub(): void {
    this.worker.postMessage('scrub');
  }

  /** Closes the worker's connection, so the writer's close can remove the WAL. */
  async stop(): Promise<void> {
    // Held open while it stops, or a process with nothing else left would exit
    // mid-close, before the writer's close folds the WAL into the file.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
