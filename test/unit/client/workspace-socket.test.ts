// The tab's shared workspace socket and the room on screen over it: which frames
// go out when (watch, take over with since/epoch and presence, give back), when
// the room counts as open, and how it ends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FatalConnectError } from '../../../src/client/chat-client.js';
import type { RoomChannelHooks } from '../../../src/client/room-channel.js';
import { WorkspaceRoomChannel } from '../../../src/client/workspace-room-channel.js';
import { WorkspaceSocket } from '../../../src/client/workspace-socket.js';
import type { ServerFrame } from '../../../src/protocol/frames.js';
import { FakeSocket, socketFactory } from './fake-socket.js';

const push = (ws: FakeSocket, frame: object) => ws.push(frame as ServerFrame);

function setup() {
  const socket = new WorkspaceSocket({
    url: () => 'ws://x/ws/workspace?username=ann',
    socketFactory,
    backoff: { min: 100, max: 100, jitter: 0, maxAttempts: 3, slowMin: 1_000 },
  });
  let since: number | undefined;
  const prepared: number[] = [];
  let fail: Error | null = null;
  const hooks: RoomChannelHooks = {
    getSince: () => since,
    getEpoch: () => 'e1',
    prepare: async () => {
      prepared.push(Date.now());
      if (fail) throw fail;
    },
  };
  const channel = () => new WorkspaceRoomChannel(socket, 'r1', hooks);
  return {
    socket,
    channel,
    prepared,
    setSince: (n: number | undefined) => {
      since = n;
    },
    failWith: (e: Error | null) => {
      fail = e;
    },
  };
}

describe('WorkspaceSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('watches the sidebar rooms without presence, and again after every reconnect', async () => {
    const { socket } = setup();
    socket.watch(['a', 'b']);
    socket.start();
    let ws = FakeSocket.last();
    ws.open();
    expect(ws.sent).toEqual([
      { type: 'subscribe', room_id: 'a' },
      { type: 'subscribe', room_id: 'b' },
    ]);
    socket.watch(['b', 'c']);
    expect(ws.sent.slice(2)).toEqual([
      { type: 'unsubscribe', room_id: 'a' },
      { type: 'subscribe', room_id: 'c' },
    ]);
    ws.drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    ws = FakeSocket.last();
    ws.open();
    expect(ws.sent).toEqual([
      { type: 'subscribe', room_id: 'b' },
      { type: 'subscribe', room_id: 'c' },
    ]);
    socket.stop();
  });

  it('routes room frames by room_id (next to type, or in data) and the rest to everyone', () => {
    const { socket } = setup();
    const r1: string[] = [];
    const all: string[] = [];
    socket.onRoom('r1', (f) => r1.push(f.type));
    socket.on('frame', (f) => all.push(f.type));
    socket.start();
    const ws = FakeSocket.last();
    ws.open();
    push(ws, { type: 'hello', data: { username: 'ann', epoch: 'e1' } });
    push(ws, { type: 'typing', room_id: 'r1', data: { username: 'bo', is_typing: true } });
    push(ws, { type: 'typing', room_id: 'r2', data: { username: 'bo', is_typing: true } });
    push(ws, { type: 'read_state', data: { room_id: 'r1', last_read_seq: 2, notify: 'all' } });
    // Not JSON, or no data: dropped before anyone sees it.
    ws.onmessage?.({ data: 'nonsense' } as MessageEvent);
    push(ws, { type: 'typing', room_id: 'r1' });
    expect(r1).toEqual(['typing', 'read_state']);
    expect(all).toEqual(['hello', 'typing', 'typing', 'read_state']);
    socket.stop();
  });
});

