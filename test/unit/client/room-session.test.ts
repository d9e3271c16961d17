import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../src/client/api.js';
import { type ConnectionNews, RoomSession } from '../../../src/client/room-session.js';
import { memoryStorage } from '../../../src/client/storage.js';
import { FakeApi } from './fake-api.js';
import { FakeSocket, socketFactory } from './fake-socket.js';

// The session's parts have tests of their own (outgoing-messages, room-history,
// room-notices, typing-signal); these drive them together through a fake socket.

function setup(opts: { pageSize?: number; store?: ReturnType<typeof memoryStorage> } = {}) {
  const api = new FakeApi();
  const store = opts.store ?? memoryStorage();
  const make = () =>
    new RoomSession({
      roomId: 'r',
      username: 'alice',
      api: api.api,
      store,
      wsUrl: (_r, u, since, epoch) =>
        `ws://x?username=${u}${since === undefined ? '' : `&since=${since}`}${epoch === undefined ? '' : `&epoch=${epoch}`}`,
      socketFactory,
      backoff: { jitter: 0 },
      pageSize: opts.pageSize ?? 100,
    });
  return { api, store, make };
}

const seqs = (s: RoomSession) => s.timeline.messages.map((m) => m.seq);
const sentMessages = (ws: FakeSocket) =>
  ws.sent.filter(
    (f): f is { type: 'message'; content: string; client_id: string } =>
      (f as { type: string }).type === 'message',
  );

