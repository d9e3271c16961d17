// A process's room connections and the fan-out of each room's events to them.
// Over 300 lines: the pacing of online lists and join/leave notices (issue 14)
// must see every other fan-out of the room, which flushes the notices first.
import type { BusEvent } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { UserActor } from '../domain/actor.js';
import type { RoomAccess } from '../domain/room-access.js';
import type { RoomPresence } from '../domain/room-presence.js';
import { RoomSequencer } from '../domain/room-sequencer.js';
import type { Metrics } from '../metrics.js';
import type { PresenceList } from '../presence/presence.js';
import type { ChatStore, LogEntry } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import { ChatConnection } from './connection.js';
import type { RoomMember } from './room-member.js';
import { presenceNotice, RoomFrame } from './server-frames.js';

interface LocalRoom {
  roomId: string;
  /** `/ws/chat` connections and workspace subscriptions alike. */
  connections: Set<RoomMember>;
  unsubscribe: Unsubscribe;
  /** Resolves once the bus subscription is live and the room's position is known. */
  ready: Promise<void>;
  /** Puts the room's log entries (messages and changes) in seq order before they fan out. */
  sequencer: RoomSequencer<LogEntry>;
  /** The online list waiting to be sent (see `sendListSoon`), and when the last one went. */
  nextList?: PresenceList | undefined;
  listSentAt?: number;
  /**
   * The newest list version seen. Lists published by other processes can arrive
   * after newer ones; an older list never goes out after a newer one.
   */
  listVersion: number;
  /** `join`/`leave` notices waiting to go out together (see `noticeSoon`), oldest first. */
  notices: Notice[];
}

/** A join or leave notice and the version of the list it made. */
interface Notice {
  frame: RoomFrame;
  version: number;
}

export interface RoomHubOptions {
  /** Fills gaps in seq order and catches up after bus outages. Without it, messages go out as they come. */
  store?: ChatStore;
  /** Re-sends online lists after bus outages. */
  presence?: Pick<RoomPresence, 'list'>;
  /** Accounts mode: re-asks, after a bus outage, who may still see a private room. */
  access?: Pick<RoomAccess, 'canSee'>;
  log?: Logger;
  metrics?: Metrics;
  /** Most messages read from the store at once. @default 500 */
  fetchLimit?: number;
}

/** Online lists go out at most this often per room (joins and leaves in between coalesce)… */
const LIST_INTERVAL_MS = 50;
/**
 * …and, in a large room, at most once per this many ms per local member. A list
 * names every member and goes to every member, so a round costs O(members²)
 * bytes; at a fixed 50 ms a join storm of 2,000 spent 50 of its 65 s of server
 * CPU in writev (profiled). With the interval growing with the room, the bytes
 * per second grow linearly instead: 100 members keep 50 ms, 1,000 wait 500 ms,
 * 10,000 wait 5 s (about 160 MB/s of lists to that room while it changes).
 * A room's first list after a quiet spell still goes out at once.
 */
const LIST_MS_PER_MEMBER = 0.5;

/** How long a room of `members` local members waits between online lists. */
export const listIntervalMs = (members: number): number =>
  Math.max(LIST_INTERVAL_MS, members * LIST_MS_PER_MEMBER);

/**
 * `join`/`leave` notices of a room wait this many ms per local member and then go
 * out together, each member's in one write. With the lists made linear, a storm
 * of 2,000 still spent 28 of its 40 s of server CPU in writev: one syscall per
 * member per join (2 million). Every notice is still sent; only the syscalls
 * are shared. 100 members wait 2.5 ms, 2,000 wait 50 ms, 10,000 wait 250 ms:
 * at most 40,000 writes a second to one room, however large.
 */
const NOTICE_MS_PER_MEMBER = 0.025;

