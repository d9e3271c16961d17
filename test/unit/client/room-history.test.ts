import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/client/api.js';
import { FatalConnectError } from '../../../src/client/chat-client.js';
import { MessageTimeline } from '../../../src/client/message-timeline.js';
import { RoomHistory } from '../../../src/client/room-history.js';
import type { Message } from '../../../src/protocol/rest.js';
import { FakeApi } from './fake-api.js';
import { recordEvents } from './recorded-events.js';

function setup(pageSize = 2) {
  const api = new FakeApi();
  const timeline = new MessageTimeline();
  const { emitted, emit } = recordEvents();
  const seen: Message[][] = [];
  const rebuilt: number[] = [];
  let replaced = 0;
  const history = new RoomHistory({
    roomId: 'r',
    api: api.api,
    timeline,
    pageSize,
    emit,
    onMessages: (msgs) => seen.push([...msgs]),
    onRebuilt: (lastSeq) => rebuilt.push(lastSeq),
    onReplaced: () => replaced++,
  });
  const seqs = () => timeline.messages.map((m) => m.seq);
  const fill = (n: number) => {
    for (let i = 1; i <= n; i++) api.append('bob', `m${i}`);
  };
  return { api, timeline, emitted, seen, rebuilt, history, seqs, fill, replaced: () => replaced };
}

describe('RoomHistory', () => {
  it('resumes from nothing until loaded, then from the newest seq (0 for an empty room)', async () => {
    const empty = setup();
    expect(empty.history.since()).toBeUndefined();
    await empty.history.load();
    expect(empty.history.since()).toBe(0);

    const { history, fill, seqs } = setup();
    fill(3);
    await history.load();
    expect(seqs()).toEqual([2, 3]);
    expect(history.since()).toBe(3);
  });

  it('loads the newest page once and reports it, in order', async () => {
    const { api, history, fill, emitted, seen, rebuilt } = setup();
    fill(3);
    await history.load();
    await history.load();
    expect(api.calls).toEqual([{ limit: 2 }]);
    expect(history.state).toEqual({ kind: 'ready' });
    expect(history.hasOlder).toBe(true);
    expect(seen.map((page) => page.map((m) => m.seq))).toEqual([[2, 3]]);
    expect(rebuilt).toEqual([3]);
    expect(emitted).toEqual([
      ['history', { kind: 'loading' }],
      ['history', { kind: 'ready' }],
      ['older', { loading: false, hasOlder: true }],
      ['timeline', { reason: 'history' }],
    ]);
  });

  it('pages back with before=<first seq> until seq 1', async () => {
    const { api, history, fill, seqs } = setup();
    fill(5);
    await history.load();
    expect(seqs()).toEqual([4, 5]);
    await history.loadOlder();
    expect(api.calls[1]).toEqual({ limit: 2, before: 4 });
    expect(history.hasOlder).toBe(true);
    await history.loadOlder();
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(history.hasOlder).toBe(false);
    await history.loadOlder();
    expect(api.calls).toHaveLength(3);
  });

  it('has no older page when the first one was short', async () => {
    const { history, fill } = setup(5);
    fill(3);
    await history.load();
    expect(history.hasOlder).toBe(false);
  });

  it('asks for one older page at a time', async () => {
    const { api, history, fill, emitted } = setup();
    fill(5);
    await history.load();
    emitted.length = 0;
    const release = api.holdNext();
    const first = history.loadOlder();
    expect(history.loadingOlder).toBe(true);
    await history.loadOlder();
    expect(api.calls).toHaveLength(2);
    release();
    await first;
    expect(history.loadingOlder).toBe(false);
    expect(emitted).toEqual([
      ['older', { loading: true, hasOlder: true }],
      ['timeline', { reason: 'older' }],
      ['older', { loading: false, hasOlder: true }],
    ]);
  });

  it('drops an older page that arrives after the timeline was rebuilt', async () => {
    const { api, history, fill, seqs } = setup();
    fill(5);
    await history.load();
    const release = api.holdNext();
    const stale = history.loadOlder();
    // A resync meanwhile: the history is loaded again from the (new) end.
    api.append('bob', 'm6');
    history.resync(undefined);
    await history.load();
    expect(seqs()).toEqual([5, 6]);
    release();
    await stale;
    expect(seqs()).toEqual([5, 6]);
    expect(history.loadingOlder).toBe(false);
  });

  it('asks for a reload instead of mixing in an older page from another epoch', async () => {
    const { api, history, fill, seqs, replaced } = setup();
    api.epoch = 'before';
    fill(5);
    await history.load();
    api.restore(4, 'after');
    await history.loadOlder();
    expect(replaced()).toBe(1);
    expect(seqs()).toEqual([4, 5]);
    expect(history.loadingOlder).toBe(false);
  });

  it('keeps the epoch of the last page, or of the last resync when a page has none', async () => {
    const { api, history } = setup();
    api.epoch = 'e1';
    await history.load();
    expect(history.epoch).toBe('e1');
    history.resync('e2');
    expect(history.epoch).toBe('e2');
    expect(history.since()).toBeUndefined();
    api.epoch = null;
    await history.load();
    expect(history.epoch).toBe('e2');
    history.resync(undefined);
    expect(history.epoch).toBe('e2');
  });

  it('replaces the timeline on a reload', async () => {
    const { api, history, fill, timeline } = setup();
    fill(3);
    await history.load();
    api.restore(2, 'after');
    history.invalidate();
    await history.load();
    expect(timeline.messages.map((m) => m.id)).toEqual(['restored-1', 'restored-2']);
  });

  it('stops for good when the room does not exist', async () => {
    const { api, history } = setup();
    api.failWith = new ApiError(404, 'Room not found');
    const err = await history.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalConnectError);
    expect(err).toMatchObject({ code: 4004 });
    expect(history.state).toEqual({ kind: 'not_found' });
  });

  it('reports other failures and lets the connection retry', async () => {
    const { api, history } = setup();
    api.failWith = new ApiError(503, 'Storage unavailable');
    await expect(history.load()).rejects.toBe(api.failWith);
    expect(history.state).toEqual({ kind: 'error', message: 'Storage unavailable' });
    api.failWith = new TypeError('fetch failed');
    await expect(history.load()).rejects.toBe(api.failWith);
    expect(history.state).toEqual({ kind: 'error', message: "Couldn't load messages" });
    api.failWith = null;
    await history.load();
    expect(history.state).toEqual({ kind: 'ready' });
  });

  it('reports a failed older page as a problem', async () => {
    const { api, history, fill, emitted } = setup();
    fill(5);
    await history.load();
    api.failWith = new TypeError('fetch failed');
    emitted.length = 0;
    await history.loadOlder();
    expect(emitted).toContainEqual(['problem', "Couldn't load older messages"]);
    expect(history.loadingOlder).toBe(false);
  });

  it('ignores answers that arrive after stop', async () => {
    const { api, history, fill, emitted, timeline } = setup();
    fill(5);
    const release = api.holdNext();
    const loading = history.load();
    history.stop();
    release();
    await loading;
    expect(timeline.size).toBe(0);
    expect(emitted).toEqual([['history', { kind: 'loading' }]]);
  });
});