describe('RoomSession', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('loads history, then connects with since=<last seq> and merges replays without duplicates', async () => {
    const { api, make } = setup();
    api.append('bob', 'one');
    api.append('bob', 'two');
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    expect(ws.url).toContain('since=2');
    expect(seqs(s)).toEqual([1, 2]);
    ws.open();
    const m2 = api.history[1]!;
    const m3 = api.append('bob', 'three');
    ws.push({ type: 'message', data: m2 });
    ws.push({ type: 'message', data: m3 });
    ws.push({ type: 'message', data: m3 });
    expect(seqs(s)).toEqual([1, 2, 3]);
  });

  it('connects with since=0 into an empty room', async () => {
    const { make } = setup();
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.last().url).toContain('since=0');
  });

  it('queues while offline, sends on open, settles on echo, and resends after a drop without doubling', async () => {
    const { api, make } = setup();
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.send('hello')).toBeNull();
    expect(s.outgoing.map((o) => o.content)).toEqual(['hello']);
    const ws1 = FakeSocket.last();
    ws1.open();
    const [frame] = sentMessages(ws1);
    expect(frame).toMatchObject({ content: 'hello' });
    // Stored by the server, but the connection dies before the echo.
    const stored = api.append('alice', 'hello', frame!.client_id);
    ws1.drop(1006);
    expect(s.outgoing).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    const ws2 = FakeSocket.last();
    expect(ws2.url).toContain('since=0');
    ws2.open();
    // Resent with the same idempotency key; the server answers with the stored one.
    expect(sentMessages(ws2)[0]?.client_id).toBe(frame!.client_id);
    ws2.push({ type: 'message', data: stored });
    ws2.push({ type: 'message', data: stored });
    expect(s.outgoing).toHaveLength(0);
    expect(seqs(s)).toEqual([1]);
  });

  it('through a long outage: tells once that it gave up, keeps the outbox, sends it when back', async () => {
    const api = new FakeApi();
    const s = new RoomSession({
      roomId: 'r',
      username: 'alice',
      api: api.api,
      store: memoryStorage(),
      wsUrl: (_r, u, since) => `ws://x?username=${u}&since=${since}`,
      socketFactory,
      backoff: { jitter: 0, maxAttempts: 2, slowMin: 1_000, slowMax: 1_000 },
    });
    const news: ConnectionNews[] = [];
    s.on('connection', (n) => news.push(n));
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    FakeSocket.last().drop(1006);
    s.send('written in the outage');
    for (let i = 0; i < 2 + 20; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      FakeSocket.last().drop(1006);
    }
    expect(s.state).toMatchObject({ kind: 'gave_up' });
    expect(news.filter((n) => n === 'gave_up')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    const ws = FakeSocket.last();
    ws.open();
    expect(sentMessages(ws).map((m) => m.content)).toEqual(['written in the outage']);
  });

  it('settles outbox items found in REST history (after a reload)', async () => {
    const { api, store, make } = setup();
    const first = make();
    first.send('from before the reload');
    const id = first.outgoing[0]!.client_id;
    first.stop();
    api.append('alice', 'from before the reload', id);
    const s = make();
    expect(s.outgoing).toHaveLength(1);
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.outgoing).toHaveLength(0);
    FakeSocket.last().open();
    expect(sentMessages(FakeSocket.last())).toHaveLength(0);
    expect(store.getItem('parley:outbox:v1:r')).toBeNull();
  });

  it('marks the message an error frame names as failed, and retries it', async () => {
    const { make } = setup();
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    s.send('first');
    s.send('second');
    const second = s.outgoing[1]!.client_id;
    ws.push({
      type: 'error',
      data: { code: 'STORE_FAILED', message: 'db down', client_id: second },
    });
    expect(s.outgoing.map((o) => [o.content, o.status])).toEqual([
      ['first', 'pending'],
      ['second', 'failed'],
    ]);
    // a rate-limit error names no frame: nothing is guessed, the echo timeout decides
    ws.push({ type: 'error', data: { code: 'RATE_LIMITED', message: 'slow down' } });
    expect(s.outgoing.map((o) => o.status)).toEqual(['pending', 'failed']);
    s.retry(second);
    expect(sentMessages(ws).map((f) => f.content)).toEqual(['first', 'second', 'second']);
  });

  it('marks a message failed when no echo arrives in time (10 s by default)', async () => {
    const { make } = setup();
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    s.send('lost');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(s.outgoing[0]?.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(s.outgoing[0]?.status).toBe('failed');
  });

  it('refuses empty and too long content', () => {
    const { make } = setup();
    const s = make();
    expect(s.send('   ')).toBe('empty');
    expect(s.send('x'.repeat(16_001))).toBe('too_long');
    expect(s.outgoing).toHaveLength(0);
  });

  it('reloads history from REST on resync and resumes from the new end', async () => {
    const { api, make } = setup({ pageSize: 3 });
    for (let i = 0; i < 3; i++) api.append('bob', `m${i}`);
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    FakeSocket.last().drop(1006);
    for (let i = 0; i < 10; i++) api.append('bob', `n${i}`);
    await vi.advanceTimersByTimeAsync(100);
    const ws = FakeSocket.last();
    expect(ws.url).toContain('since=3');
    ws.open();
    ws.push({
      type: 'resync',
      data: { latest_seq: 13, missed: 10, epoch: 'e1', reason: 'replay_limit' },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(seqs(s)).toEqual([11, 12, 13]);
    expect(s.hasOlder).toBe(true);
    expect(FakeSocket.last().url).toContain('since=13');
    await s.loadOlder();
    expect(seqs(s)).toEqual([8, 9, 10, 11, 12, 13]);
  });

  it('resumes with the epoch of the history it loaded', async () => {
    const { api, make } = setup();
    api.epoch = 'e1';
    api.append('bob', 'one');
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.last().url).toContain('since=1&epoch=e1');
    FakeSocket.last().open();
    FakeSocket.last().drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.last().url).toContain('since=1&epoch=e1');
    expect(seqs(s)).toEqual([1]);
  });

  it('replaces the timeline after a restore: resync with a new epoch, reload, resume in it', async () => {
    const { api, make } = setup();
    api.epoch = 'before';
    for (let i = 1; i <= 5; i++) api.append('bob', `m${i}`);
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    FakeSocket.last().drop(1001);
    // The server comes back with a backup that ends at seq 3, under a new epoch.
    api.restore(3, 'after');
    await vi.advanceTimersByTimeAsync(100);
    const ws = FakeSocket.last();
    expect(ws.url).toContain('since=5&epoch=before');
    ws.open();
    ws.push({
      type: 'resync',
      data: { latest_seq: 3, missed: 3, epoch: 'after', reason: 'epoch' },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(s.timeline.messages.map((m) => m.id)).toEqual([
      'restored-1',
      'restored-2',
      'restored-3',
    ]);
    const next = FakeSocket.last();
    expect(next).not.toBe(ws);
    expect(next.url).toContain('since=3&epoch=after');
    // Live messages of the new history are taken, even at seqs the old one had.
    next.open();
    next.push({ type: 'message', data: api.append('bob', 'new four') });
    expect(s.timeline.messages.map((m) => m.content)).toEqual([
      'restored m1',
      'restored m2',
      'restored m3',
      'new four',
    ]);
  });

  it('reloads instead of mixing histories when an older page comes from another epoch', async () => {
    const { api, make } = setup({ pageSize: 2 });
    api.epoch = 'before';
    for (let i = 1; i <= 5; i++) api.append('bob', `m${i}`);
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    api.restore(4, 'after');
    await s.loadOlder();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.timeline.messages.map((m) => m.id)).toEqual(['restored-3', 'restored-4']);
    expect(FakeSocket.last().url).toContain('since=4&epoch=after');
  });

  it('stops for good when the room does not exist', async () => {
    const { api, make } = setup();
    api.failWith = new ApiError(404, 'Room not found');
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.history.kind).toBe('not_found');
    expect(s.state).toMatchObject({ kind: 'closed', code: 4004 });
  });

  it('tracks typing of others (never our own), throttles ours', async () => {
    const { make } = setup();
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    ws.push({ type: 'typing', data: { username: 'alice', is_typing: true } });
    ws.push({ type: 'typing', data: { username: 'bob', is_typing: true } });
    expect(s.typing.names()).toEqual(['bob']);
    await vi.advanceTimersByTimeAsync(2_001);
    expect(s.typing.names()).toEqual([]);

    s.setTyping(true);
    s.setTyping(true);
    await vi.advanceTimersByTimeAsync(1_600);
    s.setTyping(true);
    s.setTyping(false);
    s.setTyping(false);
    const typing = ws.sent.filter((f) => (f as { type: string }).type === 'typing');
    expect(typing).toEqual([
      { type: 'typing', is_typing: true },
      { type: 'typing', is_typing: true },
      { type: 'typing', is_typing: false },
    ]);
  });

  it('shows join notices once, not again after a reconnect (and never our own)', async () => {
    const { make } = setup();
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    let ws = FakeSocket.last();
    ws.open();
    ws.push({ type: 'join', data: { username: 'alice', message: 'alice joined the room' } });
    ws.push({ type: 'join', data: { username: 'bob', message: 'bob joined the room' } });
    ws.push({ type: 'user_list', data: { users: ['bob', 'alice'] } });
    expect(s.users).toEqual(['alice', 'bob']);
    ws.drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    ws = FakeSocket.last();
    ws.open();
    ws.push({ type: 'join', data: { username: 'alice', message: 'alice joined the room' } });
    ws.push({ type: 'leave', data: { username: 'bob', message: 'bob left the room' } });
    expect(s.notices.map((n) => n.text)).toEqual(['bob joined the room', 'bob left the room']);
  });
});
