// The benchmark's baselines must speak Parley's frames, or the load generator
// would compare unlike things. No timings here: `npm run bench` measures.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type BareWsOptions, startBareWs } from '../../bench/baselines/bare-ws-server.js';
import { startSocketIo } from '../../bench/baselines/socketio-server.js';
import { type BenchClient, connectClient, FIRST } from '../../bench/load-generator.js';
import type { RunningServer } from '../../bench/servers.js';

interface Frame {
  type: string;
  data: Record<string, unknown>;
}

const base = (server: Server) => `127.0.0.1:${(server.address() as AddressInfo).port}`;

async function createRoom(server: Server): Promise<string> {
  const res = await fetch(`http://${base(server)}/api/chat/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Collects a connection's frames; `next(type)` waits for the next one of that type. */
function collector() {
  const frames: Frame[] = [];
  let wake: (() => void) | null = null;
  return {
    push(frame: Frame) {
      frames.push(frame);
      wake?.();
    },
    async next(type: string): Promise<Frame> {
      for (;;) {
        const i = frames.findIndex((f) => f.type === type);
        if (i >= 0) return frames.splice(i, 1)[0] as Frame;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'parley-baselines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const floorDb = join(dir, 'floor.db');

describe.each<[string, BareWsOptions]>([
  ['bare ws baseline', {}],
  ['ceiling baseline (bare ws, coalesced writes)', { coalesce: true }],
  ['floor baseline (the ceiling storing in SQLite)', { coalesce: true, store: floorDb }],
])('%s', (_name, options) => {
  let server: Server;
  beforeAll(async () => {
    server = await startBareWs('127.0.0.1', 0, options);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('speaks Parley frames, as text, and echoes a message to everyone with a seq', async () => {
    const room = await createRoom(server);
    const open = (name: string) => {
      const ws = new WebSocket(`ws://${base(server)}/ws/chat/${room}?username=${name}`);
      const c = collector();
      ws.on('message', (data, isBinary) => {
        expect(isBinary).toBe(false);
        c.push(JSON.parse(data.toString()) as Frame);
      });
      return { ws, c, opened: new Promise((r) => ws.once('open', r)) };
    };
    const alice = open('alice');
    await alice.opened;
    expect((await alice.c.next('join')).data).toEqual({
      username: 'alice',
      message: 'alice joined the room',
    });
    expect((await alice.c.next('user_list')).data).toEqual({ users: ['alice'] });
    const bob = open('bob');
    await bob.opened;
    expect((await alice.c.next('user_list')).data).toEqual({ users: ['alice', 'bob'] });
    alice.ws.send(JSON.stringify({ type: 'message', content: 'hi', client_id: 'c1' }));
    for (const who of [alice, bob]) {
      const m = await who.c.next('message');
      expect(Object.keys(m.data)).toEqual([
        'id',
        'room_id',
        'username',
        'content',
        'timestamp',
        'seq',
        'client_id',
      ]);
      expect(m.data).toMatchObject({ room_id: room, username: 'alice', content: 'hi', seq: 1 });
    }
    alice.ws.close();
    expect((await bob.c.next('leave')).data).toMatchObject({ username: 'alice' });
    bob.ws.close();
  });

  it('delivers a burst sent in one write whole and in order (one frame per message)', async () => {
    const room = await createRoom(server);
    const ws = new WebSocket(`ws://${base(server)}/ws/chat/${room}?username=erin`);
    const seqs: number[] = [];
    ws.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      const f = JSON.parse(data.toString()) as Frame;
      if (f.type === 'message') seqs.push(f.data.seq as number);
    });
    await new Promise((r) => ws.once('open', r));
    // Many frames in one TCP write: the server handles them in one tick, so with
    // coalescing all their broadcasts sit corked together until nextTick.
    const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.cork();
    for (let i = 0; i < 50; i++) ws.send(JSON.stringify({ type: 'message', content: `m${i}` }));
    raw.uncork();
    while (seqs.length < 50) await new Promise((r) => setTimeout(r, 20));
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    ws.close();
  });
});

