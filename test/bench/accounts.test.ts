// The bench's accounts mode (`--servers=parley-accounts`): the built server
// (dist/, `npm run build` first) with CHAT_AUTH=accounts, accounts seeded before it
// starts, rooms created by the admin, every client signed in with its own session.
// No timings here: `npm run bench` measures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BENCH_ADMIN } from '../../bench/accounts.js';
import {
  type BenchClient,
  closeAll,
  FIRST,
  httpRequest,
  joinRooms,
  runPhase,
  sessionCookie,
} from '../../bench/load-generator.js';
import { countMessages } from '../../bench/prefill.js';
import { type RunningServer, startServer } from '../../bench/servers.js';

const NO_PINNING = { server: null, nice: null, loadGenerator: null, note: '' };
const NAMES = ['u0_0', 'u0_1', 'u0_2'];

describe('bench server parley-accounts', () => {
  let server: RunningServer;
  let clients: BenchClient[] = [];
  let previousScript: string | undefined;

  beforeAll(async () => {
    previousScript = process.env.BENCH_PARLEY_SCRIPT;
    process.env.BENCH_PARLEY_SCRIPT = 'dist/server/main.js';
    server = await startServer('parley-accounts', { pinning: NO_PINNING, accounts: NAMES });
  });
  afterAll(async () => {
    await server?.stop();
    closeAll(clients);
    server?.dispose();
    if (previousScript === undefined) delete process.env.BENCH_PARLEY_SCRIPT;
    else process.env.BENCH_PARLEY_SCRIPT = previousScript;
  });

  it('runs in accounts mode, with a session for the admin and each user', async () => {
    const mode = await httpRequest(`${server.httpUrl}/api/auth/mode`);
    expect(JSON.parse(mode.body)).toEqual({
      mode: 'accounts',
      first_run: false,
      signup_open: false,
    });
    const me = await httpRequest(`${server.httpUrl}/api/auth/me`, 'GET', undefined, {
      cookie: sessionCookie(server.accounts?.admin as string),
    });
    expect(JSON.parse(me.body)).toMatchObject({ user: { username: BENCH_ADMIN, role: 'admin' } });
    expect([...(server.accounts?.sessions.keys() ?? [])]).toEqual(NAMES);
  });

  it('refuses an upgrade without a credential (so the clients below are signed in)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${server.wsUrl}/ws/chat/any-room?username=u0_0`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('opened without a credential')));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('joins, sends and checks every delivery with the accounts’ cookies', async () => {
    const joined = await joinRooms(server, { rooms: 1, membersPerRoom: 3, concurrency: 3 });
    clients = joined.clients;
    // The online list holds the accounts' names: the join storm check passes.
    expect(joined.storm?.incomplete).toBe(0);

    const names = new Set<string>();
    const result = await runPhase(server, clients, {
      membersPerRoom: 3,
      sendersPerRoom: 3,
      window: 2,
      warmupMs: 100,
      measureMs: 300,
      drainMs: 5_000,
      contentLength: 64,
      clientIds: true,
    });
    expect(result.deliveries).toBeGreaterThan(0);
    expect(result.correctness).toEqual({
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      seqInversions: 0,
      misrouted: 0,
      errorFrames: 0,
      closedByServer: 0,
    });

    // Messages carry the account's name.
    const client = clients[1] as BenchClient;
    const seen = new Promise<void>((resolve) => {
      client.onFrame = (_c, buf, typeByte) => {
        if (typeByte !== FIRST.message) return;
        names.add((JSON.parse(buf.toString()) as { data: { username: string } }).data.username);
        resolve();
      };
    });
    client.sendMessage('~B~0.9.0.1~', null);
    await seen;
    expect([...names]).toEqual(['u0_1']);

    await server.stop();
    expect(countMessages(server.dbPath as string)).toBe(result.messagesSent + 1);
  });
});
