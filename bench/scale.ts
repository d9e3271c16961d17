// Scale on one server process (issue 14), beyond what `npm run bench` holds:
//
//   npx tsx bench/scale.ts [--part=hold,reconnect,join] [--servers=parley,bare]
//                          [--join=10000] [--points=5000,10000,19000] [--workers=4]
//
// join: N clients join one room at once; time until every client's online list
//       held all N users, and the server's peak RSS while they joined.
// hold: one server process holds 5,000, 10,000 and ~19,000 idle connections (rooms
//       of 10, plus one room of 1,000); RSS per connection at each point, the p99 of
//       a message to the room of 1,000 (20 msg/s), and a linear projection to 100,000.
// reconnect (Parley only): --reconnect=N clients in 100 rooms resume with since=
//       after a server restart while a REST sender per room keeps sending
//       (--rate=1 msg/s); time until all caught up, peak RSS, gaps, duplicates.
// cluster (Parley only): three Parley processes on PostgreSQL + Redis hold
//       --cluster=55000 connections in all, every room's members spread over the
//       three (one room of 1,000, the rest in rooms of 100 and 10); 100 messages at
//       20/s into the room of 1,000 from senders on each process, then --per-room=2
//       messages into every other room over REST; every client must get each
//       message of its room once, in seq order (checked against PostgreSQL).
//       Fresh schema and key prefix, removed afterwards. Options: --workers=N
//       (default: one per 9,000 clients, at least 4), --inflight=768 handshakes.
//
// A process may open at most 20,000 files here, so the clients live in several
// load-generator processes (bench/scale-worker.ts), and connect from several
// 127.0.0.x source addresses (loopback has ~28,000 ephemeral ports per address).
// Nothing is pinned: the machine is shared. Results go to bench/results/scale-*.json.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import {
  clearRedisPrefix,
  dropSchema,
  TEST_PG_URL as PG_URL,
  TEST_REDIS_URL as REDIS_URL,
  randomName,
} from '../test/support/services.js';
import { buildServers } from './build.js';
import { createRooms, httpRequest, pool, sleep } from './load-generator.js';
import {
  machineBusyMs,
  openFileLimit,
  openFiles,
  pidsNamed,
  processPssBytes,
  processRssBytes,
  processRunWaitMs,
} from './proc.js';
import type {
  ClientSpec,
  ExactCounts,
  LatencyReply,
  OpenReply,
  StatusReply,
  VerifyReply,
  WorkerCommand,
} from './scale-worker.js';
import { noCounts, wallMs } from './scale-worker.js';
import { type Pinning, type RunningServer, type ServerKind, startServer } from './servers.js';

const args = process.argv.slice(2);
const option = (name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const parts = (option('part') ?? 'hold').split(',');
const servers = (option('servers') ?? 'parley,bare').split(',') as ServerKind[];
if (servers.includes('parley-accounts')) {
  // Its clients (scale-worker.ts) join with `username=` and no credential.
  console.error('bench/scale.ts runs open mode only: parley-accounts is for npm run bench');
  process.exit(2);
}
const joinCount = Number(option('join') ?? 10_000);
const points = (option('points') ?? '5000,10000,19000').split(',').map(Number);
const workerCount = Number(option('workers') ?? 4);
const reconnectCount = Number(option('reconnect') ?? 10_000);
const reconnectRooms = 100;
/** Messages per second per room while the storm runs. */
const reconnectRate = Number(option('rate') ?? 1);
const SOURCES = 8;
const source = (i: number) => `127.0.0.${2 + (i % SOURCES)}`;

const pinning: Pinning = {
  server: null,
  loadGenerator: null,
  nice: null,
  note: 'nothing pinned',
};

/* ------------------------------------------------------------------ workers */

class Worker {
  readonly pid: number;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  constructor(readonly child: ChildProcess) {
    this.pid = child.pid as number;
    child.on('message', (m) => this.pending?.resolve(m));
    child.on('exit', (code) => this.pending?.reject(new Error(`worker exited with ${code}`)));
  }
  /** One command at a time per worker: its reply is the next message. */
  call<T>(command: WorkerCommand): Promise<T> {
    const next = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          this.pending = { resolve: (v) => resolve(v as T), reject };
          this.child.send(command);
        }),
    );
    this.queue = next.catch(() => {});
    return next;
  }
}

