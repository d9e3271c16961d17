import { CloseCode } from '../../protocol/error-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { BusEvent } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { ChatConnection } from './connection.js';

interface LocalRoom {
  connections: Set<ChatConnection>;
  unsubscribe: Unsubscribe;
}

const encode = (frame: ServerFrame): Buffer => Buffer.from(JSON.stringify(frame));

/**
 * The connections of this process, grouped by room. Subscribes to a room's bus
 * topic while it has local members and fans each event out, serialized once.
 */
export class RoomHub {
  private readonly rooms = new Map<string, LocalRoom>();

  constructor(private readonly bus: MessageBus) {}

  add(conn: ChatConnection): void {
    let room = this.rooms.get(conn.roomId);
    if (!room) {
      const unsubscribe = this.bus.subscribe(conn.roomId, (event) => this.deliver(event));
      room = { connections: new Set(), unsubscribe };
      this.rooms.set(conn.roomId, room);
    }
    room.connections.add(conn);
  }

  remove(conn: ChatConnection): void {
    const room = this.rooms.get(conn.roomId);
    if (!room?.connections.delete(conn)) return;
    if (room.connections.size === 0) {
      room.unsubscribe();
      this.rooms.delete(conn.roomId);
    }
  }

  /** Every local connection (for shutdown and heartbeats). */
  *connections(): Iterable<ChatConnection> {
    for (const room of this.rooms.values()) yield* room.connections;
  }

  roomCount(): number {
    return this.rooms.size;
  }

  connectionCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.connections.size;
    return n;
  }

  private deliver(event: BusEvent): void {
    const room = this.rooms.get(event.roomId);
    if (!room) return;
    switch (event.type) {
      case 'message': {
        const frame = encode({ type: 'message', data: event.message });
        for (const conn of room.connections) conn.deliverMessage(event.message.seq, frame);
        return;
      }
      case 'typing': {
        const frame = encode({
          type: 'typing',
          data: { username: event.username, is_typing: event.isTyping },
        });
        // Never to the typist, in any of their tabs.
        for (const conn of room.connections) {
          if (conn.username !== event.username) conn.sendRaw(frame);
        }
        return;
      }
      case 'presence': {
        const notice = encode({
          type: event.change,
          data: {
            username: event.username,
            message: `${event.username} ${event.change === 'join' ? 'joined' : 'left'} the room`,
          },
        });
        const list = encode({ type: 'user_list', data: { users: event.users } });
        for (const conn of room.connections) {
          conn.sendRaw(notice);
          conn.sendRaw(list);
        }
        return;
      }
      case 'room_deleted': {
        const frame = encode({
          type: 'room_deleted',
          data: { room_id: event.roomId, message: 'This room was deleted' },
        });
        for (const conn of [...room.connections]) {
          conn.sendRaw(frame);
          conn.close(CloseCode.ROOM_DELETED, 'Room deleted');
        }
        return;
      }
    }
  }
}
