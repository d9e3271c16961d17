// `npm start` runs the supervisor (dist/server/cluster.js) with one worker on
// SQLite: a worker killed with -9 in the middle of a conversation is replaced at
// once, clients resume with `since` and resend what was not echoed, and every
// message lands exactly once, in seq order, for everyone. SIGTERM still stops
// it gracefully. A client away for longer than the server replays (a slow
// restart on a busy machine, while the others resend what they queued) catches
// up over REST after its `resync`, as a client keeping its whole timeline must.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/server/runtime-flags.js';
import { allMessages, createRoom } from '../support/api.js';
import { freePort } from '../support/free-port.js';
import { ResumingClient } from '../support/resuming-client.js';
import { eventually, sleep } from '../support/ws-client.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-start-'));
let supervisor: ChildProcess | undefined;
let output = '';
const clients: ResumingClient[] = [];

interface LogLine {
  msg?: string;
  pid?: number;
  restartInMs?: number;
}
const logLines = (): LogLine[] =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
const workerPids = () =>
  logLines()
    .filter((l) => l.msg === 'worker started')
    .map((l) => l.pid as number);

/** What `npm start` runs once the build is done. */
function startEntry(): string {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  const match = /&& node (\S+)$/.exec(pkg.scripts.start);
  expect(match, `npm start is "${pkg.scripts.start}"`).not.toBeNull();
  return join(process.cwd(), (match as RegExpExecArray)[1] as string);
}

describe('npm start', () => {
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (supervisor && supervisor.exitCode === null) supervisor.kill('SIGKILL');
    for (const pid of workerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts a worker killed with -9 at once; clients resume and nothing is lost or doubled', async () => {
    expect(startEntry()).toBe(join(process.cwd(), 'dist/server/cluster.js'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dbPath = join(dir, 'chat.db');
    // No CHAT_CLUSTER_WORKERS, DATABASE_URL or REDIS_URL: what `npm start` gets by default.
    const env: Record<string, string | undefined> = {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      CHAT_DB_PATH: dbPath,
      CHAT_WS_RATE: '0',
      CHAT_LOG_LEVEL: 'info',
    };
    for (const name of ['CHAT_CLUSTER_WORKERS', 'DATABASE_URL', 'REDIS_URL']) delete env[name];
    const proc = spawn(process.execPath, [startEntry()], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    supervisor = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await eventually(
      () => logLines().filter((l) => l.msg?.startsWith('Parley listening')).length === 1,
      15_000,
      `the worker listening; got:\n${output}`,
    );
    expect(workerPids()).toHaveLength(1);
    // The worker runs with the Node flags the supervisor gives it (src/server/runtime-flags.ts).
    const workerArgs = execFileSync('ps', ['-o', 'args=', '-p', String(workerPids()[0])], {
      encoding: 'utf8',
    }).split(' ');
    for (const flag of SERVER_NODE_FLAGS) expect(workerArgs).toContain(flag);

    const room = await createRoom(url);
    const wsUrl = url.replace(/^http/, 'ws');
    for (const name of ['alice', 'bob', 'carol']) {
      clients.push(await ResumingClient.open(wsUrl, room.id, name));
    }
    const allAcked = () => clients.every((c) => c.outbox.size === 0);

    // A conversation before the crash.
    for (let i = 0; i < 10; i++) for (const c of clients) c.send(`before ${i}`);
    await eventually(allAcked, 10_000, 'the first messages echoed');

    // Every client keeps sending; the worker dies under them at some point.
    let streaming = true;
    const streams = clients.map(async (c) => {
      for (let i = 0; streaming; i++) {
        c.send(`stream ${i}`);
        await sleep(3);
      }
    });
    const ackedBefore = () => clients.reduce((n, c) => n + c.acked.size, 0);
    await eventually(() => ackedBefore() >= 90, 10_000, 'a stream of echoed messages');
    const [victim] = workerPids();
    const confirmedAtKill = clients.flatMap((c) => [...c.acked.values()]);
    process.kill(victim as number, 'SIGKILL');

    await eventually(() => workerPids().length === 2, 10_000, `a new worker; got:\n${output}`);
    await eventually(
      () => clients.every((c) => c.connections >= 2 && c.isOpen),
      20_000,
      'every client reconnected',
    );
    const died = logLines().find((l) => l.msg === 'worker died; restarting');
    expect(died?.restartInMs, 'the first restart waits for nothing').toBe(0);
    // Sends after the resume, then everyone settles.
    await sleep(100);
    streaming = false;
    await Promise.all(streams);
    await eventually(allAcked, 15_000, 'every message echoed after the restart');

    const stored = await allMessages(url, room.id);
    // seq is gap-free, and each send was stored exactly once.
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
    const sent = clients.flatMap((c) => c.sent);
    expect(stored.map((m) => m.client_id).sort()).toEqual([...sent].sort());
    // Everything confirmed before the kill is there, unchanged.
    const byId = new Map(stored.map((m) => [m.id, m]));
    for (const m of confirmedAtKill) expect(byId.get(m.id)).toEqual(m);
    // Each client saw exactly the stored history, in order, once, and lost its connection once.
    await eventually(
      () => clients.every((c) => c.lastSeq === stored.length),
      10_000,
      'every client caught up',
    );
    // How each client's connections went, for a failure message.
    const story = clients.map((c) => c.story()).join('\n');
    for (const c of clients) {
      expect(c.problems, `${c.username}: ${c.problems.join('; ')}\n${story}`).toEqual([]);
      expect(c.timeline).toEqual(stored);
      expect(c.drops, c.username).toHaveLength(1);
      expect(c.stalls, `${c.username}: reconnect attempts left unanswered`).toBe(0);
      for (const [clientId, m] of c.acked) expect(byId.get(m.id)?.client_id).toBe(clientId);
    }

    // SIGTERM: the worker shuts down gracefully (1001 to clients, a checkpointed
    // database) and the supervisor exits 0 without restarting it.
    for (const c of clients) c.stopReconnecting();
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    await eventually(() => clients.every((c) => c.drops.length === 2), 5_000, 'clients closed');
    for (const c of clients) expect(c.drops[1]).toBe(1001);
    expect(workerPids()).toHaveLength(2);
    for (const pid of workerPids()) expect(() => process.kill(pid, 0)).toThrow();
    const wal = `${dbPath}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const db = new Database(dbPath, { readonly: true });
    const count = db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
    db.close();
    expect(count.n).toBe(stored.length);
  }, 90_000);
});
