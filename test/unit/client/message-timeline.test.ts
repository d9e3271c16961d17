import { describe, expect, it } from 'vitest';
import type { LiveMessage } from '../../../src/client/live-types.js';
import { MessageTimeline } from '../../../src/client/message-timeline.js';
import type { MessageChange } from '../../../src/protocol/changes.js';
import type { Message } from '../../../src/protocol/rest.js';

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `id-${seq}`,
  room_id: 'r',
  username: 'a',
  content: `m${seq}`,
  timestamp: new Date(seq * 1000).toISOString(),
  seq,
  ...extra,
});

describe('MessageTimeline', () => {
  it('keeps messages ordered by seq whatever the arrival order', () => {
    const t = new MessageTimeline();
    for (const s of [5, 1, 3, 2, 4, 7, 6]) t.add(msg(s));
    expect(t.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(t.firstSeq).toBe(1);
    expect(t.lastSeq).toBe(7);
  });

  it('drops duplicates by seq and by id', () => {
    const t = new MessageTimeline();
    expect(t.add(msg(1))).toBe(true);
    expect(t.add(msg(1))).toBe(false);
    expect(t.add(msg(2, { id: 'id-1' }))).toBe(false);
    const added = t.addMany([msg(1), msg(2), msg(3), msg(2)]);
    expect(added.map((m) => m.seq)).toEqual([2, 3]);
    expect(t.size).toBe(3);
  });

  it('clear() empties everything', () => {
    const t = new MessageTimeline();
    t.addMany([msg(1), msg(2)]);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.lastSeq).toBeUndefined();
    expect(t.add(msg(1))).toBe(true);
  });
});

describe('MessageTimeline: changes', () => {
  const change = (
    seq: number,
    message: number,
    kind: MessageChange['kind'],
    extra: Partial<MessageChange> = {},
  ): MessageChange => ({
    id: `c-${seq}`,
    room_id: 'r',
    seq,
    message_id: `id-${message}`,
    kind,
    username: 'a',
    timestamp: new Date(seq * 1000).toISOString(),
    ...extra,
  });

  it('applies an edit: content, edited_at and mentions; again changes nothing', () => {
    const t = new MessageTimeline();
    t.addMany([msg(1), msg(2)]);
    expect(t.apply(change(3, 1, 'edit', { content: 'hi @bob' }))).toBe(true);
    const m = t.get('id-1') as LiveMessage;
    expect(m.content).toBe('hi @bob');
    expect(m.edited_at).toBe(new Date(3000).toISOString());
    expect(m.mentions).toEqual(['bob']);
    expect(t.rev('id-1')).toBe(1);
    expect(t.apply(change(3, 1, 'edit', { content: 'hi @bob' }))).toBe(false);
    expect(t.rev('id-1')).toBe(1);
    expect(t.logSeq).toBe(3);
    expect(t.lastSeq).toBe(2);
  });

  it('removes a deleted message for good, and a late page does not bring it back', () => {
    const t = new MessageTimeline();
    t.addMany([msg(1), msg(2), msg(3)]);
    expect(t.apply(change(4, 2, 'delete'))).toBe(true);
    expect(t.messages.map((m) => m.seq)).toEqual([1, 3]);
    expect(t.apply(change(4, 2, 'delete'))).toBe(false);
    expect(t.add(msg(2))).toBe(false);
    expect(t.has(2)).toBe(false);
  });

  it('gives reactions set semantics, users in order, and drops empty ones', () => {
    const t = new MessageTimeline();
    t.add(msg(1));
    t.apply(change(2, 1, 'react', { emoji: '👍', username: 'a' }));
    t.apply(change(3, 1, 'react', { emoji: '👍', username: 'b' }));
    t.apply(change(3, 1, 'react', { emoji: '👍', username: 'b' }));
    t.apply(change(4, 1, 'react', { emoji: '🎉', username: 'a' }));
    expect((t.get('id-1') as LiveMessage).reactions).toEqual([
      { emoji: '👍', count: 2, users: ['a', 'b'] },
      { emoji: '🎉', count: 1, users: ['a'] },
    ]);
    expect(t.apply(change(5, 1, 'unreact', { emoji: '🎉', username: 'b' }))).toBe(false);
    t.apply(change(6, 1, 'unreact', { emoji: '🎉', username: 'a' }));
    t.apply(change(7, 1, 'unreact', { emoji: '👍', username: 'a' }));
    expect((t.get('id-1') as LiveMessage).reactions).toEqual([
      { emoji: '👍', count: 1, users: ['b'] },
    ]);
    t.apply(change(8, 1, 'unreact', { emoji: '👍', username: 'b' }));
    expect((t.get('id-1') as LiveMessage).reactions).toBeUndefined();
  });

  it('converges when a current-state message is followed by its own older changes (a replay)', () => {
    const t = new MessageTimeline();
    const current: LiveMessage = {
      ...msg(1),
      content: 'v2',
      edited_at: new Date(3000).toISOString(),
      reactions: [{ emoji: '👍', count: 1, users: ['b'] }],
    };
    t.add(current);
    t.apply(change(2, 1, 'edit', { content: 'v1' }));
    t.apply(change(3, 1, 'edit', { content: 'v2' }));
    t.apply(change(4, 1, 'react', { emoji: '👍', username: 'b' }));
    const m = t.get('id-1') as LiveMessage;
    expect(m.content).toBe('v2');
    expect(m.reactions).toEqual([{ emoji: '👍', count: 1, users: ['b'] }]);
  });

  it('ignores a change older than one it applied to that message (a retried change answered late)', () => {
    const t = new MessageTimeline();
    t.add(msg(1));
    t.apply(change(2, 1, 'edit', { content: 'fixed' }));
    t.apply(change(3, 1, 'react', { emoji: '👍', username: 'b' }));
    t.apply(change(4, 1, 'edit', { content: 'ok' }));
    t.apply(change(5, 1, 'unreact', { emoji: '👍', username: 'b' }));
    // The retries' answers repeat changes 2 and 3 after 4 and 5.
    expect(t.apply(change(2, 1, 'edit', { content: 'fixed' }))).toBe(false);
    expect(t.apply(change(3, 1, 'react', { emoji: '👍', username: 'b' }))).toBe(false);
    const m = t.get('id-1') as LiveMessage;
    expect(m.content).toBe('ok');
    expect(m.reactions).toBeUndefined();
  });

  it('updates reply previews when the original is edited or deleted', () => {
    const t = new MessageTimeline();
    t.add(msg(1));
    t.add({ ...msg(2), reply_to: { id: 'id-1', seq: 1, username: 'a', excerpt: 'm1' } });
    t.apply(change(3, 1, 'edit', { content: 'changed' }));
    expect((t.get('id-2') as LiveMessage).reply_to?.excerpt).toBe('changed');
    t.apply(change(4, 1, 'delete'));
    expect((t.get('id-2') as LiveMessage).reply_to).toEqual({
      id: 'id-1',
      seq: 1,
      username: 'a',
      excerpt: '',
      deleted: true,
    });
  });

  it('ignores changes to messages it does not hold, but remembers their seq', () => {
    const t = new MessageTimeline();
    t.add(msg(5));
    expect(t.apply(change(9, 1, 'edit', { content: 'x' }))).toBe(false);
    expect(t.logSeq).toBe(9);
    t.clear();
    expect(t.logSeq).toBe(0);
  });
});
