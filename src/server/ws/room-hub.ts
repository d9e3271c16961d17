import { CloseCode } from '../../protocol/error-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { Message } from '../../protocol/rest.js';
import type { BusEvent } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { Metrics } from '../metrics.js';
import type { Presence } from '../presence/presence.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import type { ChatConnection } from './connection.js';

interface LocalRoom {
  connections: Set<ChatConnection>;
  unsubscribe: Unsubscribe;
  /** Resolves once the bus subscription is live and `lastSeq` is known. */
  ready: Promise<void>;
  /** Newest seq delivered to the room's connections; null until known. */
  lastSeq: number | null;
  /** Messages held while the room starts or a gap is read from the store. */
  pending: Message[];
  /** The room is starting or reading the store; messages wait in `pending`. */
  busy: boolean;
  /** Read everything newer from the store (the bus may have lost events). */
  catchUp: boolean;
  /** The online list waiting to be sent (see `sendListSoon`), and when the last one went. */
  nextList?: string[] | undefined;
  listSentAt?: number;
}

export interface RoomHubOptions {
  /** Fills gaps in seq order and catches up after bus outages. Without it, messages go out as they come. */
  store?: ChatStore;
  /** Re-sends online lists after bus outages. */
  presence?: Presence;
  log?: Logger;
  metrics?: Metrics;
  /** Most messages read from the store at once. @default 500 */
  fetchLimit?: number;
}

/** A gap that the store cannot fill after this many tries is skipped, so the room never stalls. */
const FILL_TRIES = 5;
const FILL_RETRY_MS = 200;
/** Online lists go out at most this often per room (joins and leaves in between coalesce). */
const LIST_INTERVAL_MS = 50;

const encode = (frame: ServerFrame): Buffer => Buffer.from(JSON.stringify(frame));

/**
 * The connections of this process, grouped by room. Subscribes to a room's bus
 * topic while it has local members and fans each event out, serialized once.
 *
 * Messages reach every connection in seq order, whichever process stored them:
 * the hub tracks the newest seq it delivered per room, and when a message
 * arrives past a gap (another process published an earlier seq later, or the
 * bus lost it) the missing range is read from the store first. After a bus
 * outage every room catches up from the store.
 */
export class RoomHub {
  private readonly rooms = new Map<string, LocalRoom>();
  private readonly fetchLimit: number;