function startWorkers(n: number): Worker[] {
  return Array.from(
    { length: n },
    () =>
      new Worker(
        fork(new URL('./scale-worker.ts', import.meta.url).pathname, [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      ),
  );
}

/** Opens `specs` spread round-robin over the workers; resolves when every worker is done. */
async function openSpread(workers: Worker[], specs: ClientSpec[], concurrency = 128, retries = 0) {
  const shares: ClientSpec[][] = workers.map(() => []);
  specs.forEach((s, i) => {
    shares[i % workers.length]?.push(s);
  });
  const replies = await Promise.all(
    workers.map((w, i) =>
      w.call<OpenReply>({ cmd: 'open', specs: shares[i] ?? [], concurrency, retries }),
    ),
  );
  return {
    opened: replies.reduce((s, r) => s + r.opened, 0),
    failed: replies.reduce((s, r) => s + r.failed, 0),
    retried: replies.reduce((s, r) => s + (r.retried ?? 0), 0),
    firstError: replies.find((r) => r.firstError)?.firstError ?? null,
    lastOpenAt: Math.max(...replies.map((r) => r.lastOpenAt)),
  };
}

async function statusAll(workers: Worker[]) {
  const all = await Promise.all(workers.map((w) => w.call<StatusReply>({ cmd: 'status' })));
  return {
    clients: all.reduce((s, r) => s + r.clients, 0),
    listComplete: all.reduce((s, r) => s + r.listComplete, 0),
    lastListCompleteAt: Math.max(...all.map((r) => r.lastListCompleteAt)),
    frames: all.reduce((s, r) => s + r.frames, 0),
    closedByServer: all.reduce((s, r) => s + r.closedByServer, 0),
    caughtUp: all.reduce((s, r) => s + r.caughtUp, 0),
    lastCaughtUpAt: Math.max(...all.map((r) => r.lastCaughtUpAt)),
    gaps: all.reduce((s, r) => s + r.gaps, 0),
    duplicates: all.reduce((s, r) => s + r.duplicates, 0),
    resyncs: all.reduce((s, r) => s + r.resyncs, 0),
    firstClose: all.find((r) => r.firstClose)?.firstClose ?? null,
  };
}

/** Waits until no client got a frame for `quietMs` (at most `maxMs`). */
async function settle(workers: Worker[], quietMs: number, maxMs: number) {
  const start = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    const { frames } = await statusAll(workers);
    if (frames !== last) {
      last = frames;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await sleep(100);
  }
}

async function closeWorkers(workers: Worker[]) {
  await Promise.all(workers.map((w) => w.call({ cmd: 'close' }).catch(() => {})));
}

const wsPath = (server: RunningServer, roomId: string, username: string) =>
  `${server.wsUrl}/ws/chat/${roomId}?username=${encodeURIComponent(username)}`;

/** The median of five RSS samples 200 ms apart. */
async function settledRss(server: RunningServer): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(server.rssBytes());
    await sleep(200);
  }
  samples.sort((a, b) => a - b);
  return samples[2] as number;
}

const MB = (b: number) => Math.round(b / 1e5) / 10;

/** The p-th percentile of sorted `lat`, in ms to 0.01, or null when empty. */
const percentile = (lat: readonly number[], p: number) =>
  lat.length
    ? Math.round(
        (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] as number) * 100,
      ) / 100
    : null;

/* ------------------------------------------------------------------ join storm */

async function joinStorm(kind: ServerKind) {
  const server = await startServer(kind, { pinning });
  const workers = startWorkers(workerCount);
  try {
    const [roomId] = await createRooms(server, 1);
    const names = Array.from({ length: joinCount }, (_, i) => `u${i}`);
    const listBytes = Buffer.byteLength(
      JSON.stringify({ type: 'user_list', data: { users: names } }),
    );
    const specs: ClientSpec[] = names.map((n, i) => ({
      url: wsPath(server, roomId as string, n),
      localAddress: source(i),
      listBytes,
      listSize: joinCount,
    }));
    const rssBefore = server.rssBytes();
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rssBytes());
    }, 50);
    const cpu0 = server.cpuMs();
    const busy0 = machineBusyMs();
    const t0 = wallMs();
    console.log(`[${kind}] join storm: ${joinCount} clients`);
    const opened = await openSpread(workers, specs, 128);
    let st = await statusAll(workers);
    const deadline = Date.now() + 300_000;
    while (st.listComplete < opened.opened && Date.now() < deadline) {
      await sleep(250);
      st = await statusAll(workers);
      process.stdout.write(`\r  lists complete ${st.listComplete}/${opened.opened}   `);
    }
    process.stdout.write('\n');
    await settle(workers, 500, 120_000);
    clearInterval(sampler);
    const elapsed = wallMs() - t0;
    st = await statusAll(workers);
    const serverCpuMs = server.cpuMs() - cpu0;
    const result = {
      server: kind,
      clients: joinCount,
      opened: opened.opened,
      failed: opened.failed,
      firstError: opened.firstError,
      lastJoinMs: Math.round(opened.lastOpenAt - t0),
      allListsCompleteMs:
        st.listComplete === opened.opened ? Math.round(st.lastListCompleteAt - t0) : null,
      listsComplete: st.listComplete,
      framesReceived: st.frames,
      closedByServer: st.closedByServer,
      firstClose: st.firstClose,
      rssBeforeMB: MB(rssBefore),
      rssPeakMB: MB(peak),
      rssAfterMB: MB(await settledRss(server)),
      serverCpuMs: Math.round(serverCpuMs),
      machineBusyCores: Math.round(((machineBusyMs() - busy0) / elapsed) * 100) / 100,
    };
    console.log(result);
    return result;
  } finally {
    await server.stop();
    await closeWorkers(workers);
    server.dispose();
  }
}

/* ------------------------------------------------------------------ held connections */

const BIG = 1_000;
const SMALL = 10;
const RATE = 20;
const MESSAGES = 100;