describe('floor baseline', () => {
  let server: Server;
  const path = join(dir, 'floor-order.db');
  beforeAll(async () => {
    server = await startBareWs('127.0.0.1', 0, { coalesce: true, store: path });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("stores every message, in order, with Parley's schema, search index and room_seq, by the time it arrives", async () => {
    const room = await createRoom(server);
    const reader = new Database(path, { readonly: true });
    const stored = reader.prepare<[string, number], { content: string }>(
      'SELECT content FROM messages WHERE room_id = ? AND seq = ?',
    );
    const ws = new WebSocket(`ws://${base(server)}/ws/chat/${room}?username=fay`);
    const seen: { seq: number; inFile: boolean }[] = [];
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      if (f.type !== 'message') return;
      const seq = f.data.seq as number;
      seen.push({ seq, inFile: stored.get(room, seq)?.content === f.data.content });
    });
    await new Promise((r) => ws.once('open', r));
    const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.cork();
    for (let i = 0; i < 30; i++) {
      ws.send(JSON.stringify({ type: 'message', content: `word${i} shared`, client_id: `k${i}` }));
    }
    raw.uncork();
    while (seen.length < 30) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => ({ seq: i + 1, inFile: true })));
    expect(reader.prepare('SELECT last_seq FROM rooms WHERE id = ?').pluck().get(room)).toBe(30);
    // The search index takes each message within 250 ms, by the same tokens as Parley's.
    const hits = reader
      .prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'shared'")
      .pluck();
    while (hits.get() !== 30) await new Promise((r) => setTimeout(r, 20));
    expect(
      reader
        .prepare(
          "SELECT m.seq FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH 'word7'",
        )
        .pluck()
        .all(),
    ).toEqual([8]);
    // room_seq takes them within a second, as Parley's does, pointing at their rows.
    const placed = reader
      .prepare<[string], number>(
        `SELECT count(*) FROM room_seq s JOIN messages m ON m.rowid = s.msg AND m.seq = s.seq
         WHERE s.room = (SELECT rowid FROM rooms WHERE id = ?)`,
      )
      .pluck();
    while (placed.get(room) !== 30) await new Promise((r) => setTimeout(r, 20));
    reader.close();
    ws.close();
  });
});

describe('Socket.IO baseline', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startSocketIo('127.0.0.1', 0);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('emits each Parley frame as an event named after its type (real socket.io-client)', async () => {
    const room = await createRoom(server);
    const socket = ioClient(`http://${base(server)}`, {
      transports: ['websocket'],
      query: { room, username: 'carol' },
      reconnection: false,
    });
    const c = collector();
    for (const type of ['join', 'user_list', 'message']) {
      socket.on(type, (frame: Frame) => c.push(frame));
    }
    expect(await c.next('join')).toEqual({
      type: 'join',
      data: { username: 'carol', message: 'carol joined the room' },
    });
    expect((await c.next('user_list')).data).toEqual({ users: ['carol'] });
    socket.emit('message', { type: 'message', content: 'hello', client_id: 'k1' });
    expect((await c.next('message')).data).toMatchObject({
      room_id: room,
      username: 'carol',
      content: 'hello',
      seq: 1,
      client_id: 'k1',
    });
    socket.close();
  });

  it("works with the load generator's own engine.io client", async () => {
    const room = await createRoom(server);
    const fake = { kind: 'sio', wsUrl: `ws://${base(server)}` } as RunningServer;
    const client: BenchClient = connectClient(fake, room, 0, 'dave');
    const got: string[] = [];
    client.onFrame = (_c, buf, typeByte) => {
      if (typeByte === FIRST.message) got.push(buf.toString());
    };
    await client.ready;
    client.sendMessage('~B~0.0.0.1~', 'z1');
    while (got.length === 0) await new Promise((r) => setTimeout(r, 20));
    expect(got[0]).toMatch(/^42\["message",\{"type":"message","data":\{.*"seq":1/);
    client.terminate();
  });
});
