// `npm run start:cluster` (dist/server/cluster.js): three workers on one port,
// node:cluster spreading connections over them; one chat across them; a worker
// killed with -9 is restarted; SIGTERM stops everything cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRoom } from '../support/api.js';
import { freePort } from '../support/free-port.js';
import {
  clearRedisPrefix,
  randomName,
  requirePostgres,
  requireRedis,
  TEST_PG_URL,
  TEST_REDIS_URL,
  testSchema,
} from '../support/services.js';
import { eventually, TestClient } from '../support/ws-client.js';

const run = (await requirePostgres()) && (await requireRedis());

const schema = testSchema();
const prefix = `${randomName('parley_test_')}:`;
let primary: ChildProcess | undefined;
let output = '';
const clients: TestClient[] = [];

/** One request on a fresh TCP connection, so node:cluster may hand it to any worker. */
function freshGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Per worker (the `node` label): its open connections, as its /metrics says. */
async function connectionsByWorker(url: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 60 && seen.size < 3; i++) {
    const text = await freshGet(`${url}/metrics`);
    const line = text.split('\n').find((l) => l.startsWith('parley_connections_open{'));
    const match = line && /node="([^"]+)"\} (\d+)/.exec(line);
    if (match) seen.set(match[1] as string, Number(match[2]));
  }
  return seen;
}

const workerPids = () =>
  output
    .split('\n')
    .filter((l) => l.includes('"worker started"'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);

describe.runIf(run)('npm run start:cluster', () => {
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
    for (const pid of workerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all([schema.drop(), clearRedisPrefix(prefix)]);
  });

  it('runs three workers behind one port as one chat, restarts a killed one, stops on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = spawn(process.execPath, [join(process.cwd(), 'dist/server/cluster.js')], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        CHAT_CLUSTER_WORKERS: '3',
        CHAT_CLUSTER_PORTS: 'shared',
        DATABASE_URL: TEST_PG_URL,
        CHAT_PG_SCHEMA: schema.name,
        CHAT_PG_POOL_SIZE: '3',
        REDIS_URL: TEST_REDIS_URL,
        CHAT_REDIS_PREFIX: prefix,
        CHAT_PRESENCE_TTL_MS: '2000',
        CHAT_PRESENCE_HEARTBEAT_MS: '500',
        CHAT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    primary = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await eventually(
      () => (output.match(/Parley listening/g) ?? []).length === 3,
      15_000,
      `three workers listening; got:\n${output}`,
    );

    const room = await createRoom(url);
    const wsUrl = url.replace(/^http/, 'ws');
    for (let i = 0; i < 6; i++) clients.push(await TestClient.join(wsUrl, room.id, `user${i}`));
    const spread = await connectionsByWorker(url);
    expect(spread.size).toBe(3);
    expect([...spread.values()].reduce((a, b) => a + b, 0)).toBe(6);

    // one chat whichever worker each client landed on
    const hello = await (clients[0] as TestClient).say('hello, workers');
    for (const c of clients.slice(1)) await c.next('message', (m) => m.id === hello.id);

    // a worker killed with -9 is replaced; its users come back through the others
    const [victim] = workerPids();
    process.kill(victim as number, 'SIGKILL');
    await eventually(() => workerPids().length === 4, 10_000, 'a replacement worker');
    await eventually(
      () => (output.match(/Parley listening/g) ?? []).length === 4,
      15_000,
      'the replacement listening',
    );
    const survivor = clients.find((c) => c.ws.readyState === c.ws.OPEN) as TestClient;
    const after = await TestClient.join(wsUrl, room.id, 'late');
    clients.push(after);
    const again = await after.say('still one chat');
    await survivor.next('message', (m) => m.id === again.id);

    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workerPids()) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  }, 60_000);
});
