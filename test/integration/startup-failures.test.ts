// A server that cannot start says why in one line (no stack trace) and exits
// with a code the supervisor does not retry: the address cannot be listened on
// (69), the database cannot be created, opened or written (73). Run on the plain
// worker (main.js) and under the supervisor (cluster.js, what `npm start` runs),
// which must then exit too instead of restarting forever.
//
// And a disk that fills up while the server runs fails only the sends being
// written (STORE_FAILED); the server stays up and a retry succeeds later.
//
// Read-only file systems and a full disk need a mount: the server runs in a
// mount namespace of its own (`unshare -m`) on a tmpfs, so nothing is left
// mounted. Permissions need a user that is not root: as root, the server runs as
// `nobody`. Cases that cannot be set up here are skipped with a loud warning.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { allMessages, createRoom } from '../support/api.js';
import { freePort } from '../support/free-port.js';
import { eventually, TestClient } from '../support/ws-client.js';

const ENTRIES = { worker: 'dist/server/main.js', supervisor: 'dist/server/cluster.js' } as const;
type Entry = keyof typeof ENTRIES;

const dir = mkdtempSync(join(tmpdir(), 'parley-startfail-'));
chmodSync(dir, 0o755); // so that `nobody` can reach the folders below
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(dir, `case${n++}`);
  mkdirSync(d);
  return d;
};

interface Outcome {
  code: number | null;
  stderr: string;
  stdout: string;
}

interface RunOptions {
  /** Shell commands run as root in the server's own mount namespace before it starts. */
  mounts?: string;
  /** Run the server as this user and group id. */
  uid?: number;
}

