// `npm run bench:workspace`: what a sidebar of many rooms costs the server. One
// `/ws/workspace` socket subscribed to --rooms rooms (500) while --messages
// messages flow in --active of them (5), against the same messages in a sidebar
// of one room. Messages are posted over REST, --active at a time, in both cases. Each case runs on a fresh server process (dist/server/main.js,
// SQLite); the server's CPU time and memory are read from /proc, the frames and
// bytes the socket received are counted here.
//
//   npm run build && npm run bench:workspace -- --rooms=500 --active=5 --messages=2000
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createRoom } from '../test/support/api.js';
import { type SpawnedServer, spawnServer } from '../test/support/spawn-server.js';
import { processCpuMs, processRssBytes } from './proc.js';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v = 'true'] = a.replace(/^--/, '').split('=');
    return [k, v] as const;
  }),
);
const ROOMS = Number(args.get('rooms') ?? 500);
const ACTIVE = Number(args.get('active') ?? 5);
const MESSAGES = Number(args.get('messages') ?? 2000);

interface Result {
  label: string;
  subscribed: number;
  subscribeCpuMs: number;
  rssIdleMiB: number;
  rssSubscribedMiB: number;
  messageCpuMs: number;
  cpuPerMessageUs: number;
  framesReceived: number;
  bytesReceived: number;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Opens a socket and resolves after `hello`; counts every frame and byte after it. */
async function openWorkspace(wsUrl: string) {
  const ws = new WebSocket(`${wsUrl}/ws/workspace?username=reader`);
  const counts = { frames: 0, bytes: 0, subscribed: 0, messages: 0 };
  let wake: (() => void) | null = null;
  ws.on('message', (data: Buffer) => {
    counts.frames++;
    counts.bytes += data.length;
    const type = (JSON.parse(data.toString()) as { type: string }).type;
    if (type === 'subscribed') counts.subscribed++;
    if (type === 'message') counts.messages++;
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise<void>((r) => (wake = r));
    wake = null;
  };
  return { ws, counts, until };
}

/**
 * Posts `count` messages over REST, `ACTIVE` at a time, round-robin over
 * `rooms`: the same load in both cases, whatever the sidebar.
 */
async function post(baseUrl: string, rooms: string[], count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      const roomId = rooms[n % rooms.length] as string;
      const res = await fetch(`${baseUrl}/api/chat/rooms/${roomId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'writer', content: `message ${n}` }),
      });
      if (res.status !== 201) throw new Error(`post: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: ACTIVE }, worker));
}

async function run(label: string, subscribedRooms: number, activeRooms: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-ws-'));
  const server: SpawnedServer = await spawnServer({
    dbPath: join(dir, 'chat.db'),
    env: {
      CHAT_WS_RATE: '0',
      CHAT_HTTP_RATE: '0',
      CHAT_ROOM_CREATE_RATE: '0',
      CHAT_WS_MAX_PER_IP: '0',
      NODE_ENV: 'production',
    },
  });
  try {
    const pid = server.pid() as number;
    const wsUrl = server.url.replace(/^http/, 'ws');
    const rooms: string[] = [];
    for (let i = 0; i < subscribedRooms; i++) rooms.push((await createRoom(server.url)).id);
    const reader = await openWorkspace(wsUrl);
    const rssIdle = processRssBytes(pid);

    let cpu = processCpuMs(pid);
    // The first room is the one on screen (presence); the rest are watched.
    for (const [i, id] of rooms.entries()) {
      reader.ws.send(JSON.stringify({ type: 'subscribe', room_id: id, presence: i === 0 }));
    }
    await reader.until(() => reader.counts.subscribed === rooms.length);
    const subscribeCpuMs = processCpuMs(pid) - cpu;
    const rssSubscribed = processRssBytes(pid);

    const before = { ...reader.counts };
    cpu = processCpuMs(pid);
    await post(server.url, rooms.slice(0, activeRooms), MESSAGES);
    await reader.until(() => reader.counts.messages - before.messages >= MESSAGES);
    const messageCpuMs = processCpuMs(pid) - cpu;
    reader.ws.close();
    return {
      label,
      subscribed: rooms.length,
      subscribeCpuMs: Math.round(subscribeCpuMs),
      rssIdleMiB: mib(rssIdle),
      rssSubscribedMiB: mib(rssSubscribed),
      messageCpuMs: Math.round(messageCpuMs),
      cpuPerMessageUs: Math.round((messageCpuMs * 1000) / MESSAGES),
      framesReceived: reader.counts.frames - before.frames,
      bytesReceived: reader.counts.bytes - before.bytes,
    };
  } finally {
    await server.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [
  await run(`sidebar of ${ROOMS} rooms, ${ACTIVE} active`, ROOMS, ACTIVE),
  await run('sidebar of 1 room', 1, 1),
];
console.log(
  `\n${MESSAGES} messages; the server's CPU while they flow includes storing them (the same work in both cases)\n`,
);
console.log(
  '| case | rooms subscribed | subscribe CPU (ms) | RSS idle → subscribed (MiB) | CPU while messages flow (ms) | per message (µs) | frames to the socket | bytes to the socket |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.subscribed} | ${r.subscribeCpuMs} | ${r.rssIdleMiB} → ${r.rssSubscribedMiB} | ${r.messageCpuMs} | ${r.cpuPerMessageUs} | ${r.framesReceived} | ${r.bytesReceived} |`,
  );
}
