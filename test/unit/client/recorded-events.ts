// Records what a part of a room session emits, in order, for client unit tests.
import type { EmitRoomEvent, RoomSessionEvents } from '../../../src/client/room-events.js';

export type RecordedEvent = {
  [K in keyof RoomSessionEvents]: [K, RoomSessionEvents[K]];
}[keyof RoomSessionEvents];

export function recordEvents(): { emitted: RecordedEvent[]; emit: EmitRoomEvent } {
  const emitted: RecordedEvent[] = [];
  return { emitted, emit: (event, data) => emitted.push([event, data] as RecordedEvent) };
}
