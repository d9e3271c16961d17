import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ChatClient,
  type ConnectionState,
  FatalConnectError,
  parseServerFrame,
} from '../../../src/client/chat-client.js';
import { FakeSocket, socketFactory } from './fake-socket.js';

const noJitter = { jitter: 0 };

function makeClient(extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}) {
  let since: number | undefined;
  const states: ConnectionState[] = [];
  const client = new ChatClient({
    url: (s) => `ws://x/ws/chat/r?username=a${s === undefined ? '' : `&since=${s}`}`,
    getSince: () => since,
    socketFactory,
    backoff: noJitter,
    ...extra,
  });
  client.onState((s) => states.push(s));
  return {
    client,
    states,
    setSince: (n: number) => {
      since = n;
    },
  };
}

describe('ChatClient', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('opens, dispatches typed frames and sends only while open', async () => {
    const { client } = makeClient();
    expect(client.send({ type: 'get_users' })).toBe(false);
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    expect(client.state.kind).toBe('connecting');
    ws.open();
    expect(client.state.kind).toBe('open');
    const users: string[][] = [];
    const off = client.on('user_list', (d) => users.push(d.users));
    ws.push({ type: 'user_list', data: { users: ['a', 'b'] } });
    off();
    ws.push({ type: 'user_list', data: { users: ['a'] } });
    expect(users).toEqual([['a', 'b']]);
    expect(client.send({ type: 'typing', is_typing: true })).toBe(true);
    expect(ws.sent).toEqual([{ type: 'typing', is_typing: true }]);
  });

  it('also understands JSON sent in binary frames', async () => {
    const { client } = makeClient();
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.binaryType).toBe('arraybuffer');
    const seen: string[] = [];
    client.on('join', (d) => seen.push(d.username));
    const bytes = new TextEncoder().encode(
      JSON.stringify({ type: 'join', data: { username: 'zoë', message: 'zoë joined' } }),
    );
    ws.onmessage?.({ data: bytes.buffer } as MessageEvent);
    expect(seen).toEqual(['zoë']);
  });

  it('reconnects with backoff, resumes from getSince, and gives up after 5 attempts', async () => {
    const { client, states, setSince } = makeClient();
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    setSince(42);
    FakeSocket.last().drop(1006);
    expect(client.state).toMatchObject({ kind: 'waiting', attempt: 1, delayMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.last().url).toContain('since=42');
    for (const delay of [200, 400, 800, 1600]) {
      FakeSocket.last().drop(1006);
      expect(client.state).toMatchObject({ kind: 'waiting', delayMs: delay });
      await vi.advanceTimersByTimeAsync(delay);
    }
    FakeSocket.last().drop(1006);
    expect(client.state.kind).toBe('gave_up');
    const count = FakeSocket.all.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all.length).toBe(count);

    client.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all.length).toBe(count + 1);
    FakeSocket.last().open();
    expect(client.state.kind).toBe('open');
    expect(states.filter((s) => s.kind === 'waiting')).toHaveLength(5);
  });

  it('keeps trying slowly for ever after the quick attempts, until the server is back', async () => {
    const slow = { jitter: 0, maxAttempts: 5, slowMin: 30_000, slowMax: 30_000 };
    const { client, states } = makeClient({ backoff: slow });
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    FakeSocket.last().drop(1006);
    for (const delay of [100, 200, 400, 800, 1600]) {
      expect(client.state).toMatchObject({ kind: 'waiting', delayMs: delay });
      await vi.advanceTimersByTimeAsync(delay);
      FakeSocket.last().drop(1006);
    }
    // An outage of an hour: an attempt every 30 s, the state saying so each time.
    for (let i = 0; i < 120; i++) {
      expect(client.state).toMatchObject({ kind: 'gave_up', code: 1006 });
      const { retryAt } = client.state as { retryAt?: number };
      expect(retryAt).toBe(Date.now() + 30_000);
      const before = FakeSocket.all.length;
      await vi.advanceTimersByTimeAsync(29_999);
      expect(FakeSocket.all.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(FakeSocket.all.length).toBe(before + 1);
      expect(client.state).toMatchObject({ kind: 'connecting', attempt: 6 + i, maxAttempts: 5 });
      FakeSocket.last().drop(1006);
    }
    await vi.advanceTimersByTimeAsync(30_000);
    FakeSocket.last().open();
    expect(client.state.kind).toBe('open');
    // Once stable, a new drop starts over with the quick attempts.
    await vi.advanceTimersByTimeAsync(2_000);
    FakeSocket.last().drop(1006);
    expect(client.state).toMatchObject({ kind: 'waiting', attempt: 1, delayMs: 100 });
    expect(states.filter((s) => s.kind === 'gave_up')).toHaveLength(121);
  });

  it('Retry during the slow phase connects at once, restarts the quick attempts, and leaves no second timer', async () => {
    const { client } = makeClient({
      backoff: { jitter: 0, maxAttempts: 1, slowMin: 30_000, slowMax: 30_000 },
    });
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    FakeSocket.last().drop(1006);
    expect(client.state).toMatchObject({ kind: 'gave_up' });
    const before = FakeSocket.all.length;
    await vi.advanceTimersByTimeAsync(10_000);
    client.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all.length).toBe(before + 1);
    expect(client.state).toMatchObject({ kind: 'connecting', attempt: 0 });
    FakeSocket.last().drop(1006);
    expect(client.state).toMatchObject({ kind: 'waiting', attempt: 1, delayMs: 100 });
    // The slow timer set before the click is gone: only the quick retry fires.
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all.length).toBe(before + 2);
    FakeSocket.last().open();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all.length).toBe(before + 2);
    expect(client.state.kind).toBe('open');
  });

  it('keeps trying slowly when the attempt fails before the socket (prepare rejects)', async () => {
    let down = true;
    const { client } = makeClient({
      backoff: { jitter: 0, maxAttempts: 2, slowMin: 5_000, slowMax: 5_000 },
      prepare: async () => {
        if (down) throw new Error('offline');
      },
    });
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(client.state).toMatchObject({ kind: 'gave_up', retryAt: Date.now() + 5_000 });
    await vi.advanceTimersByTimeAsync(5_000 * 10);
    expect(client.state).toMatchObject({ kind: 'gave_up' });
    expect(FakeSocket.all).toHaveLength(0);
    down = false;
    await vi.advanceTimersByTimeAsync(5_000);
    FakeSocket.last().open();
    expect(client.state.kind).toBe('open');
  });

  it('does not reconnect after a 40xx close', async () => {
    const { client } = makeClient();
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    FakeSocket.last().drop(4004, 'Room not found');
    expect(client.state).toEqual({ kind: 'closed', code: 4004, reason: 'Room not found' });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('treats room_deleted as final even before the close code', async () => {
    const { client } = makeClient();
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    ws.push({ type: 'room_deleted', data: { room_id: 'r', message: 'gone' } });
    ws.drop(1006);
    expect(client.state).toMatchObject({ kind: 'closed', code: 4010 });
  });

  it('reconnects after 41xx and 1001 closes', async () => {
    const { client } = makeClient();
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    FakeSocket.last().drop(4100);
    expect(client.state.kind).toBe('waiting');
    await vi.advanceTimersByTimeAsync(100);
    FakeSocket.last().open();
    FakeSocket.last().drop(1001);
    expect(client.state.kind).toBe('waiting');
  });

  it('counts a failed prepare as an attempt and stops on FatalConnectError', async () => {
    let fail: Error | null = new Error('offline');
    const { client } = makeClient({
      prepare: async () => {
        if (fail) throw fail;
      },
    });
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.state).toMatchObject({ kind: 'waiting', attempt: 1 });
    expect(FakeSocket.all).toHaveLength(0);
    fail = new FatalConnectError(4004, 'Room not found');
    await vi.advanceTimersByTimeAsync(100);
    expect(client.state).toMatchObject({ kind: 'closed', code: 4004 });
  });

  it('drops a socket that never opens', async () => {
    const { client } = makeClient({ connectTimeoutMs: 1000 });
    client.connect();
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.last().closedByClient).toBe(true);
    expect(client.state.kind).toBe('waiting');
  });

  it('close() stops everything', async () => {
    const { client } = makeClient();
    client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    client.close();
    expect(ws.closedByClient).toBe(true);
    expect(client.state.kind).toBe('idle');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});

describe('parseServerFrame', () => {
  it('rejects malformed frames', () => {
    expect(parseServerFrame('nope')).toBeNull();
    expect(parseServerFrame('{"type":"message"}')).toBeNull();
    expect(parseServerFrame('{"type":"message","data":{"seq":"1"}}')).toBeNull();
    expect(parseServerFrame('{"type":"join","data":{"username":"a","message":"x"}}')).toEqual({
      type: 'join',
      data: { username: 'a', message: 'x' },
    });
  });
});
