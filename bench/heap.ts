// `npx tsx bench/heap.ts [--servers=parley,bare] [--connections=3000]`
// JS heap per idle connection, by kind of object: each server (as the suite runs
// it) takes a V8 heap snapshot with no client and another with N clients in one
// room; the difference, grouped by object kind and divided by N, is what a
// connection keeps on the heap. RSS per connection is bench/scale.ts's job; this
// shows where it goes (README "Scale on one process").
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { buildServers } from './build.js';
import { type ServerKind, startServer } from './servers.js';

const option = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const kinds = (option('servers') ?? 'parley,bare').split(',') as ServerKind[];
const N = Number(option('connections') ?? 3000);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** kind ("type:name") -> [count, bytes] of every node in a heap snapshot. */
function byKind(file: string): Map<string, [number, number]> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const kinds = new Map<string, [number, number]>();
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + ti] as number] as string;
    // Strings and code by type only: their names are their contents.
    const name = /string|code/.test(type) ? '' : (s.strings[s.nodes[i + ni] as number] ?? '');
    const key = `${type}:${name.slice(0, 60)}`;
    const entry = kinds.get(key) ?? [0, 0];
    entry[0]++;
    entry[1] += s.nodes[i + si] as number;
    kinds.set(key, entry);
  }
  return kinds;
}

/** Asks the server for a snapshot (SIGUSR2) and waits until the file is complete. */
async function snapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let last = -1; ; ) {
    await sleep(1000);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last) return join(dir, file);
    last = size;
  }
}

async function connect(wsUrl: string, roomId: string, n: number): Promise<WebSocket[]> {
  const open: WebSocket[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, (_, j) => {
      const ws = new WebSocket(`${wsUrl}/ws/chat/${roomId}?username=u${i + j}`);
      ws.on('message', () => {});
      open.push(ws);
      return new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    });
    await Promise.all(batch);
  }
  return open;
}

async function measure(kind: ServerKind): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-heap-'));
  process.env.BENCH_NODE_ARGS = `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`;
  const server = await startServer(kind, {
    pinning: { server: null, loadGenerator: null, nice: null, note: 'nothing pinned' },
  });
  try {
    const res = await fetch(`${server.httpUrl}/api/chat/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'heap' }),
    });
    const room = (await res.json()) as { id: string };
    // A warm-up, so code compiled for the first connections is in both snapshots.
    for (const ws of await connect(server.wsUrl, room.id, 200)) ws.close();
    await sleep(3000);
    const empty = byKind(await snapshot(server.pid, dir));
    const clients = await connect(server.wsUrl, room.id, N);
    await sleep(5000);
    const full = byKind(await snapshot(server.pid, dir));
    const rows = [...full].map(([key, [count, bytes]]) => {
      const [count0, bytes0] = empty.get(key) ?? [0, 0];
      return { key, count: (count - count0) / N, bytes: (bytes - bytes0) / N };
    });
    const total = rows.reduce((sum, r) => sum + r.bytes, 0);
    console.log(`\n${kind}: ${total.toFixed(0)} bytes of heap per connection (${N} connections)`);
    rows.sort((a, b) => b.bytes - a.bytes);
    for (const r of rows.slice(0, 25)) {
      console.log(
        `${r.bytes.toFixed(1).padStart(8)} B ${r.count.toFixed(2).padStart(6)} × ${r.key}`,
      );
    }
    for (const ws of clients) ws.terminate();
  } finally {
    await server.stop();
    server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await buildServers();
for (const kind of kinds) await measure(kind);