async function hold(kind: ServerKind) {
  const server = await startServer(kind, { pinning });
  const workers = startWorkers(workerCount);
  const top = Math.max(...points);
  let sender: WebSocket | null = null;
  try {
    const smallRooms = Math.max(1, Math.ceil((top - BIG) / SMALL));
    const roomIds = await createRooms(server, 1 + smallRooms);
    const big = roomIds[0] as string;
    // Warm the code paths first, then measure from a settled RSS (as the idle cell).
    const warm = Array.from({ length: 100 }, (_, i) => ({
      url: wsPath(server, roomIds[1 + (i % smallRooms)] as string, `warm${i}`),
      localAddress: source(i),
    }));
    const warmWorkers = startWorkers(1);
    await openSpread(warmWorkers, warm);
    await closeWorkers(warmWorkers);
    await sleep(1_500);
    const rssBefore = await settledRss(server);
    const results = [];
    let held = 0;
    for (const point of points) {
      const specs: ClientSpec[] = [];
      for (let i = held; i < point; i++) {
        const inBig = i < BIG;
        const small = Math.floor((i - BIG) / SMALL);
        specs.push({
          url: wsPath(server, inBig ? big : (roomIds[1 + small] as string), `h${i}`),
          localAddress: source(i),
          ...(inBig ? { listen: true } : {}),
        });
      }
      console.log(`[${kind}] opening ${specs.length} (to ${point})`);
      const t0 = Date.now();
      const opened = await openSpread(workers, specs, 128);
      const connectMs = Date.now() - t0;
      held += opened.opened;
      await settle(workers, 500, 60_000);
      await sleep(1_000);
      const rss = await settledRss(server);
      // One sender (from this process) into the room of 1,000, kept for later points.
      if (!sender) {
        sender = new WebSocket(wsPath(server, big, 'sender'), { perMessageDeflate: false });
        await new Promise((r, j) => {
          sender?.once('open', r);
          sender?.once('error', j);
        });
        await sleep(500);
        await Promise.all(workers.map((w) => w.call({ cmd: 'latencies' })));
      }
      console.log(`[${kind}] ${point}: ${MESSAGES} messages to the room of ${BIG}`);
      for (let n = 0; n < MESSAGES; n++) {
        sender.send(JSON.stringify({ type: 'message', content: `~S~${wallMs()}~ hello` }));
        await sleep(1000 / RATE);
      }
      await sleep(2_000);
      const lat = (
        await Promise.all(workers.map((w) => w.call<LatencyReply>({ cmd: 'latencies' })))
      ).flatMap((r) => r.all);
      lat.sort((a, b) => a - b);
      const pct = (p: number) => percentile(lat, p);
      const st = await statusAll(workers);
      const r = {
        server: kind,
        connections: st.clients - st.closedByServer,
        failed: opened.failed,
        firstError: opened.firstError,
        closedByServer: st.closedByServer,
        firstClose: st.firstClose,
        connectMs,
        rssMB: MB(rss),
        bytesPerConnection: Math.round((rss - rssBefore) / (st.clients - st.closedByServer)),
        deliveries: lat.length,
        expectedDeliveries: MESSAGES * BIG,
        p50Ms: pct(50),
        p99Ms: pct(99),
        maxMs: lat.length ? Math.round((lat[lat.length - 1] as number) * 100) / 100 : null,
      };
      console.log(r);
      results.push(r);
    }
    // Least-squares line RSS = a + b * connections, projected (not measured) to 100,000.
    const xs = results.map((r) => r.connections);
    const ys = results.map((r) => r.rssMB * 1e6);
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
    const my = ys.reduce((s, y) => s + y, 0) / ys.length;
    const b =
      xs.reduce((s, x, i) => s + (x - mx) * ((ys[i] as number) - my), 0) /
      xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const a = my - b * mx;
    const projection = {
      marginalBytesPerConnection: Math.round(b),
      projectedRssMBAt100k: MB(a + b * 100_000),
    };
    console.log(projection);
    return { server: kind, rssBeforeMB: MB(rssBefore), points: results, projection };
  } finally {
    sender?.terminate();
    await server.stop();
    await closeWorkers(workers);
    server.dispose();
  }
}

/* ------------------------------------------------------------------ reconnect storm */