describe('WorkspaceRoomChannel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('loads history, then resumes with since/epoch and presence; open on its own `subscribed`', async () => {
    const { socket, channel, setSince, prepared } = setup();
    socket.watch(['r1']);
    socket.start();
    const ws = FakeSocket.last();
    ws.open();
    const ch = channel();
    const states: string[] = [];
    ch.onState((s) => states.push(s.kind));
    setSince(7);
    ch.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(prepared).toHaveLength(1);
    expect(ws.sent.slice(1)).toEqual([
      { type: 'unsubscribe', room_id: 'r1' },
      { type: 'subscribe', room_id: 'r1', since: 7, epoch: 'e1', presence: true },
    ]);
    // The watch's answer is not ours: two subscribes went out, two answers are due.
    push(ws, { type: 'subscribed', data: { room_id: 'r1', latest_seq: 7, epoch: 'e1' } });
    expect(ch.state.kind).toBe('connecting');
    push(ws, { type: 'unsubscribed', data: { room_id: 'r1', reason: 'asked' } });
    push(ws, { type: 'subscribed', data: { room_id: 'r1', latest_seq: 7, epoch: 'e1' } });
    expect(ch.state.kind).toBe('open');
    expect(states).toEqual(['connecting', 'open']);

    // Frames go out with the room named; the room's frames come in as /ws/chat's.
    expect(ch.send({ type: 'typing', is_typing: true })).toBe(true);
    expect(ws.sent.at(-1)).toEqual({ type: 'typing', is_typing: true, room_id: 'r1' });
    const got: unknown[] = [];
    ch.on('user_list', (d) => got.push(d));
    push(ws, { type: 'user_list', room_id: 'r1', data: { users: ['ann'] } });
    push(ws, { type: 'user_list', room_id: 'r2', data: { users: ['zed'] } });
    expect(got).toEqual([{ users: ['ann'] }]);

    // Given back: watched again (presence off, no replay).
    ch.close();
    expect(ws.sent.at(-1)).toEqual({ type: 'subscribe', room_id: 'r1', presence: false });
    expect(ch.state.kind).toBe('idle');
    socket.stop();
  });

  it('unsubscribes a room it held that is not in the sidebar', async () => {
    const { socket, channel } = setup();
    socket.start();
    const ws = FakeSocket.last();
    ws.open();
    const ch = channel();
    ch.connect();
    await vi.advanceTimersByTimeAsync(0);
    // No history yet: live only.
    expect(ws.sent.at(-1)).toEqual({ type: 'subscribe', room_id: 'r1', presence: true });
    ch.close();
    expect(ws.sent.at(-1)).toEqual({ type: 'unsubscribe', room_id: 'r1' });
    socket.stop();
  });

  it('follows the shared socket down and resumes again when it is back', async () => {
    const { socket, channel, prepared } = setup();
    socket.start();
    let ws = FakeSocket.last();
    ws.open();
    const ch = channel();
    ch.connect();
    await vi.advanceTimersByTimeAsync(0);
    push(ws, { type: 'subscribed', data: { room_id: 'r1', latest_seq: 0, epoch: 'e1' } });
    expect(ch.state.kind).toBe('open');
    // Not open: nothing is sent (the outbox keeps it).
    ws.drop(1006);
    expect(ch.state.kind).toBe('waiting');
    expect(ch.send({ type: 'typing', is_typing: true })).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    ws = FakeSocket.last();
    ws.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(prepared).toHaveLength(2);
    expect(ws.sent.at(-1)).toMatchObject({ type: 'subscribe', room_id: 'r1', presence: true });
    push(ws, { type: 'subscribed', data: { room_id: 'r1', latest_seq: 0, epoch: 'e1' } });
    expect(ch.state.kind).toBe('open');
    socket.stop();
  });

  it('ends when the room is deleted, or we are removed from it', async () => {
    for (const [frame, code] of [
      [{ type: 'room_deleted', room_id: 'r1', data: { message: 'gone' } }, 4010],
      [{ type: 'unsubscribed', data: { room_id: 'r1', reason: 'deleted' } }, 4010],
      [{ type: 'unsubscribed', data: { room_id: 'r1', reason: 'removed' } }, 4011],
    ] as const) {
      FakeSocket.reset();
      const { socket, channel } = setup();
      socket.start();
      const ws = FakeSocket.last();
      ws.open();
      const ch = channel();
      ch.connect();
      await vi.advanceTimersByTimeAsync(0);
      push(ws, { type: 'subscribed', data: { room_id: 'r1', latest_seq: 0, epoch: 'e1' } });
      push(ws, frame);
      expect(ch.state).toMatchObject({ kind: 'closed', code });
      // Ended for good: a retry does nothing.
      ch.retryNow();
      expect(ch.state.kind).toBe('closed');
      socket.stop();
    }
  });

  it('stops at a room that does not exist, and retries a history that failed to load', async () => {
    const { socket, channel, failWith, prepared } = setup();
    socket.start();
    const ws = FakeSocket.last();
    ws.open();
    failWith(new Error('offline'));
    const ch = channel();
    ch.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(ch.state.kind).toBe('waiting');
    failWith(new FatalConnectError(4004, 'Room not found'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(prepared.length).toBeGreaterThanOrEqual(2);
    expect(ch.state).toMatchObject({ kind: 'closed', code: 4004 });
    socket.stop();
  });

  it('keeps NOT_SUBSCRIBED of its own unsubscribe to itself, and passes other errors on', async () => {
    const { socket, channel } = setup();
    socket.start();
    const ws = FakeSocket.last();
    ws.open();
    const ch = channel();
    const errors: unknown[] = [];
    ch.on('error', (d) => errors.push(d.code));
    ch.connect();
    await vi.advanceTimersByTimeAsync(0);
    push(ws, { type: 'error', room_id: 'r1', data: { code: 'NOT_SUBSCRIBED', message: 'x' } });
    push(ws, {
      type: 'error',
      room_id: 'r1',
      data: { code: 'CONTENT_TOO_LONG', message: 'x', client_id: 'c1' },
    });
    expect(errors).toEqual(['CONTENT_TOO_LONG']);
    socket.stop();
  });
});