/** Starts the server and waits for it to exit (it must, on its own). */
function runToExit(entry: Entry, env: Record<string, string>, opts: RunOptions = {}) {
  const node = [process.execPath, join(process.cwd(), ENTRIES[entry])];
  const [cmd, ...args] = opts.mounts
    ? ['unshare', '-m', 'sh', '-c', `${opts.mounts} && exec "$0" "$@"`, ...node]
    : node;
  const child = spawn(cmd as string, args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CHAT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise<Outcome>((resolve) => {
    // A server that does not exit is the failure this file is about: end it, report it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** Exactly one line on stderr, matching `pattern`, and no stack trace anywhere. */
function expectOneLine(out: Outcome, pattern: RegExp): void {
  const lines = out.stderr.trimEnd().split('\n');
  expect(lines, out.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^Parley cannot start: /);
  expect(lines[0]).toMatch(pattern);
  expect(`${out.stdout}${out.stderr}`).not.toMatch(/\n\s+at /);
}

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

function warn(what: string): void {
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPED: ${what}\n${'!'.repeat(78)}\n`);
}

/** Whether this process may create mount namespaces and mount a tmpfs in them. */
const canMount = (() => {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${dir}`]);
  return r.status === 0;
})();
if (!canMount) warn('read-only file system and full disk cases: cannot mount here (needs root)');

/** Whether the server can run as `nobody` (root only, and the worktree readable by all). */
const canDropToNobody =
  isRoot &&
  spawnSync(
    process.execPath,
    ['-e', `require('node:fs').accessSync(${JSON.stringify(join(process.cwd(), ENTRIES.worker))})`],
    { uid: NOBODY, gid: NOBODY },
  ).status === 0;
/** Run options under which permissions apply (root ignores them). */
const unprivileged: RunOptions | undefined = !isRoot
  ? {}
  : canDropToNobody
    ? { uid: NOBODY }
    : undefined;
if (!unprivileged) warn('permission cases: running as root and cannot run the server as nobody');

describe.each(['worker', 'supervisor'] as const)('the %s cannot start', (entry) => {
  let busy: Server | undefined;
  afterAll(() => busy?.close());

  it('when the port is in use: one line, exit 69', async () => {
    const port = await freePort();
    busy = createServer();
    await new Promise<void>((resolve) => busy?.listen(port, '127.0.0.1', resolve));
    const out = await runToExit(entry, {
      PORT: String(port),
      CHAT_DB_PATH: join(freshDir(), 'chat.db'),
    });
    expect(out.code, out.stderr).toBe(69);
    expectOneLine(out, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*EADDRINUSE`));
  });

  it('when HOST is not an address of this machine: one line, exit 69', async () => {
    const out = await runToExit(entry, {
      HOST: '192.0.2.1', // TEST-NET-1: never local
      CHAT_DB_PATH: join(freshDir(), 'chat.db'),
    });
    expect(out.code, out.stderr).toBe(69);
    expectOneLine(out, /HOST 192\.0\.2\.1 is not an address of this machine.*EADDRNOTAVAIL/);
  });

  it.runIf(unprivileged)('when the port needs privileges: one line, exit 69', async () => {
    const d = freshDir();
    chmodSync(d, 0o777);
    const out = await runToExit(
      entry,
      { PORT: '80', CHAT_DB_PATH: join(d, 'chat.db') },
      unprivileged,
    );
    expect(out.code, out.stderr).toBe(69);
    expectOneLine(out, /127\.0\.0\.1:80 needs privileges.*EACCES/);
  });

  it('when the database path runs through a file: one line, exit 73', async () => {
    const file = join(freshDir(), 'file');
    writeFileSync(file, 'not a folder');
    const out = await runToExit(entry, { CHAT_DB_PATH: join(file, 'chat.db') });
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, /is not a folder/);
  });

  it('when the database path is a folder: one line, exit 73', async () => {
    const d = freshDir();
    const out = await runToExit(entry, { CHAT_DB_PATH: d });
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, new RegExp(`${d} is a folder.*SQLITE_CANTOPEN`));
  });

  it('when the database file is not a database: one line, exit 73', async () => {
    const file = join(freshDir(), 'chat.db');
    writeFileSync(file, 'x'.repeat(4096));
    const out = await runToExit(entry, { CHAT_DB_PATH: file });
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, /is not a SQLite database.*SQLITE_NOTADB/);
  });

  it.runIf(unprivileged)('when the data folder is not writable: one line, exit 73', async () => {
    const d = freshDir();
    chmodSync(d, 0o555);
    const out = await runToExit(entry, { CHAT_DB_PATH: join(d, 'chat.db') }, unprivileged);
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, new RegExp(`no permission to write ${d}`));
  });

  it.runIf(unprivileged)('when a folder to create is not writable: one line, exit 73', async () => {
    const d = freshDir();
    chmodSync(d, 0o555);
    const out = await runToExit(entry, { CHAT_DB_PATH: join(d, 'data', 'chat.db') }, unprivileged);
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, new RegExp(`no permission to write ${d}.*EACCES`));
  });

  it.runIf(canMount)('on a read-only file system: one line, exit 73', async () => {
    const d = freshDir();
    const out = await runToExit(
      entry,
      { CHAT_DB_PATH: join(d, 'data', 'chat.db') },
      { mounts: `mount -t tmpfs -o ro,size=64k tmpfs ${d}` },
    );
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, new RegExp(`${d} is on a read-only file system`));
  });

  it.runIf(canMount)(
    'with an existing database on a read-only file system: one line, exit 73',
    async () => {
      const d = freshDir();
      const dbPath = join(d, 'chat.db');
      const db = new Database(dbPath);
      db.pragma('journal_mode = WAL');
      db.close();
      const out = await runToExit(
        entry,
        { CHAT_DB_PATH: dbPath },
        { mounts: `mount --bind ${d} ${d} && mount -o remount,bind,ro ${d}` },
      );
      expect(out.code, out.stderr).toBe(73);
      expectOneLine(out, new RegExp(`${dbPath} is on a read-only file system`));
    },
  );

  it.runIf(canMount)('on a full disk: one line, exit 73', async () => {
    const d = freshDir();
    const out = await runToExit(
      entry,
      { CHAT_DB_PATH: join(d, 'chat.db') },
      {
        mounts: `mount -t tmpfs -o size=64k tmpfs ${d} && (cat /dev/zero > ${d}/filler 2>/dev/null; true)`,
      },
    );
    expect(out.code, out.stderr).toBe(73);
    expectOneLine(out, /the disk is full.*SQLITE_FULL/);
  });
});

describe.runIf(canMount)('a disk that fills up while the supervisor runs', () => {
  it('fails only the sends being written (STORE_FAILED); the server stays up, a retry lands once', async () => {
    const d = freshDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const node = [process.execPath, join(process.cwd(), ENTRIES.supervisor)];
    const mounts = `mount -t tmpfs -o size=1m tmpfs ${d}`;
    const child = spawn('unshare', ['-m', 'sh', '-c', `${mounts} && exec "$0" "$@"`, ...node], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        CHAT_DB_PATH: join(d, 'chat.db'),
        CHAT_WS_RATE: '0',
        CHAT_LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    const clients: TestClient[] = [];
    try {
      await eventually(
        () =>
          fetch(`${url}/healthz`).then(
            (r) => r.ok,
            () => false,
          ),
        15_000,
        'the server up',
      );
      const room = await createRoom(url);
      const wsUrl = url.replace(/^http/, 'ws');
      const alice = await TestClient.join(wsUrl, room.id, 'alice');
      const bob = await TestClient.join(wsUrl, room.id, 'bob');
      clients.push(alice, bob);
      await alice.say('before', 'c-before');

      // Fill the server's tmpfs, seen through its mount namespace.
      const filler = `/proc/${child.pid}/root${d}/filler`;
      try {
        for (;;) appendFileSync(filler, Buffer.alloc(64 * 1024));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      const big = 'x'.repeat(15_000);
      const failed: string[] = [];
      for (let i = 0; i < 200 && failed.length === 0; i++) {
        const id = `c-${i}`;
        alice.send({ type: 'message', content: big, client_id: id });
        // The echo or the error, whichever comes (read from the record: a pending
        // `next` for the other one would swallow a later frame).
        const settled = () =>
          alice.received.find(
            (f) =>
              (f.type === 'message' || f.type === 'error') &&
              (f.data as { client_id?: string }).client_id === id,
          );
        await eventually(() => settled() !== undefined, 5_000, `an answer to ${id}`);
        const frame = settled();
        const outcome = frame?.type === 'error' ? frame.data.code : 'stored';
        if (outcome !== 'stored') {
          expect(outcome).toBe('STORE_FAILED');
          failed.push(id);
        }
      }
      expect(failed, 'a send failed on the full disk').toHaveLength(1);
      expect((await fetch(`${url}/healthz`)).ok).toBe(true);
      expect(bob.ws.readyState).toBe(bob.ws.OPEN);

      // Room again: the same client_id is stored once and reaches everyone.
      unlinkSync(filler);
      const retried = await alice.say(big, failed[0]);
      await bob.next('message', (m) => m.id === retried.id);
      const stored = await allMessages(url, room.id);
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
      expect(stored.filter((m) => m.client_id === failed[0])).toHaveLength(1);
      expect(new Set(stored.map((m) => m.client_id)).size).toBe(stored.length);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