async function reconnectStorm() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-scale-'));
  const dbPath = join(dir, 'chat.db');
  let server = await startServer('parley', { pinning, dbPath });
  const workers = startWorkers(workerCount);
  let sending = true;
  try {
    const rooms = reconnectRooms;
    const perRoom = Math.ceil(reconnectCount / rooms);
    const roomIds = await createRooms(server, rooms);
    const specs: ClientSpec[] = [];
    for (let i = 0; i < reconnectCount; i++) {
      const roomId = roomIds[i % rooms] as string;
      const username = `r${i}`;
      specs.push({
        url: wsPath(server, roomId, username),
        localAddress: source(i),
        track: { roomId, username },
      });
    }
    console.log(
      `[parley] reconnect storm: opening ${reconnectCount} in ${rooms} rooms of ${perRoom}`,
    );
    const opened = await openSpread(workers, specs, 128);
    await settle(workers, 500, 120_000);
    // One REST sender per room, `reconnectRate` messages/s each, retrying a failed send
    // with the same client_id (through the restart) so nothing is lost or doubled.
    const acked: Record<string, number> = {};
    let sent = 0;
    const senders = roomIds.map(async (roomId, r) => {
      let n = 0;
      while (sending) {
        const body = JSON.stringify({
          content: `m${n}`,
          client_id: `s${r}-${n}`,
          username: `sender${r}`,
        });
        for (;;) {
          try {
            const res = await httpRequest(
              `${server.httpUrl}/api/chat/rooms/${roomId}/messages`,
              'POST',
              body,
            );
            if (res.status === 200 || res.status === 201) {
              acked[roomId] = Math.max(
                acked[roomId] ?? 0,
                (JSON.parse(res.body) as { seq: number }).seq,
              );
              sent++;
              break;
            }
          } catch {
            // the server is restarting
          }
          await sleep(50);
        }
        n++;
        await sleep(1000 / reconnectRate);
      }
    });
    await sleep(5_000);
    console.log(`[parley] restarting the server (${sent} messages sent so far)`);
    await server.stop();
    const downAt = wallMs();
    server = await startServer('parley', { pinning, dbPath });
    const upAt = wallMs();
    // The clients come back a second later: the senders' retries and new messages of
    // that second are stored meanwhile, so every client has something to replay.
    await sleep(1_000);
    const targets = { ...acked };
    let peak = server.rssBytes();
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rssBytes());
    }, 50);
    const t0 = wallMs();
    const base = server.wsUrl;
    const again = await Promise.all(
      workers.map((w) => w.call<OpenReply>({ cmd: 'reconnect', base, targets, concurrency: 256 })),
    );
    const lastOpenAt = Math.max(...again.map((r) => r.lastOpenAt));
    let st = await statusAll(workers);
    const deadline = Date.now() + 180_000;
    while (st.caughtUp < reconnectCount && Date.now() < deadline) {
      await sleep(250);
      st = await statusAll(workers);
    }
    clearInterval(sampler);
    // Keep sending a little, then stop and check every client has every message.
    await sleep(3_000);
    sending = false;
    await Promise.all(senders);
    await settle(workers, 1_000, 60_000);
    const finals = { ...acked };
    const verified = await Promise.all(
      workers.map((w) => w.call<VerifyReply>({ cmd: 'verify', finals })),
    );
    st = await statusAll(workers);
    const result = {
      clients: reconnectCount,
      rooms,
      opened: opened.opened,
      sendRatePerRoom: reconnectRate,
      messagesSent: sent,
      restartMs: Math.round(upAt - downAt),
      reconnected: again.reduce((s, r) => s + r.opened, 0),
      reconnectFailed: again.reduce((s, r) => s + r.failed, 0),
      attemptsRetried: again.reduce((s, r) => s + (r.retried ?? 0), 0),
      firstError: again.find((r) => r.firstError)?.firstError ?? null,
      lastReconnectMs: Math.round(lastOpenAt - t0),
      caughtUp: st.caughtUp,
      allCaughtUpMs: st.caughtUp === reconnectCount ? Math.round(st.lastCaughtUpAt - t0) : null,
      rssPeakMB: MB(peak),
      gaps: st.gaps,
      duplicates: st.duplicates,
      resyncs: st.resyncs,
      closedByServer: st.closedByServer,
      complete: verified.reduce((s, v) => s + v.complete, 0),
      tracked: verified.reduce((s, v) => s + v.tracked, 0),
    };
    console.log(result);
    return result;
  } finally {
    sending = false;
    await server.stop();
    await closeWorkers(workers);
    rmSync(dir, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------ three processes, PostgreSQL + Redis */

const clusterCount = Number(option('cluster') ?? 55_000);
const CLUSTER_PROCESSES = 3;
/** Messages over REST into each room other than the room of 1,000. */
const perRoom = Number(option('per-room') ?? 2);
/** Handshakes in flight over all workers (each process's listen backlog is 511). */
const inflight = Number(option('inflight') ?? 768);
/** Clients per load-generator process, unless --workers says otherwise. */
const CLIENTS_PER_WORKER = 9_000;
const PG_POOL_SIZE = 10;
/** Files a process needs besides its sockets: stdio, the PostgreSQL pool, Redis, libuv, modules. */
const FD_MARGIN = 200;

/** Room sizes: one room of 1,000, then half the rest in rooms of 100, the other half in rooms of 10. */
function clusterRoomSizes(total: number): number[] {
  const sizes = [Math.min(BIG, total)];
  let rest = total - (sizes[0] as number);
  for (let n = Math.floor(rest / 2 / 100); n > 0; n--) sizes.push(100);
  rest -= (sizes.length - 1) * 100;
  for (; rest > 0; rest -= 10) sizes.push(Math.min(10, rest));
  return sizes;
}

const ephemeralPorts = () => {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  return (high ?? 0) - (low ?? 0) + 1;
};

/** Every check that would make a full run fail midway, made before anything starts. */
async function clusterPreflight(perServer: number, perWorker: number, perSource: number) {
  const problems: string[] = [];
  const ownLimit = openFileLimit('self');
  if (perServer + FD_MARGIN > ownLimit) {
    problems.push(`${perServer} connections per server process, open-file limit ${ownLimit}`);
  }
  if (perWorker + FD_MARGIN > ownLimit) {
    problems.push(`${perWorker} clients per load generator, open-file limit ${ownLimit}`);
  }
  const ports = ephemeralPorts();
  // A bound source address allocates its port at bind(), before the destination is
  // known, so each address has `ports` in all, whichever server it connects to.
  if (perSource > ports * 0.8) {
    problems.push(`${perSource} clients per source address, ${ports} ephemeral ports`);
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  let postgres: Record<string, string | number>;
  try {
    const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN
         ('max_connections', 'superuser_reserved_connections', 'shared_buffers',
          'max_locks_per_transaction', 'shared_memory_type', 'dynamic_shared_memory_type',
          'fsync', 'synchronous_commit')`,
    );
    postgres = Object.fromEntries(
      settings.rows.map((r) => [r.name, r.unit ? `${r.setting} × ${r.unit}` : r.setting]),
    );
    const used = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = $1',
      ['client backend'],
    );
    const max = Number(postgres.max_connections);
    const reserved = Number(postgres.superuser_reserved_connections);
    const inUse = used.rows[0]?.n ?? 0;
    const needed = CLUSTER_PROCESSES * PG_POOL_SIZE + 2;
    postgres.connectionsInUse = inUse;
    postgres.connectionsNeeded = needed;
    if (max - reserved - inUse < needed) {
      problems.push(
        `PostgreSQL: ${inUse} of ${max - reserved} connections in use, ${needed} needed`,
      );
    }
  } finally {
    await client.end();
  }
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let redisInfo: Record<string, number>;
  try {
    const maxclients = Number(((await redis.config('GET', 'maxclients')) as string[])[1]);
    const clients = Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1]);
    redisInfo = { maxclients, connectedClients: clients };
    // A Parley process keeps a few connections (commands, subscriptions).
    if (maxclients - clients < CLUSTER_PROCESSES * 4 + 2) {
      problems.push(`Redis: ${clients} of ${maxclients} clients connected`);
    }
  } finally {
    redis.disconnect();
  }
  const checks = {
    openFileLimit: ownLimit,
    connectionsPerServer: perServer,
    clientsPerWorker: perWorker,
    ephemeralPortsPerSource: ports,
    clientsPerSource: perSource,
    somaxconn: Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')),
    postgres,
    redis: redisInfo,
  };
  console.log('[cluster] preflight', checks);
  if (problems.length) throw new Error(`cluster preflight failed:\n- ${problems.join('\n- ')}`);
  return checks;
}

/** `parley_connections_open` of one process, from its /metrics (answered on loopback). */
async function connectionsOpen(server: RunningServer): Promise<number | null> {
  const res = await httpRequest(`${server.httpUrl}/metrics`);
  const match = /^parley_connections_open(?:\{[^}]*\})? (\d+)/m.exec(res.body);
  return match ? Number(match[1]) : null;
}

/** Failures a process counted (all zero in a clean run), from its /metrics. */
async function serverErrors(server: RunningServer) {
  const res = await httpRequest(`${server.httpUrl}/metrics`);
  const total = (name: string) =>
    res.body
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    busErrors: total('parley_bus_errors_total'),
    storeErrors: total('parley_store_errors_total'),
    slowConsumersDropped: total('parley_slow_consumers_dropped_total'),
  };
}

interface EchoHistogram {
  /** Cumulative counts per upper bound (seconds), as Prometheus gives them. */
  buckets: Map<number, number>;
  count: number;
  sum: number;
}

/** The server's own `parley_send_echo_seconds`: from a frame's arrival to the echo. */
async function echoHistogram(server: RunningServer): Promise<EchoHistogram> {
  const res = await httpRequest(`${server.httpUrl}/metrics`);
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const line of res.body.split('\n')) {
    const bucket = /^parley_send_echo_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)/.exec(line);
    if (bucket) buckets.set(Number(bucket[1]), Number(bucket[2]));
    else if (line.startsWith('parley_send_echo_seconds_count')) count = Number(line.split(' ')[1]);
    else if (line.startsWith('parley_send_echo_seconds_sum')) sum = Number(line.split(' ')[1]);
  }
  return { buckets, count, sum };
}

/** What the servers' histograms gained between two readings, over every process. */
function echoBetween(before: EchoHistogram[], after: EchoHistogram[]) {
  const count = after.reduce((n, h, p) => n + h.count - (before[p]?.count ?? 0), 0);
  const sum = after.reduce((n, h, p) => n + h.sum - (before[p]?.sum ?? 0), 0);
  const bounds = [...(after[0]?.buckets.keys() ?? [])].sort((a, b) => a - b);
  const within = (le: number) =>
    after.reduce((n, h, p) => n + (h.buckets.get(le) ?? 0) - (before[p]?.buckets.get(le) ?? 0), 0);
  // The bucket a percentile falls in: its upper bound is all a histogram can tell.
  const upTo = (q: number) => {
    const le = bounds.find((b) => within(b) >= q * count);
    return le === undefined ? null : le * 1000;
  };
  return {
    messages: count,
    meanMs: count ? Math.round((sum / count) * 100_000) / 100 : null,
    p50AtMostMs: count ? upTo(0.5) : null,
    p99AtMostMs: count ? upTo(0.99) : null,
  };
}

/**
 * Run-queue wait of every postgres process, per pid; given an earlier reading,
 * the ms they waited since (processes that started meanwhile counted from 0).
 */
function postgresRunWait(): Map<number, number>;
function postgresRunWait(since: Map<number, number>): number;
function postgresRunWait(since?: Map<number, number>): Map<number, number> | number {
  const now = new Map(pidsNamed('postgres').map((pid) => [pid, processRunWaitMs(pid)]));
  if (!since) return now;
  let sum = 0;
  for (const [pid, ms] of now) sum += ms - (since.get(pid) ?? 0);
  return sum;
}

/** Memory of the shared services (other users of them included). */
async function servicesMemory() {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let usedMemory = 0;
  try {
    usedMemory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  } finally {
    redis.disconnect();
  }
  const postgres = pidsNamed('postgres');
  return {
    redisRssMB: MB(pidsNamed('redis-server').reduce((s, pid) => s + processRssBytes(pid), 0)),
    redisUsedMemoryMB: MB(usedMemory),
    // Pss: shared buffers divided among the processes, so the sum counts them once.
    postgresPssMB: MB(postgres.reduce((s, pid) => s + processPssBytes(pid), 0)),
    postgresProcesses: postgres.length,
  };
}

function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function cluster() {
  const schema = randomName('parley_scale_');
  const prefix = `${randomName('parley_scale_')}:`;
  const sizes = clusterRoomSizes(clusterCount);
  const nWorkers = option('workers')
    ? workerCount
    : Math.max(4, Math.ceil(clusterCount / CLIENTS_PER_WORKER));
  const preflight = await clusterPreflight(
    Math.ceil(clusterCount / CLUSTER_PROCESSES) + CLUSTER_PROCESSES,
    Math.ceil(clusterCount / nWorkers),
    Math.ceil(clusterCount / SOURCES),
  );
  const env = {
    DATABASE_URL: PG_URL,
    CHAT_PG_SCHEMA: schema,
    CHAT_PG_POOL_SIZE: String(PG_POOL_SIZE),
    REDIS_URL,
    CHAT_REDIS_PREFIX: prefix,
  };
  const servers: RunningServer[] = [];
  let workers: Worker[] = [];
  const senders: WebSocket[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const services0 = await servicesMemory();
    // One after the other: the first one migrates the fresh schema.
    for (let p = 0; p < CLUSTER_PROCESSES; p++)
      servers.push(await startServer('parley', { pinning, env }));
    const serverLimits = servers.map((s) => openFileLimit(s.pid));
    workers = startWorkers(nWorkers);
    const roomIds = await createRooms(servers[0] as RunningServer, sizes.length);
    const big = roomIds[0] as string;
    const specs: ClientSpec[] = [];
    const perProcess = servers.map(() => 0);
    sizes.forEach((size, r) => {
      const roomId = roomIds[r] as string;
      for (let m = 0; m < size; m++) {
        // Member m of room r on process (r + m) mod 3: every room spans the processes,
        // and the rooms of 10 (4 + 3 + 3) rotate which process gets the fourth.
        const p = (r + m) % CLUSTER_PROCESSES;
        const i = specs.length;
        const username = `c${i}`;
        perProcess[p] = (perProcess[p] ?? 0) + 1;
        specs.push({
          url: wsPath(servers[p] as RunningServer, roomId, username),
          localAddress: source(i),
          track: { roomId, username, exact: true },
          ...(r === 0 ? { listen: true, node: p } : {}),
        });
      }
    });
    const workerLimits = workers.map((w) => openFileLimit(w.pid));
    const limitProblem = [
      ...servers.map((_, p) => [perProcess[p] as number, serverLimits[p] as number, 'server']),
      ...workers.map((_, w) => [Math.ceil(specs.length / nWorkers), workerLimits[w], 'worker']),
    ].find(([n, limit]) => (n as number) + FD_MARGIN > (limit as number));
    if (limitProblem) throw new Error(`open-file limit too low: ${limitProblem.join(' / ')}`);
    await sleep(1_000);
    const rssBefore = await Promise.all(servers.map(settledRss));
    const peak = [...rssBefore];
    sampler = setInterval(() => {
      servers.forEach((s, p) => {
        peak[p] = Math.max(peak[p] as number, s.rssBytes());
      });
    }, 100);
    const cpu0 = servers.map((s) => s.cpuMs());
    const wait0 = servers.map((s) => processRunWaitMs(s.pid));
    const busy0 = machineBusyMs();
    console.log(
      `[cluster] opening ${specs.length} clients in ${sizes.length} rooms on ${CLUSTER_PROCESSES} processes (${perProcess.join(' / ')}), ${nWorkers} load generators`,
    );
    const t0 = wallMs();
    const perWorker = Math.max(8, Math.floor(inflight / nWorkers));
    // Progress from the servers' own gauges (a worker answers only when it is done).
    const progress = setInterval(() => {
      void Promise.all(servers.map(connectionsOpen)).then(
        (n) => console.log(`  ${Math.round(wallMs() - t0)} ms: connections open ${n.join(' / ')}`),
        () => {},
      );
    }, 10_000);
    const opened = await openSpread(workers, specs, perWorker, 5).finally(() =>
      clearInterval(progress),
    );
    const lastOpenMs = Math.round(opened.lastOpenAt - t0);
    console.log(
      `[cluster] opened ${opened.opened}, failed ${opened.failed}, retried ${opened.retried} in ${lastOpenMs} ms; waiting for the joins to settle`,
    );
    const QUIET = 1_000;
    await settle(workers, QUIET, 600_000);
    const setupMs = Math.round(wallMs() - t0 - QUIET);
    const peakSetup = [...peak];
    const setupCpuMs = servers.map((s, p) => Math.round(s.cpuMs() - (cpu0[p] as number)));
    const setupRunWaitMs = servers.map((s, p) =>
      Math.round(processRunWaitMs(s.pid) - (wait0[p] as number)),
    );
    const setupBusyCores = Math.round(((machineBusyMs() - busy0) / (wallMs() - t0)) * 100) / 100;
    await sleep(1_000);
    const rssHeld = await Promise.all(servers.map(settledRss));
    const held = await Promise.all(servers.map(connectionsOpen));
    const fds = servers.map((s) => openFiles(s.pid));
    const services1 = await servicesMemory();
    console.log(
      `[cluster] settled after ${setupMs} ms; connections per process ${held.join(' / ')}`,
    );

    // The room of 1,000: one sender on each process, taking turns. The senders time
    // the room's messages too, from this lightly loaded process: against the
    // members' figures, that tells the servers' delay from the load generators'.
    const echo: number[] = [];
    const atSenders: number[] = [];
    /** Every seq each sender received, in arrival order (checked like the members'). */
    const senderSeqs: number[][] = [];
    for (let p = 0; p < CLUSTER_PROCESSES; p++) {
      const ws = await openSocket(wsPath(servers[p] as RunningServer, big, `sender${p}`));
      const seqs: number[] = [];
      senderSeqs.push(seqs);
      ws.on('message', (buf: Buffer) => {
        const text = buf.toString();
        if (!text.startsWith('{"type":"message"')) return;
        seqs.push((JSON.parse(text) as { data: { seq: number } }).data.seq);
        const at = text.indexOf('"content":"~S~');
        if (at < 0) return;
        const [ms, from] = text.slice(at + 14).split('~', 2);
        const lat = wallMs() - Number(ms);
        atSenders.push(lat);
        if (Number(from) === p) echo.push(lat);
      });
      senders.push(ws);
    }
    await settle(workers, 500, 30_000);
    await Promise.all(workers.map((w) => w.call({ cmd: 'latencies' })));
    const cpu1 = servers.map((s) => s.cpuMs());
    const wait1 = servers.map((s) => processRunWaitMs(s.pid));
    const pgWait1 = postgresRunWait();
    const busy1 = machineBusyMs();
    const tBig = wallMs();
    const echo0 = await Promise.all(servers.map(echoHistogram));
    console.log(`[cluster] ${MESSAGES} messages at ${RATE}/s to the room of ${BIG}`);
    for (let n = 0; n < MESSAGES; n++) {
      const p = n % CLUSTER_PROCESSES;
      senders[p]?.send(JSON.stringify({ type: 'message', content: `~S~${wallMs()}~${p}~ ${n}` }));
      await sleep(1000 / RATE);
    }
    await settle(workers, 1_000, 60_000);
    const serverEcho = echoBetween(echo0, await Promise.all(servers.map(echoHistogram)));
    const bigRoomPhase = {
      ms: Math.round(wallMs() - tBig),
      serverCpuMs: servers.map((s, p) => Math.round(s.cpuMs() - (cpu1[p] as number))),
      serverRunWaitMs: servers.map((s, p) =>
        Math.round(processRunWaitMs(s.pid) - (wait1[p] as number)),
      ),
      postgresRunWaitMs: Math.round(postgresRunWait(pgWait1)),
      machineBusyCores: Math.round(((machineBusyMs() - busy1) / (wallMs() - tBig)) * 100) / 100,
    };
    console.log('[cluster] while the room of 1,000 got its messages', bigRoomPhase);
    const replies = await Promise.all(
      workers.map((w) => w.call<LatencyReply>({ cmd: 'latencies' })),
    );
    const summary = (values: number[]) => {
      const lat = [...values].sort((a, b) => a - b);
      return {
        deliveries: lat.length,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        maxMs: lat.length ? Math.round((lat[lat.length - 1] as number) * 100) / 100 : null,
      };
    };
    const latency = {
      all: summary(replies.flatMap((r) => r.all)),
      sameProcess: summary(replies.flatMap((r) => r.local)),
      crossProcess: summary(replies.flatMap((r) => r.remote)),
      echoToSender: summary(echo),
      atTheSenders: summary(atSenders),
      serverEcho,
    };
    console.log('[cluster] latency in the room of 1,000', latency);

    // Every other room: `perRoom` messages over REST, each from another process, the
    // messages of one room sent at once (their order is decided by the store).
    const items: { room: number; k: number }[] = [];
    for (let r = 1; r < sizes.length; r++) {
      for (let k = 0; k < perRoom; k++) items.push({ room: r, k });
    }
    console.log(`[cluster] ${items.length} messages over REST into ${sizes.length - 1} rooms`);
    const sent: Record<string, number> = {};
    let sendFailed = 0;
    let sendRetried = 0;
    const tSend = wallMs();
    await pool(items, 48, async ({ room, k }) => {
      const p = (room + k) % CLUSTER_PROCESSES;
      const roomId = roomIds[room] as string;
      const body = JSON.stringify({
        content: `m${k}`,
        client_id: `s${room}-${k}`,
        username: `sender${p}`,
      });
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const res = await httpRequest(
            `${(servers[p] as RunningServer).httpUrl}/api/chat/rooms/${roomId}/messages`,
            'POST',
            body,
          );
          if (res.status === 200 || res.status === 201) {
            sent[roomId] = (sent[roomId] ?? 0) + 1;
            return;
          }
        } catch {
          // retried with the same client_id: stored at most once
        }
        sendRetried++;
        await sleep(200 * (attempt + 1));
      }
      sendFailed++;
    });
    const restSendMs = Math.round(wallMs() - tSend);
    await settle(workers, 2_000, 120_000);
    const messagesCpuMs = servers.map((s, p) => Math.round(s.cpuMs() - (cpu1[p] as number)));
    clearInterval(sampler);

    // The store is the truth: each room's final seq, and how many messages it holds.
    const finals: Record<string, number> = {};
    let storeMismatch = 0;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const res = await client.query<{ room_id: string; last: number; n: number }>(
        `SELECT room_id, max(seq)::int AS last, count(*)::int AS n FROM "${schema}".messages GROUP BY room_id`,
      );
      for (const row of res.rows) {
        finals[row.room_id] = row.last;
        const expected = row.room_id === big ? MESSAGES : (sent[row.room_id] ?? 0);
        if (row.n !== row.last || row.n !== expected) storeMismatch++;
      }
    } finally {
      await client.end();
    }
    const roomsWithoutMessages = roomIds.filter((id) => !finals[id]).length;
    const bigFinal = finals[big] ?? 0;
    const sendersPerfect = senderSeqs.filter(
      (seqs) => seqs.length === bigFinal && seqs.every((seq, i) => seq === i + 1),
    ).length;
    const verified = await Promise.all(
      workers.map((w) => w.call<VerifyReply>({ cmd: 'verify', finals })),
    );
    const exact = verified.reduce<ExactCounts>((sum, v) => {
      for (const key of Object.keys(sum) as (keyof ExactCounts)[]) sum[key] += v.exact[key];
      return sum;
    }, noCounts());
    const st = await statusAll(workers);
    const errors = await Promise.all(servers.map(serverErrors));
    const rssAfter = await Promise.all(servers.map(settledRss));
    const services2 = await servicesMemory();
    const result = {
      clients: clusterCount,
      processes: CLUSTER_PROCESSES,
      rooms: {
        total: sizes.length,
        of1000: sizes.filter((n) => n === BIG).length,
        of100: sizes.filter((n) => n === 100).length,
        of10: sizes.filter((n) => n === 10).length,
        other: sizes.filter((n) => n !== BIG && n !== 100 && n !== 10),
      },
      loadGenerators: nWorkers,
      sourceAddresses: SOURCES,
      handshakesInFlight: perWorker * nWorkers,
      preflight,
      openFileLimits: { servers: serverLimits, loadGenerators: workerLimits },
      assignedPerProcess: perProcess,
      opened: opened.opened,
      failed: opened.failed,
      handshakesRetried: opened.retried,
      firstError: opened.firstError,
      lastOpenMs,
      setupMs,
      setupServerCpuMs: setupCpuMs,
      setupServerRunWaitMs: setupRunWaitMs,
      setupMachineBusyCores: setupBusyCores,
      connectionsOpenPerProcess: held,
      openFilesPerProcess: fds,
      closedByServer: st.closedByServer,
      firstClose: st.firstClose,
      serverErrors: errors,
      rssMB: {
        before: rssBefore.map(MB),
        peakDuringSetup: peakSetup.map(MB),
        peakUntilVerified: peak.map(MB),
        held: rssHeld.map(MB),
        afterMessages: rssAfter.map(MB),
      },
      bytesPerConnection: servers.map((_, p) =>
        Math.round(((rssHeld[p] as number) - (rssBefore[p] as number)) / (perProcess[p] || 1)),
      ),
      services: { before: services0, held: services1, afterMessages: services2 },
      bigRoom: {
        members: BIG,
        senders: CLUSTER_PROCESSES,
        messages: MESSAGES,
        ratePerSecond: RATE,
        expectedDeliveries: MESSAGES * Math.min(BIG, clusterCount),
        ...latency.all,
        sameProcess: latency.sameProcess,
        crossProcess: latency.crossProcess,
        echoToSender: latency.echoToSender,
        atTheSenders: latency.atTheSenders,
        serverEcho,
        phase: bigRoomPhase,
      },
      otherRooms: {
        messagesPerRoom: perRoom,
        messages: items.length,
        restSendMs,
        sendRetried,
        sendFailed,
      },
      messagesServerCpuMs: messagesCpuMs,
      roomsWithoutMessages,
      storeMismatch,
      delivery: exact,
      /** The room of 1,000's senders are members too: seq 1 to the last, once, in order. */
      sendersPerfect,
      ok:
        opened.failed === 0 &&
        st.closedByServer === 0 &&
        errors.every((e) => e.busErrors + e.storeErrors + e.slowConsumersDropped === 0) &&
        storeMismatch === 0 &&
        sendFailed === 0 &&
        roomsWithoutMessages === 0 &&
        exact.perfect === exact.clients &&
        exact.clients === clusterCount &&
        sendersPerfect === CLUSTER_PROCESSES &&
        bigFinal === MESSAGES,
    };
    console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    clearInterval(sampler);
    for (const ws of senders) ws.terminate();
    await Promise.all(servers.map((s) => s.stop()));
    await closeWorkers(workers);
    for (const s of servers) s.dispose();
    await Promise.all([dropSchema(schema), clearRedisPrefix(prefix, REDIS_URL)]);
  }
}

/* ------------------------------------------------------------------ main */

await buildServers();
const out: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  command: `npx tsx bench/scale.ts ${args.join(' ')}`.trim(),
  note: 'shared 2-core machine, nothing pinned',
};
if (parts.includes('join')) {
  out.join = [];
  for (const kind of servers) (out.join as unknown[]).push(await joinStorm(kind));
}
if (parts.includes('hold')) {
  out.hold = [];
  for (const kind of servers) (out.hold as unknown[]).push(await hold(kind));
}
if (parts.includes('reconnect')) out.reconnect = await reconnectStorm();
if (parts.includes('cluster')) out.cluster = await cluster();
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/scale-${parts.join('-')}.json`;
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
process.exit(0);
