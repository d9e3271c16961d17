import { describe, expect, it } from 'vitest';
import { MessageTimeline } from '../../../src/client/message-timeline.js';
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
