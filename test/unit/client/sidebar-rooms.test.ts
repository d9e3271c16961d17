// The sidebar model: counts as messages arrive, read positions from any tab, the
// pushed sidebar and room changes, and what it ignores.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../../../src/client/api.js';
import { SidebarRooms } from '../../../src/client/sidebar-rooms.js';
import type { WorkspaceFrame } from '../../../src/client/workspace-socket.js';
import type { Message } from '../../../src/protocol/rest.js';
import type { SidebarRoom } from '../../../src/protocol/workspace.js';

function entry(id: string, name: string, over: Partial<SidebarRoom> = {}): SidebarRoom {
  return {
    room: { id, name, created_at: '2026-01-01T00:00:00.000Z' } as SidebarRoom['room'],
    last_read_seq: 0,
    latest_seq: 0,
    unread: 0,
    mentions: 0,
    notify: 'mentions',
    ...over,
  };
}

function message(roomId: string, seq: number, username: string, content: string): WorkspaceFrame {
  const m: Message = {
    id: `m${seq}`,
    room_id: roomId,
    username,
    content,
    timestamp: '2026-01-01T00:00:00.000Z',
    seq,
  };
  return { type: 'message', room_id: roomId, data: m as unknown as Record<string, unknown> };
}

function setup(list: SidebarRoom[]) {
  const calls: string[] = [];
  let answer = list;
  const api = {
    call: async (method: string, path: string) => {
      calls.push(`${method} ${path}`);
      return structuredClone(answer);
    },
  } as unknown as Api;
  const sidebar = new SidebarRooms({ api, username: 'Ann', openMode: true });
  return {
    sidebar,
    calls,
    answer: (l: SidebarRoom[]) => {
      answer = l;
    },
  };
}

describe('SidebarRooms', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads the sidebar (open mode names the reader) and sorts rooms by name, DMs last', async () => {
    const { sidebar, calls } = setup([
      entry('d', 'Bo', { room: { id: 'd', name: 'Ann, Bo', kind: 'dm' } as SidebarRoom['room'] }),
      entry('b', 'beta'),
      entry('a', 'Alpha'),
    ]);
    await sidebar.load();
    expect(calls).toEqual(['GET /api/chat/me/rooms?username=Ann']);
    expect(sidebar.list.map((r) => r.room.id)).toEqual(['a', 'b', 'd']);
    expect(sidebar.loaded).toBe(true);
  });

  it('counts messages of others after the read position, mentions apart; not our own', async () => {
    const { sidebar } = setup([entry('a', 'alpha', { last_read_seq: 2, latest_seq: 2 })]);
    await sidebar.load();
    const seen: boolean[] = [];
    sidebar.on('message', (d) => seen.push(d.mention));
    sidebar.apply(message('a', 3, 'Bo', 'hello'));
    sidebar.apply(message('a', 4, 'Bo', 'hey @ann, look'));
    // A replay or a second tab's copy of the same seq counts once.
    sidebar.apply(message('a', 4, 'Bo', 'hey @ann, look'));
    // Not a mention: an e-mail address.
    sidebar.apply(message('a', 5, 'Bo', 'mail bo@ann.example'));
    expect(sidebar.get('a')).toMatchObject({ unread: 3, mentions: 1, latest_seq: 5 });
    expect(seen).toEqual([false, true, false]);
    // Writing in a room read to the end keeps it read; here it was not.
    sidebar.apply(message('a', 6, 'Ann', 'me'));
    expect(sidebar.get('a')).toMatchObject({ unread: 3, latest_seq: 6 });
    expect(sidebar.totalUnread).toBe(3);
    expect(sidebar.totalMentions).toBe(1);
    // Rooms not in the sidebar are not counted.
    sidebar.apply(message('zz', 1, 'Bo', 'hi'));
    expect(sidebar.get('zz')).toBeUndefined();
  });

  it('takes read positions from any tab: read to the end clears, back asks the server', async () => {
    const { sidebar, calls, answer } = setup([
      entry('a', 'alpha', { last_read_seq: 0, latest_seq: 4, unread: 4, mentions: 1 }),
    ]);
    await sidebar.load();
    sidebar.apply({ type: 'read_state', data: { room_id: 'a', last_read_seq: 4, notify: 'all' } });
    expect(sidebar.get('a')).toMatchObject({ unread: 0, mentions: 0, notify: 'all' });
    answer([entry('a', 'alpha', { last_read_seq: 3, latest_seq: 4, unread: 1, notify: 'all' })]);
    sidebar.apply({ type: 'read_state', data: { room_id: 'a', last_read_seq: 3, notify: 'all' } });
    await vi.advanceTimersByTimeAsync(300);
    expect(calls).toHaveLength(2);
    expect(sidebar.get('a')).toMatchObject({ unread: 1, last_read_seq: 3 });
    // Malformed or unknown: ignored.
    sidebar.apply({
      type: 'read_state',
      data: { room_id: 'a', last_read_seq: 'x', notify: 'all' },
    });
    sidebar.apply({
      type: 'read_state',
      data: { room_id: 'nope', last_read_seq: 1, notify: 'all' },
    });
    expect(sidebar.get('a')).toMatchObject({ unread: 1, last_read_seq: 3 });
  });

  it('follows pushed sidebar and room changes', async () => {
    const { sidebar } = setup([entry('a', 'alpha')]);
    await sidebar.load();
    let changes = 0;
    sidebar.on('change', () => changes++);
    sidebar.apply({
      type: 'sidebar_added',
      data: entry('b', 'beta', { unread: 2 }) as unknown as Record<string, unknown>,
    });
    expect(sidebar.ids).toEqual(['a', 'b']);
    sidebar.apply({
      type: 'room_updated',
      data: { id: 'a', name: 'alpha-2', created_at: 'x' },
    });
    expect(sidebar.get('a')?.room.name).toBe('alpha-2');
    sidebar.apply({ type: 'room_removed', data: { room_id: 'a' } });
    sidebar.apply({ type: 'sidebar_removed', data: { room_id: 'b' } });
    expect(sidebar.ids).toEqual([]);
    // Renaming or removing a room not in the sidebar changes nothing.
    sidebar.apply({ type: 'room_updated', data: { id: 'q', name: 'q', created_at: 'x' } });
    sidebar.apply({ type: 'sidebar_removed', data: { room_id: 'q' } });
    expect(changes).toBe(4);
  });

  it('keeps a room joined while the first list was on its way (opening a room by its link)', async () => {
    // The GET is answered only after the PUT: its list, read before the join, lacks the room.
    let answerGet: (list: SidebarRoom[]) => void = () => {};
    const gets: string[] = [];
    const api = {
      call: (method: string) => {
        if (method === 'PUT') return Promise.resolve(entry('new', 'new'));
        gets.push(method);
        if (gets.length === 1) return new Promise((r) => (answerGet = r));
        return Promise.resolve([entry('a', 'alpha'), entry('new', 'new')]);
      },
    } as unknown as Api;
    const sidebar = new SidebarRooms({ api, username: 'Ann', openMode: true });
    const loading = sidebar.load();
    await sidebar.join('new');
    answerGet([entry('a', 'alpha')]);
    await loading;
    expect(sidebar.list.map((r) => r.room.id)).toEqual(['a', 'new']);
    expect(gets).toHaveLength(2); // the stale list was read again
  });
});
