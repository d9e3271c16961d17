// ChatConnection over a real WebSocket pair on loopback: the delivery state it
// owns (lastSeq across a resume racing live traffic), write coalescing and the
// heartbeat.
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ServerFrame } from '../../../src/protocol/frames.js';
import type { Message } from '../../../src/protocol/rest.js';
import { ChatConnection } from '../../../src/server/ws/connection.js';
import { messageFrame } from '../../../src/server/ws/server-frames.js';
import { WriteCoalescer } from '../../../src/server/ws/write-coalescer.js';
import { eventually } from '../../support/ws-client.js';

const msg = (seq: number): Message => ({
  id: `m${seq}`,
  room_id: 'r',
  username: 'u',
  content: `#${seq}`,
  timestamp: new Date(0).toISOString(),
  seq,
});

interface Pair {
  conn: ChatConnection;
  /** The server side of the socket. */
  ws: WebSocket;
  received: ServerFrame[];
  client: WebSocket;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function pair(clientOptions: WebSocket.ClientOptions = {}): Promise<Pair> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address() as { port: number };
  const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) =>
    wss.once('connection', (ws, req) => resolve({ ws, socket: req.socket })),
  );
  const client = new WebSocket(`ws://127.0.0.1:${port}`, clientOptions);
  const received: ServerFrame[] = [];
  client.on('message', (data) => received.push(JSON.parse(data.toString()) as ServerFrame));
  await new Promise((r) => client.once('open', r));
  const { ws, socket } = await accepted;
  const conn = new ChatConnection(
    ws,
    'r',
    'u',
    '127.0.0.1',
    { slowConsumerBytes: 1 << 22, ratePerSec: 0, rateBurst: 0, throttleMaxMs: 0 },
    { frame: () => {} },
    { socket, coalescer: new WriteCoalescer() },
  );
  cleanups.push(() => {
    client.terminate();
    wss.close();
  });
  return { conn, ws, received, client };
}

const seqs = (frames: ServerFrame[]) =>
  frames.flatMap((f) => (f.type === 'message' ? [f.data.seq] : []));

describe('ChatConnection', () => {
  it('delivers each seq once and in order, skipping what it delivered already', async () => {
    const { conn, received } = await pair();
    expect(conn.deliverMessage(1, messageFrame(msg(1)))).toBe(true);
    expect(conn.deliverMessage(1, messageFrame(msg(1)))).toBe(false);
    expect(conn.deliverMessage(2, messageFrame(msg(2)))).toBe(true);
    await eventually(() => received.length === 2);
    expect(seqs(received)).toEqual([1, 2]);
  });

  it('a resume racing live traffic: the replay, then held live messages after it, none twice', async () => {
    const { conn, received } = await pair();
    conn.holdForResume();
    // Live messages committed while the store was being read (the read saw 5 and 6 too).
    for (const seq of [5, 6, 7]) conn.deliverMessage(seq, messageFrame(msg(seq)));
    expect(received).toEqual([]);
    conn.resume({
      kind: 'replay',
      entries: [3, 4, 5, 6].map((s) => ({ kind: 'message' as const, seq: s, message: msg(s) })),
      lastSeq: 6,
    });
    await eventually(() => received.length >= 5);
    await new Promise((r) => setTimeout(r, 20));
    expect(seqs(received)).toEqual([3, 4, 5, 6, 7]);
  });

  it('a resync: the resync frame, then only live messages after its seq', async () => {
    const { conn, received } = await pair();
    conn.holdForResume();
    for (const seq of [9, 10, 11]) conn.deliverMessage(seq, messageFrame(msg(seq)));
    conn.resume({
      kind: 'resync',
      resync: { latest_seq: 10, missed: 10, epoch: 'e', reason: 'ahead' },
      lastSeq: 10,
    });
    await eventually(() => received.length >= 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(received.map((f) => f.type)).toEqual(['resync', 'message']);
    expect(seqs(received)).toEqual([11]);
  });

  it('coalesces a burst of frames written in one tick into one flush', async () => {
    const { conn, received } = await pair();
    for (let seq = 1; seq <= 200; seq++) conn.deliverMessage(seq, messageFrame(msg(seq)));
    await eventually(() => received.length === 200);
    expect(seqs(received)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('drops a peer that does not answer pings, keeps one that does', async () => {
    const silent = await pair({ autoPong: false });
    const polite = await pair();
    const answered = new Promise((r) => polite.ws.once('pong', r));
    expect(silent.conn.heartbeat()).toBe(true);
    expect(polite.conn.heartbeat()).toBe(true);
    await answered;
    expect(silent.conn.heartbeat()).toBe(false);
    expect(polite.conn.heartbeat()).toBe(true);
    await eventually(() => silent.client.readyState === WebSocket.CLOSED);
  });
});
