import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomSession } from '../../../src/client/room-session.js';
import { memoryStorage, StorageKeys } from '../../../src/client/storage.js';
import type { MessageChange } from '../../../src/protocol/changes.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { FakeApi } from './fake-api.js';
import { FakeSocket, socketFactory } from './fake-socket.js';

// Edits, deletes and reactions through a session and a fake socket: queued while
// offline (and kept in storage), sent once connected, resent under the same
// client_id after a drop, settled by their `change` echo or refused by an error.

function setup(store = memoryStorage()) {
  const api = new FakeApi();
  const make = () =>
    new RoomSession({
      roomId: 'r',
      username: 'alice',
      api: api.api,
      store,
      wsUrl: (_r, u, since) =>
        `ws://x?username=${u}${since === undefined ? '' : `&since=${since}`}`,
      socketFactory,
      backoff: { jitter: 0 },
    });
  return { api, store, make };
}

type Sent = { type: string; client_id?: string; message_id?: string };
const changeFrames = (ws: FakeSocket) =>
  (ws.sent as Sent[]).filter((f) => ['edit', 'delete', 'react'].includes(f.type));

function echo(ws: FakeSocket, frame: Sent & Record<string, unknown>, seq: number): void {
  const kind = frame.type === 'react' ? (frame.on ? 'react' : 'unreact') : frame.type;
  const data: MessageChange = {
    id: `c-${seq}`,
    room_id: 'r',
    seq,
    message_id: frame.message_id ?? '',
    kind: kind as MessageChange['kind'],
    username: 'alice',
    timestamp: new Date(seq * 1000).toISOString(),
    ...(typeof frame.content === 'string' ? { content: frame.content } : {}),
    ...(typeof frame.emoji === 'string' ? { emoji: frame.emoji } : {}),
    ...(frame.client_id ? { client_id: frame.client_id } : {}),
  };
  ws.push({ type: 'change', data });
}

describe('RoomSession: changes', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  it('keeps changes made offline, sends them once connected, resends after a drop, settles on echo', async () => {
    const { api, store, make } = setup();
    const mine = api.append('alice', 'teh typo');
    const theirs = api.append('bob', 'lunch?');
    const s = make();
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    // Not open yet: both wait, shown at once, and kept in storage.
    expect(s.edit(mine.id, 'the typo')).toBeNull();
    s.react(theirs.id, '👍', true);
    expect(s.pendingChanges.map((c) => c.kind)).toEqual(['edit', 'react']);
    expect(store.getItem(StorageKeys.changes('r'))).toContain('the typo');
    // Unchanged text is no edit at all; empty text is refused.
    expect(s.edit(theirs.id, 'lunch?')).toBeNull();
    expect(s.edit(mine.id, '   ')).toBe('empty');
    expect(s.pendingChanges).toHaveLength(2);

    const ws1 = FakeSocket.last();
    ws1.open();
    const sent = changeFrames(ws1);
    expect(sent.map((f) => f.type)).toEqual(['edit', 'react']);
    ws1.drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    const ws2 = FakeSocket.last();
    ws2.open();
    // The same keys again, so the server applies each once.
    expect(changeFrames(ws2).map((f) => f.client_id)).toEqual(sent.map((f) => f.client_id));
    echo(ws2, changeFrames(ws2)[0] as Sent & Record<string, unknown>, 3);
    echo(ws2, changeFrames(ws2)[1] as Sent & Record<string, unknown>, 4);
    expect(s.pendingChanges).toEqual([]);
    expect(store.getItem(StorageKeys.changes('r'))).toBeNull();
    expect(s.timeline.get(mine.id)?.content).toBe('the typo');
    expect(s.timeline.get(theirs.id)?.reactions).toEqual([
      { emoji: '👍', count: 1, users: ['alice'] },
    ]);
    // The next resume starts after the last change, not the last message.
    ws2.drop(1006);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(FakeSocket.last()).not.toBe(ws2);
    expect(FakeSocket.last().url).toContain('since=4');
  });

  it('a reload finds the changes made before it and sends them', async () => {
    const store = memoryStorage();
    const { api, make } = setup(store);
    const m = api.append('alice', 'bye');
    const first = make();
    first.start();
    await vi.advanceTimersByTimeAsync(0);
    first.remove(m.id);
    first.stop();
    const second = make();
    expect(second.pendingChanges.map((c) => c.kind)).toEqual(['delete']);
    second.start();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.last().open();
    expect(changeFrames(FakeSocket.last())).toMatchObject([{ type: 'delete', message_id: m.id }]);
  });

  it('drops a refused change and says why (FORBIDDEN, MESSAGE_NOT_FOUND)', async () => {
    const { api, make } = setup();
    const m = api.append('bob', 'not yours');
    const s = make();
    const problems: string[] = [];
    s.on('problem', (p) => problems.push(p));
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    s.edit(m.id, 'mine now');
    s.remove('00000000-0000-4000-8000-000000000000');
    const [edit, del] = changeFrames(ws);
    ws.push({
      type: 'error',
      data: { code: ErrorCode.FORBIDDEN, message: 'no', client_id: edit?.client_id },
    });
    ws.push({
      type: 'error',
      data: { code: ErrorCode.MESSAGE_NOT_FOUND, message: 'gone', client_id: del?.client_id },
    });
    expect(s.pendingChanges).toEqual([]);
    expect(problems).toEqual(["You can't edit that message.", 'That message no longer exists.']);
    expect(s.timeline.get(m.id)?.content).toBe('not yours');
  });

  it('applies changes from others, a replayed one twice changing nothing', async () => {
    const { api, make } = setup();
    const m = api.append('bob', 'hello');
    const s = make();
    const reasons: string[] = [];
    s.on('timeline', (c) => reasons.push(c.reason));
    s.start();
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeSocket.last();
    ws.open();
    const change: MessageChange = {
      id: 'c-2',
      room_id: 'r',
      seq: 2,
      message_id: m.id,
      kind: 'delete',
      username: 'bob',
      timestamp: new Date().toISOString(),
    };
    reasons.length = 0;
    ws.push({ type: 'change', data: change });
    ws.push({ type: 'change', data: change });
    expect(s.timeline.size).toBe(0);
    expect(reasons).toEqual(['change']);
  });
});
