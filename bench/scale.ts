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
//
// A process may open at most 20,000 files here, so the clients live in several
// load-generator processes (bench/scale-worker.ts), and connect from several
// 127.0.0.x source addresses (loopback has ~28,000 ephemeral ports per address).
// Nothing is pinned: the machine is shared. Results go to bench/results/scale-*.json.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildServers } from './build.js';
import { createRooms, httpRequest, sleep } from './load-generator.js';
import { machineBusyMs } from './proc.js';
import type {
  ClientSpec,
  OpenReply,
  StatusReply,
  VerifyReply,
  WorkerCommand,
} from './scale-worker.js';
import { wallMs } from './scale-worker.js';
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
  private queue: Promise<unknown> = Promise.resolve();
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  constructor(readonly child: ChildProcess) {
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
async function openSpread(workers: Worker[], specs: ClientSpec[], concurrency = 128) {
  const shares: ClientSpec[][] = workers.map(() => []);
  specs.forEach((s, i) => {
    shares[i % workers.length]?.push(s);
  });
  const replies = await Promise.all(
    workers.map((w, i) => w.call<OpenReply>({ cmd: 'open', specs: shares[i] ?? [], concurrency })),
  );
  return {
    opened: replies.reduce((s, r) => s + r.opened, 0),
    failed: replies.reduce((s, r) => s + r.failed, 0),
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
        await Promise.all(workers.map((w) => w.call<number[]>({ cmd: 'latencies' })))
      ).flat();
      lat.sort((a, b) => a - b);
      const pct = (p: number) =>
        lat.length
          ? Math.round(
              (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] as number) * 100,
            ) / 100
          : null;
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
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/scale-${parts.join('-')}.json`;
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
process.exit(0);
