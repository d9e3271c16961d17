// A room broadcast is serialized at most once per flavour: the same bytes for
// every `/ws/chat` member, the same bytes (with `room_id`) for every workspace one.
import { describe, expect, it } from 'vitest';
import { RoomFrame } from '../../../src/server/ws/server-frames.js';
import { framePayloads } from '../../support/wire-frame.js';

describe('RoomFrame', () => {
  const frame = new RoomFrame('room-1', {
    type: 'typing',
    data: { username: 'a', is_typing: true },
  });

  it('encodes each flavour once and hands out the same buffer', () => {
    expect(frame.for('chat')).toBe(frame.for('chat'));
    expect(frame.for('workspace')).toBe(frame.for('workspace'));
  });

  it('names the room next to the type only for workspace sockets', () => {
    expect(framePayloads(frame.for('chat'))).toEqual([
      { type: 'typing', data: { username: 'a', is_typing: true } },
    ]);
    // On the wire: a text frame's 2-byte header, then the JSON.
    const workspace = frame.for('workspace');
    expect(workspace.subarray(2).toString()).toBe(
      '{"type":"typing","room_id":"room-1","data":{"username":"a","is_typing":true}}',
    );
    expect([...workspace.subarray(0, 2)]).toEqual([0x81, workspace.length - 2]);
  });
});
