// `npm run bench:cluster [-- --quick] [-- --reps=N] [-- --no-pin]`
// Two Parley processes on PostgreSQL + Redis against one Parley process on SQLite,
// on the room-10 and ingest cells of `npm run bench` (same parameters, same load
// generator and checks), alternating. CPU per delivery is counted for everything a
// delivery costs: the Parley processes, redis-server and every postgres process
// (backends, WAL writer, checkpointer: commits cost there too), read from /proc.
// Writes bench/results/cluster.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  clearRedisPrefix,
  dropSchema,
  TEST_PG_URL as PG_URL,
  TEST_REDIS_URL as REDIS_URL,
} from '../test/support/services.js';
import { buildServers } from './build.js';
import { FULL, type Profile, QUICK } from './cells.js';
import {
  type BenchClient,
  closeAll,
  connectClient,
  createRooms,
  type LoadResult,
  pool,
  quiesce,
  runPhase,
} from './load-generator.js';
import { countMessages } from './prefill.js';
import { pidsNamed, processCpuMs, waitForQuiet } from './proc.js';
import { type RunningServer, setUpPinning, startServer } from './servers.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const profile: Profile = { ...(flag('quick') ? QUICK : FULL) };
if (option('reps')) profile.reps = Math.max(1, Number(option('reps')));
const pinning = setUpPinning('0', '1', !flag('no-pin'), flag('no-nice') ? 0 : -10);

type Setup = 'sqlite-1' | 'pg-redis-2';
const SETUPS: readonly Setup[] = ['sqlite-1', 'pg-redis-2'];
const SETUP_LABEL: Record<Setup, string> = {
  'sqlite-1': '1 process, SQLite',
  'pg-redis-2': '2 processes, PostgreSQL + Redis',
};

interface Cell {
  id: string;
  title: string;
  rooms: number;
  members: number;
  senders: number;
}
const CELLS: Cell[] = [
  { id: 'room-10', title: 'a room of 10 at full speed', rooms: 1, members: 10, senders: 10 },
  {
    id: 'ingest',
    title: '500 rooms of 2, everyone sending',
    rooms: 500,
    members: 2,
    senders: 2,
  },
];

/* ------------------------------------------------------------ CPU of the services */

