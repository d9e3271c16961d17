// The shape check of reader events read off a shared transport (Redis): only a
// well-formed frame on its own reader's topic gets through.
import { describe, expect, it } from 'vitest';
import { isBusEvent } from '../../src/server/bus/bus-events.js';

const room = {
  id: 'r1',
  name: 'general',
  created_at: '2026-01-01T00:00:00.000Z',
  visibility: 'public',
  owner_id: null,
  kind: 'room',
};
const added = { room, last_read_seq: 3, latest_seq: 5, unread: 2, mentions: 1, notify: 'all' };
const event = (frame: unknown, reader = 'u:alice', roomId = `reader:${reader}`) => ({
  type: 'reader',
  roomId,
  reader,
  frame,
});

describe('reader bus events', () => {
  it('accepts each frame on its own reader topic', () => {
    for (const frame of [
      { type: 'sidebar_added', data: added },
      { type: 'sidebar_removed', data: { room_id: 'r1' } },
      { type: 'read_state', data: { room_id: 'r1', last_read_seq: 0, notify: 'none' } },
    ]) {
      expect(isBusEvent(event(frame)), frame.type).toBe(true);
      expect(isBusEvent(event(frame, 'a:0b9f7c1e')), frame.type).toBe(true);
    }
  });

  it('drops malformed ones', () => {
    const good = { type: 'read_state', data: { room_id: 'r1', last_read_seq: 0, notify: 'all' } };
    const bad: unknown[] = [
      event(good, 'u:alice', 'reader:u:bob'),
      event(good, 'u:alice', 'room-id'),
      { ...event(good), reader: 42 },
      event(null),
      event({ type: 'read_state' }),
      event({ type: 'nope', data: {} }),
      event({ type: 'read_state', data: { room_id: 'r1', last_read_seq: -1, notify: 'all' } }),
      event({ type: 'read_state', data: { room_id: 'r1', last_read_seq: 1.5, notify: 'all' } }),
      event({ type: 'read_state', data: { room_id: 'r1', last_read_seq: 1, notify: 'loud' } }),
      event({ type: 'read_state', data: { last_read_seq: 1, notify: 'all' } }),
      event({ type: 'sidebar_removed', data: { room_id: 7 } }),
      event({ type: 'sidebar_added', data: { ...added, room: null } }),
      event({ type: 'sidebar_added', data: { ...added, unread: '2' } }),
      event({ type: 'sidebar_added', data: { ...added, notify: undefined } }),
    ];
    for (const value of bad) expect(isBusEvent(value), JSON.stringify(value)).toBe(false);
  });
});
