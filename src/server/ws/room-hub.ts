import { CloseCode } from '../../protocol/error-codes.js';
import type { BusEvent } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { RoomPresence } from '../domain/room-presence.js';
import { RoomSequencer } from '../domain/room-sequencer.js';
import type { Metrics } from '../metrics.js';
import type { ChatStore, LogEntry } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { ChatConnection } from './connection.js';
import {
  changeFrame,
  messageFrame,
  presenceFrame,
  roomDeletedFrame,
  typingFrame,
  userListFrame,
} from './server-frames.js';

interface LocalRoom {
  connections: Set<ChatConnection>;
  unsubscribe: Unsubscribe;
  /** Resolves once the bus subscription is live and the room's position is known. */
  ready: Promise<void>;
  /** Puts the room's log entries (messages and changes) in seq order before they fan out. */
  sequencer: RoomSequencer<LogEntry>;
  /** The online list waiting to be sent (see `sendListSoon`), and when the last one went. */
  nextList?: string[] | undefined;
  listSentAt?: number;
}

export interface RoomHubOptions {
  /** Fills gaps in seq order and catches up after bus outages. Without it, messages go out as they come. */
  store?: ChatStore;
  /** Re-sends online lists after bus outages. */
  presence?: Pick<RoomPresence, 'users'>;
  log?: Logger;
  metrics?: Metrics;
  /** Most messages read from the store at once. @default 500 */
  fetchLimit?: number;
}

/** Online lists go out at most this often per room (joins and leaves in between coalesce). */
const LIST_INTERVAL_MS = 50;

/**
 * The connections of this process, grouped by room. Subscribes to a room's bus
 * topic while it has local members and fans each event out, serialized once.
 *
 * Each room's messages pass through its RoomSequencer (domain/room-sequencer.ts),
 * which puts them in seq order, reads gaps from the store and catches up after
 * a bus outage; the hub only fans out what the sequencer releases.
 */
export class RoomHub {
  private readonly rooms = new Map<string, LocalRoom>();

  constructor(
    private readonly bus: MessageBus,
    private readonly opts: RoomHubOptions = {},
  ) {
    bus.onReconnect(() => this.catchUpAll());
  }

  /**
   * Registers a connection; it gets the room's live events from now on. The
   * promise resolves once the room's subscription is live everywhere, so a
   * store read made after it (a resume) misses nothing published later.
   */
  add(conn: ChatConnection): Promise<void> {
    let room = this.rooms.get(conn.roomId);
    if (!room) {
      const roomId = conn.roomId;
      const created: LocalRoom = {
        connections: new Set(),
        unsubscribe: () => {},
        ready: Promise.resolve(),
        sequencer: new RoomSequencer(
          roomId,
          this.opts.store ?? null,
          (entry) => this.fanOut(created, entry),
          { log: this.opts.log, fetchLimit: this.opts.fetchLimit },
        ),
      };
      created.unsubscribe = this.bus.subscribe(roomId, (event) => this.deliver(event));
      created.ready = this.bus
        .subscribed(roomId)
        .then(() => created.sequencer.start())
        .catch((error: unknown) => {
          this.opts.log?.error({ err: error, room: roomId }, 'starting a room failed');
        });
      room = created;
      this.rooms.set(roomId, room);
    }
    room.connections.add(conn);
    return room.ready;
  }

  remove(conn: ChatConnection): void {
    const room = this.rooms.get(conn.roomId);
    if (!room?.connections.delete(conn)) return;
    if (room.connections.size === 0) {
      room.unsubscribe();
      room.sequencer.stop();
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
      case 'message':
        room.sequencer.offer({ kind: 'message', seq: event.message.seq, message: event.message });
        return;
      case 'change':
        room.sequencer.offer({ kind: 'change', seq: event.change.seq, change: event.change });
        return;
      case 'user_list':
        // Through the same coalescing as joins and leaves, so the latest list wins.
        this.sendListSoon(room, event.users);
        return;
      case 'typing': {
        const frame = typingFrame(event.username, event.isTyping);
        // Never to the typist, in any of their tabs.
        for (const conn of room.connections) {
          if (conn.username !== event.username) conn.sendRaw(frame);
        }
        return;
      }
      case 'presence': {
        const notice = presenceFrame(event.change, event.username);
        for (const conn of room.connections) conn.sendRaw(notice);
        this.sendListSoon(room, event.users);
        return;
      }
      case 'room_deleted': {
        const frame = roomDeletedFrame(event.roomId);
        for (const conn of [...room.connections]) {
          conn.sendRaw(frame);
          conn.close(CloseCode.ROOM_DELETED, 'Room deleted');
        }
        return;
      }
      case 'member_removed': {
        for (const conn of [...room.connections]) {
          if (conn.account?.userId === event.userId) {
            conn.close(CloseCode.REMOVED_FROM_ROOM, 'Removed from this room');
          }
        }
        return;
      }
    }
  }

  /**
   * Sends the room's online list at the end of this turn, or, if one went out less
   * than LIST_INTERVAL_MS ago, when that interval is up: always the latest list.
   * 1,000 clients joining at once then get a few dozen lists each, not 1,000 growing
   * ones (2.3 GB for one room). Each join or leave notice still goes out at once.
   */
  private sendListSoon(room: LocalRoom, users: string[]): void {
    const scheduled = room.nextList !== undefined;
    room.nextList = users;
    if (scheduled) return;
    const send = () => {
      const latest = room.nextList;
      room.nextList = undefined;
      if (!latest) return;
      room.listSentAt = performance.now();
      const frame = userListFrame(latest);
      for (const conn of room.connections) conn.sendRaw(frame);
    };
    const wait = (room.listSentAt ?? -Infinity) + LIST_INTERVAL_MS - performance.now();
    if (wait <= 0) setImmediate(send);
    else setTimeout(send, wait).unref();
  }

  private fanOut(room: LocalRoom, entry: LogEntry): void {
    if (entry.kind === 'change') {
      // Encoded once, and only to connections that asked for changes (features=changes).
      let frame: Buffer | null = null;
      for (const conn of room.connections) {
        if (!conn.changes) continue;
        frame ??= changeFrame(entry.change);
        conn.deliverMessage(entry.seq, frame);
      }
      return;
    }
    const frame = messageFrame(entry.message);
    let delivered = 0;
    for (const conn of room.connections) {
      if (conn.deliverMessage(entry.seq, frame)) delivered++;
    }
    this.opts.metrics?.messagesDelivered.inc(delivered);
  }

  /**
   * After a bus outage: every room reads what it missed, rooms deleted meanwhile
   * are closed, and online lists are re-sent.
   */
  private catchUpAll(): void {
    for (const [roomId, room] of this.rooms) {
      room.sequencer.catchUp();
      this.opts.store
        ?.getRoom(roomId)
        .then((found) => {
          if (!found && this.rooms.get(roomId) === room)
            this.deliver({ type: 'room_deleted', roomId });
        })
        .catch((error: unknown) => this.opts.log?.warn({ err: error }, 'reading a room failed'));
      this.opts.presence
        ?.users(roomId)
        .then((users) => {
          if (this.rooms.get(roomId) === room) this.sendListSoon(room, users);
        })
        .catch((error: unknown) => this.opts.log?.warn({ err: error }, 'reading users failed'));
    }
  }
}