/** CPU ms per pid of the processes named `comm`. */
function cpuByPid(comm: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pidsNamed(comm)) {
    try {
      out.set(pid, processCpuMs(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

interface Snapshot {
  parley: number;
  redis: Map<number, number>;
  postgres: Map<number, number>;
}

/** CPU used between two snapshots by the processes of `after` (new ones counted from 0). */
function delta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

/**
 * What runPhase sees as "the server": the Parley processes together. runPhase reads
 * cpuMs() exactly at the start and at the end of its measurement window, so each
 * call also snapshots Redis and PostgreSQL: the last two snapshots are that window.
 */
function facade(servers: RunningServer[], snapshots: Snapshot[]): RunningServer {
  const first = servers[0] as RunningServer;
  return {
    ...first,
    cpuMs() {
      const parley = servers.reduce((sum, s) => sum + s.cpuMs(), 0);
      snapshots.push({ parley, redis: cpuByPid('redis-server'), postgres: cpuByPid('postgres') });
      return parley;
    },
    rssBytes: () => servers.reduce((sum, s) => sum + s.rssBytes(), 0),
    output: () => servers.map((s) => s.output()).join('\n'),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
    dispose: () => {
      for (const s of servers) s.dispose();
    },
  };
}

/* ------------------------------------------------------------ one run */

interface Run {
  setup: Setup;
  cell: string;
  rep: number;
  load: LoadResult;
  /** CPU µs per delivery in the measurement window. */
  us: { parley: number; redis: number; postgres: number; total: number };
  stored: number | null;
  /** Cores used meanwhile by processes other than Parley, Redis, PostgreSQL and the load generator. */
  otherCores: number;
}

const random = () => Math.random().toString(36).slice(2, 10);

async function runOne(setup: Setup, cell: Cell, rep: number): Promise<Run> {
  const schema = `parley_bench_${random()}`;
  const prefix = `parley_bench_${random()}:`;
  const servers: RunningServer[] = [];
  let clients: BenchClient[] = [];
  const snapshots: Snapshot[] = [];
  try {
    if (setup === 'sqlite-1') {
      servers.push(await startServer('parley', { pinning }));
    } else {
      const env = {
        DATABASE_URL: PG_URL,
        CHAT_PG_SCHEMA: schema,
        REDIS_URL,
        CHAT_REDIS_PREFIX: prefix,
      };
      // One after the other: the first one migrates the fresh schema.
      servers.push(await startServer('parley', { pinning, env }));
      servers.push(await startServer('parley', { pinning, env }));
    }
    const server = facade(servers, snapshots);
    const roomIds = await createRooms(servers[0] as RunningServer, cell.rooms);
    const specs = [];
    for (let r = 0; r < cell.rooms; r++) {
      for (let m = 0; m < cell.members; m++) {
        specs.push({ roomId: roomIds[r] as string, roomIndex: r, username: `u${r}_${m}`, m });
      }
    }
    // Half of each room's members on each process: every message crosses Redis.
    clients = await pool(specs, 500, async (s) => {
      const target = servers[s.m % servers.length] as RunningServer;
      const client = connectClient(target, s.roomId, s.roomIndex, s.username);
      await client.ready;
      return client;
    });
    await quiesce(clients, 300, 120_000);
    const load = await runPhase(server, clients, {
      membersPerRoom: cell.members,
      sendersPerRoom: cell.senders,
      window: profile.window,
      warmupMs: profile.warmupMs,
      measureMs: profile.measureMs,
      drainMs: profile.drainMs,
      contentLength: profile.contentLength,
      clientIds: true,
    });
    const [a, b] = snapshots.slice(-2) as [Snapshot, Snapshot];
    const d = load.deliveries || 1;
    const parleyMs = b.parley - a.parley;
    const redisMs = delta(a.redis, b.redis);
    const pgMs = delta(a.postgres, b.postgres);
    const us = {
      parley: (parleyMs * 1000) / d,
      redis: (redisMs * 1000) / d,
      postgres: (pgMs * 1000) / d,
      total: ((parleyMs + redisMs + pgMs) * 1000) / d,
    };
    // runPhase counts Redis and PostgreSQL as "other": here they are measured, not noise.
    const otherCores = Math.max(0, load.otherCpuUtil - (redisMs + pgMs) / load.measuredMs);
    await server.stop();
    closeAll(clients);
    clients = [];
    let stored: number | null = null;
    if (cell.id === 'ingest') {
      if (setup === 'sqlite-1' && servers[0]?.dbPath) stored = countMessages(servers[0].dbPath);
      else if (setup === 'pg-redis-2') {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          const res = await client.query(`SELECT count(*)::int AS n FROM "${schema}".messages`);
          stored = (res.rows[0] as { n: number }).n;
        } finally {
          await client.end();
        }
      }
    }
    return { setup, cell: cell.id, rep, load, us, stored, otherCores };
  } finally {
    for (const s of servers) await s.stop();
    closeAll(clients);
    for (const s of servers) s.dispose();
    if (setup === 'pg-redis-2') await cleanUp(schema, prefix);
  }
}

async function cleanUp(schema: string, prefix: string): Promise<void> {
  await Promise.all([dropSchema(schema), clearRedisPrefix(prefix, REDIS_URL)]);
}

/* ------------------------------------------------------------ report */

const median = (values: number[]) => {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function line(r: Run): string {
  const k = r.load.correctness;
  return `${r.cell} · ${SETUP_LABEL[r.setup]} (run ${r.rep + 1}): ${r.us.total.toFixed(2)} µs/delivery (Parley ${r.us.parley.toFixed(2)}, Redis ${r.us.redis.toFixed(2)}, PostgreSQL ${r.us.postgres.toFixed(2)}), ${r.load.deliveriesPerSec.toLocaleString('en-US')} deliveries/s, ${r.load.messagesPerSec.toLocaleString('en-US')} msg/s, p99 ${r.load.latency.p99} ms, other ${r.otherCores.toFixed(2)} cores, lost ${k.lost} dup ${k.duplicated} ooo ${k.outOfOrder + k.seqInversions}${r.stored === null ? '' : `, stored ${r.stored}/${r.load.messagesSent}`}`;
}

function toMarkdown(runs: Run[], meta: Record<string, string>): string {
  const rows = [
    '| cell | setup | Parley µs | Redis µs | PostgreSQL µs | total µs/delivery | deliveries/s | messages/s | p99 ms | other load (cores) | lost / dup / out of order |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const cell of CELLS) {
    for (const setup of SETUPS) {
      const rs = runs.filter((r) => r.cell === cell.id && r.setup === setup);
      if (rs.length === 0) continue;
      const m = (f: (r: Run) => number) => median(rs.map(f));
      const sum = (f: (r: Run) => number) => rs.reduce((n, r) => n + f(r), 0);
      const k = (r: Run) => r.load.correctness;
      rows.push(
        `| ${cell.id} | ${SETUP_LABEL[setup]} | ${m((r) => r.us.parley).toFixed(2)} | ${m((r) => r.us.redis).toFixed(2)} | ${m((r) => r.us.postgres).toFixed(2)} | **${m((r) => r.us.total).toFixed(2)}** | ${Math.round(m((r) => r.load.deliveriesPerSec)).toLocaleString('en-US')} | ${Math.round(m((r) => r.load.messagesPerSec)).toLocaleString('en-US')} | ${m((r) => r.load.latency.p99).toFixed(1)} | ${rs.map((r) => r.otherCores.toFixed(2)).join(', ')} | ${sum((r) => k(r).lost)} / ${sum((r) => k(r).duplicated)} / ${sum((r) => k(r).outOfOrder + k(r).seqInversions + k(r).misrouted)} |`,
      );
    }
  }
  const head = Object.entries(meta)
    .map(([key, v]) => `- ${key}: ${v}`)
    .join('\n');
  return `${head}\n\nMedians of ${profile.reps} run(s) per cell and setup; µs of CPU per delivery in the measurement window; counters summed.\n\n${rows.join('\n')}\n\nEvery run, in the order run:\n\n${runs.map((r) => `- ${line(r)}`).join('\n')}\n`;
}

async function main(): Promise<void> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  process.stderr.write(`Parley cluster bench: ${pinning.note}\n`);
  await buildServers();
  const runs: Run[] = [];
  let quietBudgetMs = profile.quick ? 8_000 : 60_000;
  let startedBusy = 0;
  for (const cell of CELLS) {
    for (let rep = 0; rep < profile.reps; rep++) {
      const order = rep % 2 === 0 ? SETUPS : [...SETUPS].reverse();
      for (const setup of order) {
        if (quietBudgetMs > 0) {
          const q = await waitForQuiet(0.25, Math.min(quietBudgetMs, 15_000), 500);
          quietBudgetMs -= q.waitedMs;
          if (q.otherCores >= 0.25) startedBusy++;
        }
        const run = await runOne(setup, cell, rep);
        runs.push(run);
        process.stderr.write(`${line(run)}\n`);
      }
    }
  }
  const meta = {
    date,
    command: `npm run bench:cluster${args.length ? ` -- ${args.join(' ')}` : ''}`,
    pinning: `${pinning.note}; both Parley processes share the server CPU, redis-server and postgres are not pinned`,
    quiet: `${startedBusy} of ${runs.length} runs started with other processes using >= 0.25 cores`,
    profile: `warm-up ${profile.warmupMs} ms, measured ${profile.measureMs} ms, window ${profile.window}, ${profile.contentLength}-byte messages`,
    postgres:
      'CPU of every process named postgres (backends of other users of the server included)',
  };
  const md = toMarkdown(runs, meta);
  mkdirSync('bench/results', { recursive: true });
  const base = profile.quick ? 'cluster-quick' : 'cluster';
  writeFileSync(
    join('bench/results', `${base}.json`),
    `${JSON.stringify({ meta, runs }, null, 2)}\n`,
  );
  writeFileSync(join('bench/results', `${base}.md`), `# Parley cluster benchmark\n\n${md}`);
  process.stderr.write(`\n${md}\nwrote bench/results/${base}.{md,json}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
