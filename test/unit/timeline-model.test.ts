// The test model of a client's timeline (test/support/timeline-model.ts) applies
// log frames the way CONTRACT.md asks of clients: idempotently, so that a message
// in its current state followed by its own older changes converges.
import { describe, expect, it } from 'vitest';
import type { MessageChange } from '../../src/protocol/changes.js';
import { type LiveMessage, stateOfHistory, TimelineModel } from '../support/timeline-model.js';

const ROOM = '00000000-0000-4000-8000-00000000000r';
const message = (seq: number, extra: Partial<LiveMessage> = {}): LiveMessage => ({
  id: `m${seq}`,
  room_id: ROOM,
  username: 'alice',
  content: `hello ${seq}`,
  timestamp: `2026-01-01T00:00:0${seq}.000Z`,
  seq,
  ...extra,
});
const change = (seq: number, kind: MessageChange['kind'], extra: Partial<MessageChange> = {}) =>
  ({
    id: `c${seq}`,
    room_id: ROOM,
    seq,
    message_id: 'm1',
    kind,
    username: 'bob',
    timestamp: `2026-01-01T00:01:0${seq}.000Z`,
    ...extra,
  }) satisfies MessageChange;

const log = [
  { type: 'message' as const, data: message(1) },
  { type: 'change' as const, data: change(2, 'react', { emoji: '👍' }) },
  { type: 'change' as const, data: change(3, 'edit', { content: 'hi @carol', username: 'alice' }) },
  { type: 'change' as const, data: change(4, 'react', { emoji: '👍', username: 'carol' }) },
  { type: 'change' as const, data: change(5, 'unreact', { emoji: '👍' }) },
  { type: 'message' as const, data: message(6) },
];

describe('TimelineModel', () => {
  it('applies edits, reactions as sets, and mentions found the server’s way', () => {
    const model = new TimelineModel();
    for (const f of log) model.apply(f);
    expect(model.state()).toEqual([
      {
        id: 'm1',
        seq: 1,
        username: 'alice',
        content: 'hi @carol',
        edited_at: '2026-01-01T00:01:03.000Z',
        reply_to: null,
        mentions: ['carol'],
        reactions: { '👍': ['carol'] },
      },
      expect.objectContaining({ id: 'm6', reactions: {} }),
    ]);
    expect(model.lastSeq).toBe(6);
  });

  it('is idempotent: the whole log twice changes nothing', () => {
    const once = new TimelineModel();
    const twice = new TimelineModel();
    for (const f of log) once.apply(f);
    for (const f of [...log, ...log]) twice.apply(f);
    expect(twice.state()).toEqual(once.state());
  });

  it('converges from a current-state message followed by its older changes', () => {
    const live = new TimelineModel();
    for (const f of log) live.apply(f);
    const current: LiveMessage = message(1, {
      content: 'hi @carol',
      edited_at: '2026-01-01T00:01:03.000Z',
      mentions: ['carol'],
      reactions: [{ emoji: '👍', count: 1, users: ['carol'] }],
    });
    const resumed = new TimelineModel();
    resumed.apply({ type: 'message', data: current });
    for (const f of log.slice(1)) resumed.apply(f);
    expect(resumed.state()).toEqual(live.state());
    expect(stateOfHistory([current, message(6)])).toEqual(live.state());
  });

  it('keeps a deleted message deleted, whatever comes after', () => {
    const model = new TimelineModel();
    model.apply({ type: 'message', data: message(1) });
    model.apply({ type: 'change', data: change(2, 'delete', { username: 'alice' }) });
    model.apply({ type: 'message', data: message(1) });
    model.apply({ type: 'change', data: change(3, 'react', { emoji: '👍' }) });
    expect(model.state()).toEqual([]);
  });
});