  constructor(
    private readonly bus: MessageBus,
    private readonly opts: RoomHubOptions = {},
  ) {
    this.fetchLimit = opts.fetchLimit ?? 500;
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
        lastSeq: null,
        pending: [],
        busy: true,
        catchUp: false,
      };
      created.unsubscribe = this.bus.subscribe(roomId, (event) => this.deliver(event));
      created.ready = this.start(roomId, created).catch((error: unknown) => {
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
        if (room.busy) room.pending.push(event.message);
        else this.accept(event.roomId, room, event.message);
        return;
      case 'user_list': {
        const frame = encode({ type: 'user_list', data: { users: event.users } });
        for (const conn of room.connections) conn.sendRaw(frame);
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
        for (const conn of room.connections) conn.sendRaw(notice);
        this.sendListSoon(room, event.users);
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
      const frame = encode({ type: 'user_list', data: { users: latest } });
      for (const conn of room.connections) conn.sendRaw(frame);
    };
    const wait = (room.listSentAt ?? -Infinity) + LIST_INTERVAL_MS - performance.now();
    if (wait <= 0) setImmediate(send);
    else setTimeout(send, wait).unref();
  }

  /** Subscribes, then learns the room's newest seq: later messages are delivered from there. */
  private async start(roomId: string, room: LocalRoom): Promise<void> {
    await this.bus.subscribed(roomId);
    if (this.opts.store) {
      try {
        room.lastSeq = (await this.opts.store.latestSeq(roomId)) ?? 0;
      } catch (error) {
        // Unknown: the next message sets it. Joining must not fail over this.
        this.opts.log?.warn({ err: error, room: roomId }, 'reading the latest seq failed');
      }
    }
    await this.fill(roomId, room);
  }

  /** A live message while nothing is pending: deliver it, or read the gap before it. */
  private accept(roomId: string, room: LocalRoom, message: Message): void {
    if (room.lastSeq === null || !this.opts.store) {
      this.fanOut(room, message);
      return;
    }
    if (message.seq <= room.lastSeq) return; // delivered already (own echo, catch-up)
    if (message.seq === room.lastSeq + 1) {
      this.fanOut(room, message);
      return;
    }
    room.pending.push(message);
    void this.fill(roomId, room);
  }

  private fanOut(room: LocalRoom, message: Message): void {
    const frame = encode({ type: 'message', data: message });
    let delivered = 0;
    for (const conn of room.connections) {
      const before = conn.lastSeq;
      conn.deliverMessage(message.seq, frame);
      if (conn.lastSeq !== before) delivered++;
    }
    room.lastSeq = message.seq;
    this.opts.metrics?.messagesDelivered.inc(delivered);
  }

  /** Delivers pending messages that follow on; leaves those past a gap. */
  private drainPending(room: LocalRoom): void {
    room.pending.sort((a, b) => a.seq - b.seq);
    let i = 0;
    for (; i < room.pending.length; i++) {
      const message = room.pending[i] as Message;
      if (room.lastSeq === null || !this.opts.store) {
        this.fanOut(room, message);
        continue;
      }
      if (message.seq <= room.lastSeq) continue;
      if (message.seq !== room.lastSeq + 1) break;
      this.fanOut(room, message);
    }
    room.pending.splice(0, i);
  }

  /**
   * Reads from the store what the bus did not bring, in order: the gap before the
   * first pending message, or (catching up) everything newer. One at a time per room.
   */
  private async fill(roomId: string, room: LocalRoom): Promise<void> {
    room.busy = true;
    const store = this.opts.store;
    let failures = 0;
    let readAll = false;
    while (this.rooms.get(roomId) === room) {
      readAll ||= room.catchUp;
      room.catchUp = false;
      this.drainPending(room);
      const next = room.pending[0];
      if (!store || room.lastSeq === null || (!next && !readAll)) break;
      const from = room.lastSeq;
      const want =
        next && !readAll ? Math.min(next.seq - from - 1, this.fetchLimit) : this.fetchLimit;
      try {
        const found = await store.messagesAfter(roomId, from, want);
        failures = 0;
        for (const message of found) {
          if (room.lastSeq !== null && message.seq <= room.lastSeq) continue;
          // seqs are gapless; should one be missing anyway, go on rather than loop
          this.fanOut(room, message);
        }
        if (found.length < want) readAll = false;
        // Nothing stored in the gap (the room was deleted): do not wait for it.
        if (found.length === 0 && next) room.lastSeq = next.seq - 1;
      } catch (error) {
        this.opts.log?.warn(
          { err: error, room: roomId, after: from },
          'catching up from the store failed',
        );
        if (++failures >= FILL_TRIES) {
          this.opts.log?.error(
            { room: roomId, after: from },
            'skipping a gap the store cannot fill',
          );
          if (next) room.lastSeq = next.seq - 1;
          readAll = false;
          failures = 0;
        } else {
          await new Promise((r) => setTimeout(r, FILL_RETRY_MS * failures).unref());
        }
      }
    }
    room.busy = false;
  }

  /**
   * After a bus outage: every room reads what it missed, rooms deleted meanwhile
   * are closed, and online lists are re-sent.
   */
  private catchUpAll(): void {
    for (const [roomId, room] of this.rooms) {
      room.catchUp = true;
      if (!room.busy) void this.fill(roomId, room);
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
          const frame = encode({ type: 'user_list', data: { users } });
          for (const conn of room.connections) conn.sendRaw(frame);
        })
        .catch((error: unknown) => this.opts.log?.warn({ err: error }, 'reading users failed'));
    }
  }
}
