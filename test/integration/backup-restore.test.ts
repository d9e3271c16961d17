// `npm run backup`, `restore` and `bump-epoch` (dist/server/admin.js) against a real
// server process: a backup taken while clients keep sending holds every message
// acknowledged before it began; a restore replaces the history under a new epoch,
// and clients resuming from the old history get `resync`, never silence.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/server/storage/postgres-store.js';
import { allMessages, createRoom, historyEpoch } from '../support/api.js';
import {
  dropSchemas,
  requirePostgres,
  TEST_PG_URL,
  type TestSchema,
  testSchema,
} from '../support/services.js';
import { type SpawnedServer, spawnServer } from '../support/spawn-server.js';
import { eventually, TestClient } from '../support/ws-client.js';

const ADMIN = join(process.cwd(), 'dist/server/admin.js');

interface AdminRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/server/admin.js ...args` (what the npm scripts run). */
function admin(args: string[], env: Record<string, string>): Promise<AdminRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ADMIN, ...args], {
      env: { ...process.env, DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Acked {
  id: string;
  roomId: string;
  seq: number;
  content: string;
  /** Sent after the backup command had finished: it cannot be in the backup. */
  sentAfterBackup: boolean;
}

let server: SpawnedServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.stop('SIGKILL');
  server = undefined;
});

// Each case runs several child processes one after another: slow on a loaded machine.
describe('backup and restore of the SQLite store', { timeout: 60_000 }, () => {
  it('backs up under load, restores into a stopped server, and clients learn history changed', async () => {
    server = await spawnServer({ env: { CHAT_WS_RATE: '0' } });
    const s = server;
    const env = { CHAT_DB_PATH: s.dbPath };
    const rooms = await Promise.all([createRoom(s.url), createRoom(s.url)]);
    const wsUrl = s.url.replace(/^http/, 'ws');

    // Four clients in two rooms, each sending as fast as its echoes come back.
    const acked: Acked[] = [];
    let backupDone = false;
    let stop = false;
    const senders = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        TestClient.join(wsUrl, (rooms[i % 2] as { id: string }).id, `sender${i}`),
      ),
    );
    clients.push(...senders);
    const loops = senders.map(async (c, i) => {
      for (let n = 0; !stop; n++) {
        const sentAfterBackup = backupDone;
        const m = await c.say(`s${i} #${n}`, `s${i}-${n}`);
        acked.push({
          id: m.id,
          roomId: m.room_id,
          seq: m.seq,
          content: m.content,
          sentAfterBackup,
        });
      }
    });

    await eventually(() => acked.length >= 200, 15_000, '200 acknowledged messages');
    // Everything acknowledged before the backup begins must be in it.
    const before = [...acked];
    const backupFile = join(s.dbPath, '..', 'backup.db');
    const backup = await admin(['backup', backupFile], env);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    backupDone = true;
    // Some messages sent after the backup, so the restore visibly turns back time.
    await eventually(
      () =>
        rooms.every(
          (r) => acked.filter((m) => m.sentAfterBackup && m.roomId === r.id).length >= 10,
        ),
      15_000,
      'messages after the backup in both rooms',
    );

    // A restore into the running server is refused, and changes nothing.
    const refused = await admin(['restore', backupFile], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/stop the server/);
    stop = true;
    await Promise.all(loops);
    const after = [...acked];
    expect(await senders[0]?.say('still serving')).toBeTruthy();

    const oldEpoch = await historyEpoch(s.url, (rooms[0] as { id: string }).id);
    const oldLatest = Math.max(...after.map((m) => m.seq));
    await Promise.all(clients.splice(0).map((c) => c.close()));
    expect(await s.stop('SIGTERM')).toBe(0);

    const restored = await admin(['restore', backupFile], env);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(existsSync(`${s.dbPath}.pre-restore`)).toBe(true);
    await s.start();

    for (const room of rooms) {
      const history = await allMessages(s.url, room.id);
      const byId = new Map(history.map((m) => [m.id, m]));
      // every message acknowledged before the backup began, unchanged
      for (const m of before.filter((b) => b.roomId === room.id)) {
        expect(byId.get(m.id)).toMatchObject({ seq: m.seq, content: m.content });
      }
      // none sent after it finished
      for (const m of after.filter((a) => a.roomId === room.id && a.sentAfterBackup)) {
        expect(byId.has(m.id)).toBe(false);
      }
      expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
    }

    const roomId = (rooms[0] as { id: string }).id;
    const newEpoch = await historyEpoch(s.url, roomId);
    expect(newEpoch).not.toBe(oldEpoch);
    const latest = (await allMessages(s.url, roomId)).length;
    expect(latest).toBeLessThan(oldLatest);

    // A client of the old history resumes: resync with the new epoch, then live messages.
    const resumer = await TestClient.join(wsUrl, roomId, 'resumer', {
      since: oldLatest,
      epoch: oldEpoch,
    });
    // One that knows no epoch, from a position the restored room never reached.
    const noEpoch = await TestClient.join(wsUrl, roomId, 'no-epoch', { since: oldLatest });
    const talker = await TestClient.join(wsUrl, roomId, 'talker');
    clients.push(resumer, noEpoch, talker);
    expect(resumer.received[0]).toEqual({
      type: 'resync',
      data: { latest_seq: latest, missed: latest, epoch: newEpoch, reason: 'epoch' },
    });
    expect(noEpoch.received[0]).toMatchObject({
      type: 'resync',
      data: { latest_seq: latest, epoch: newEpoch, reason: 'ahead' },
    });
    await talker.say('after the restore');
    expect((await resumer.next('message')).seq).toBe(latest + 1);
    expect((await noEpoch.next('message')).seq).toBe(latest + 1);
  });

  it('bump-epoch on a running server: resumes from before get resync', async () => {
    server = await spawnServer();
    const s = server;
    const room = await createRoom(s.url);
    const wsUrl = s.url.replace(/^http/, 'ws');
    const alice = await TestClient.join(wsUrl, room.id, 'alice');
    clients.push(alice);
    await alice.say('one');
    const old = await historyEpoch(s.url, room.id);
    const bumped = await admin(['bump-epoch'], { CHAT_DB_PATH: s.dbPath });
    expect(bumped.code).toBe(0);
    const renewed = await historyEpoch(s.url, room.id);
    expect(renewed).not.toBe(old);
    expect(bumped.stdout).toContain(renewed);
    const bob = await TestClient.join(wsUrl, room.id, 'bob', { since: 1, epoch: old });
    clients.push(bob);
    expect(bob.received[0]).toMatchObject({ type: 'resync', data: { epoch: renewed } });
  });

  it('refuses what it cannot do, and touches nothing', async () => {
    server = await spawnServer();
    const s = server;
    const room = await createRoom(s.url);
    const env = { CHAT_DB_PATH: s.dbPath };
    const dir = join(s.dbPath, '..');
    await s.stop('SIGTERM');
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'not a database at all, just some text '.repeat(200));
    const cases: [string[], number, RegExp][] = [
      [['restore', garbage], 1, /not a usable database/],
      [['restore', join(dir, 'missing.db')], 1, /no backup at/],
      [['restore', s.dbPath], 1, /must not be the database itself/],
      [['backup', s.dbPath], 1, /must not be the database itself/],
      [['backup', join(dir, 'no-such-dir', 'b.db')], 1, /directory does not exist/],
      [['backup'], 2, /usage/],
      [['restore'], 2, /usage/],
      [['bump-epoch', 'extra'], 2, /usage/],
      [['frobnicate'], 2, /usage/],
      [[], 2, /usage/],
    ];
    for (const [args, code, message] of cases) {
      const run = await admin(args, env);
      expect({ args, code: run.code }).toEqual({ args, code });
      expect(run.stderr).toMatch(message);
    }
    const pg = { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const pgBackup = await admin(['backup', join(dir, 'b.db')], pg);
    expect(pgBackup.code).toBe(2);
    expect(pgBackup.stderr).toMatch(/pg_dump/);
    const pgRestore = await admin(['restore', join(dir, 'b.db')], pg);
    expect(pgRestore.code).toBe(2);
    expect(pgRestore.stderr).toMatch(/pg_restore[\s\S]*bump-epoch/);
    expect(existsSync(`${s.dbPath}.pre-restore`)).toBe(false);
    // The database is as it was.
    await s.start();
    expect((await allMessages(s.url, room.id)).length).toBe(0);
    const c = await TestClient.join(s.url.replace(/^http/, 'ws'), room.id, 'u');
    clients.push(c);
    expect((await c.say('fine')).seq).toBe(1);
  });
});

const pgRuns = await requirePostgres();
const schemas: TestSchema[] = [];
afterAll(async () => {
  await dropSchemas(schemas);
});

describe.runIf(pgRuns)('bump-epoch on PostgreSQL', () => {
  it('gives the database a new epoch, which every server reads', async () => {
    const schema = testSchema();
    schemas.push(schema);
    const store = new PostgresStore({ url: TEST_PG_URL, schema: schema.name, poolSize: 1 });
    await store.init();
    try {
      const old = await store.epoch();
      const run = await admin(['bump-epoch'], {
        DATABASE_URL: TEST_PG_URL,
        CHAT_PG_SCHEMA: schema.name,
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const renewed = await store.epoch();
      expect(renewed).not.toBe(old);
      expect(run.stdout).toContain(renewed);
    } finally {
      await store.close();
    }
  });
});