/** How long a room of `members` local members holds join and leave notices (0: to the end of the turn). */
export const noticeDelayMs = (members: number): number => members * NOTICE_MS_PER_MEMBER;

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
  add(conn: RoomMember): Promise<void> {
    let room = this.rooms.get(conn.roomId);
    if (!room) {
      const roomId = conn.roomId;
      const created: LocalRoom = {
        roomId,
        connections: new Set(),
        unsubscribe: () => {},
        ready: Promise.resolve(),
        listVersion: 0,
        notices: [],
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

  remove(conn: RoomMember): void {
    const room = this.rooms.get(conn.roomId);
    if (!room?.connections.delete(conn)) return;
    if (room.connections.size === 0) {
      room.unsubscribe();
      room.sequencer.stop();
      this.rooms.delete(conn.roomId);
    }
  }

  /** Every local `/ws/chat` connection (for shutdown and heartbeats). */
  *connections(): Iterable<ChatConnection> {
    for (const room of this.rooms.values()) {
      for (const member of room.connections) if (member instanceof ChatConnection) yield member;
    }
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
    // Nothing overtakes a waiting join or leave notice.
    if (event.type !== 'presence') this.sendNotices(room);
    switch (event.type) {
      case 'message':
        room.sequencer.offer({ kind: 'message', seq: event.message.seq, message: event.message });
        return;
      case 'change':
        room.sequencer.offer({ kind: 'change', seq: event.change.seq, change: event.change });
        return;
      case 'user_list':
        // Through the same coalescing as joins and leaves, so the latest list wins.
        this.sendListSoon(room, event);
        return;
      case 'typing': {
        const frame = new RoomFrame(event.roomId, {
          type: 'typing',
          data: { username: event.username, is_typing: event.isTyping },
        });
        // Never to the typist, in any of their tabs.
        for (const conn of room.connections) {
          if (conn.present && conn.username !== event.username)
            conn.sendRaw(frame.for(conn.flavour));
        }
        return;
      }
      case 'presence': {
        this.noticeSoon(room, {
          frame: new RoomFrame(event.roomId, presenceNotice(event.change, event.username)),
          version: event.version,
        });
        this.sendListSoon(room, event);
        return;
      }
      case 'room_deleted': {
        const notice = new RoomFrame(event.roomId, {
          type: 'room_deleted',
          data: { room_id: event.roomId, message: 'This room was deleted' },
        });
        for (const conn of [...room.connections]) conn.roomDeleted(notice);
        return;
      }
      case 'member_removed': {
        for (const conn of [...room.connections]) {
          if (conn.account?.userId === event.userId) conn.removedFromRoom();
        }
        return;
      }
    }
  }

  /** Queues a join or leave notice; the first one queued schedules the batch. */
  private noticeSoon(room: LocalRoom, notice: Notice): void {
    if (room.notices.push(notice) > 1) return;
    const delay = noticeDelayMs(room.connections.size);
    const send = () => this.sendNotices(room);
    if (delay < 1) setImmediate(send);
    else setTimeout(send, delay).unref();
  }

  /**
   * Sends the waiting notices, each member those of joins and leaves from its own
   * join on, corked into one write.
   */
  private sendNotices(room: LocalRoom): void {
    const notices = room.notices;
    if (notices.length === 0) return;
    room.notices = [];
    let oldest = Infinity;
    for (const n of notices) oldest = Math.min(oldest, n.version);
    // Every notice, in one buffer shared by all who get them all: a batch queued for
    // a slow reader costs one reference, not a buffer per frame (a 10,000 join storm
    // peaked at 2.6 GB that way).
    let chat: Buffer | undefined;
    for (const conn of room.connections) {
      if (!conn.present) continue;
      if (conn.presenceFrom <= oldest && conn instanceof ChatConnection) {
        chat ??= Buffer.concat(notices.map((n) => n.frame.for('chat')));
        conn.sendRaw(chat);
        continue;
      }
      for (const { frame, version } of notices) {
        if (version >= conn.presenceFrom) conn.sendRaw(frame.for(conn.flavour));
      }
    }
  }

  /**
   * Sends the room's online list at the end of this turn, or, if one went out less
   * than `listIntervalMs(members)` ago, when that interval is up: always the latest
   * list. 1,000 clients joining at once then get a few lists each, not 1,000 growing
   * ones (2.3 GB for one room). Each join or leave notice still goes out at once.
   * A list older than one already seen is dropped; a member gets the lists from
   * its own join's on.
   */
  private sendListSoon(room: LocalRoom, list: PresenceList): void {
    if (list.version < room.listVersion) return;
    room.listVersion = list.version;
    const scheduled = room.nextList !== undefined;
    room.nextList = { users: list.users, version: list.version };
    if (scheduled) return;
    const send = () => {
      const latest = room.nextList;
      room.nextList = undefined;
      if (!latest) return;
      this.sendNotices(room);
      room.listSentAt = performance.now();
      const frame = new RoomFrame(room.roomId, {
        type: 'user_list',
        data: { users: latest.users },
      });
      for (const conn of room.connections) {
        if (conn.present && conn.presenceFrom <= latest.version) {
          conn.sendRaw(frame.for(conn.flavour));
        }
      }
    };
    const wait =
      (room.listSentAt ?? -Infinity) + listIntervalMs(room.connections.size) - performance.now();
    if (wait <= 0) setImmediate(send);
    else setTimeout(send, wait).unref();
  }

  /** Ends the connections of accounts that may no longer see the room (a lost `member_removed`). */
  private async recheckMembers(room: LocalRoom): Promise<void> {
    const access = this.opts.access;
    if (!access) return;
    const accounts = new Map<string, UserActor>();
    for (const conn of room.connections) {
      if (conn.account) accounts.set(conn.account.userId, conn.account);
    }
    for (const [userId, account] of accounts) {
      if (await access.canSee(account, room.roomId)) continue;
      if (this.rooms.get(room.roomId) === room)
        this.deliver({ type: 'member_removed', roomId: room.roomId, userId });
    }
  }

  private fanOut(room: LocalRoom, entry: LogEntry): void {
    this.sendNotices(room);
    if (entry.kind === 'change') {
      // Encoded at most once per flavour, and only for members that take changes
      // (features=changes on /ws/chat; every workspace subscription).
      const frame = new RoomFrame(room.roomId, { type: 'change', data: entry.change });
      for (const conn of room.connections) {
        if (conn.changes) conn.deliverMessage(entry.seq, frame.for(conn.flavour));
      }
      return;
    }
    const frame = new RoomFrame(room.roomId, { type: 'message', data: entry.message });
    let delivered = 0;
    for (const conn of room.connections) {
      if (conn.deliverMessage(entry.seq, frame.for(conn.flavour))) delivered++;
    }
    this.opts.metrics?.messagesDelivered.inc(delivered);
  }

  /**
   * After a bus outage: every room reads what it missed, rooms deleted meanwhile
   * are closed, members removed meanwhile from a private room leave it, and online
   * lists are re-sent.
   */
  private catchUpAll(): void {
    for (const [roomId, room] of this.rooms) {
      room.sequencer.catchUp();
      this.opts.store
        ?.getRoom(roomId)
        .then((found) => {
          if (this.rooms.get(roomId) !== room) return;
          if (!found) this.deliver({ type: 'room_deleted', roomId });
          else if (found.visibility === 'private') return this.recheckMembers(room);
        })
        .catch((error: unknown) => this.opts.log?.warn({ err: error }, 'reading a room failed'));
      this.opts.presence
        ?.list(roomId)
        .then((list) => {
          if (this.rooms.get(roomId) === room) this.sendListSoon(room, list);
        })
        .catch((error: unknown) => this.opts.log?.warn({ err: error }, 'reading users failed'));
    }
  }
}
