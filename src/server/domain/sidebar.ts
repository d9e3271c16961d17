import { ErrorCode } from '../../protocol/error-codes.js';
import type { Room } from '../../protocol/rest.js';
import type { NotifyLevel, SidebarRoom } from '../../protocol/workspace.js';
import type { ReaderFrame, ReadState } from '../bus/bus-events.js';
import type { MessageBus } from '../bus/message-bus.js';
import { ChatError } from '../errors.js';
import type { AccountStore } from '../storage/account-store.js';
import type { SidebarEntry, SidebarStore } from '../storage/sidebar-store.js';
import type { Logger } from '../util/logger.js';
import type { Actor } from './actor.js';
import { accountReaderKey, type Reader, readerTopic } from './reader.js';
import type { RoomAccess } from './room-access.js';

/** Campfire's defaults: every message of a direct message, only mentions elsewhere. */
export const defaultNotify = (room: Pick<Room, 'kind'>): NotifyLevel =>
  room.kind === 'dm' ? 'all' : 'mentions';

const notInSidebar = (): ChatError =>
  new ChatError(ErrorCode.NOT_FOUND, 'This room is not in your sidebar', 404);

const toSidebarRoom = (e: SidebarEntry, room: Room = e.room): SidebarRoom => ({
  room,
  last_read_seq: e.lastReadSeq,
  latest_seq: e.latestSeq,
  unread: e.unread,
  mentions: e.mentions,
  notify: e.notify,
});

/**
 * Sidebars ("rooms you are in") and read positions, per reader (reader.ts), with
 * unread and mention counts. Every change is published on the reader's bus topic
 * (`reader:<key>`) as the workspace frame its sockets forward: `sidebar_added`,
 * `sidebar_removed` or `read_state`.
 *
 * The `actor` methods serve the reader's own requests (REST, workspace `read`
 * frames) and check room access first: an unknown room, or a private room the
 * actor is not a member of, is ROOM_NOT_FOUND. The others follow changes made
 * elsewhere (room creation, membership, DMs, deletion) and trust their caller.
 */
export class SidebarService {
  constructor(
    private readonly store: SidebarStore,
    private readonly access: RoomAccess,
    private readonly bus: MessageBus,
    private readonly log: Logger,
    /** Accounts mode: DMs are named after the other member. */
    private readonly accounts?: AccountStore,
  ) {}

  /** The reader's sidebar, in the order the rooms were joined, with counts. */
  async list(reader: Reader): Promise<SidebarRoom[]> {
    const entries = await this.store.list(reader);
    const names = await this.dmNames(reader, entries);
    return entries.map((e) => toSidebarRoom(e, this.named(e.room, names)));
  }

  /** Adds a room the actor may see; idempotent (the row as it is when present). */
  async join(actor: Actor, reader: Reader, roomId: string): Promise<SidebarRoom> {
    const room = await this.access.require(actor, roomId, 'see');
    const added = await this.add(reader.key, room);
    const entry = await this.entry(reader, roomId);
    if (added) await this.publish(reader.key, { type: 'sidebar_added', data: entry });
    return entry;
  }

  /** Takes a room out of the sidebar (idempotent). */
  async leave(actor: Actor, reader: Reader, roomId: string): Promise<void> {
    await this.access.require(actor, roomId, 'see');
    if (await this.store.leave(reader.key, roomId)) {
      await this.publish(reader.key, { type: 'sidebar_removed', data: { room_id: roomId } });
    }
  }

  /**
   * Moves the read position to `seq` (clamped to the room's latest seq); smaller
   * than before marks the rest unread. NOT_FOUND when the room is not in the sidebar.
   */
  async setRead(actor: Actor, reader: Reader, roomId: string, seq: number): Promise<ReadState> {
    await this.access.require(actor, roomId, 'see');
    const position = await this.store.setRead(reader.key, roomId, seq);
    if (!position) throw notInSidebar();
    return this.announce(reader.key, roomId, position.lastReadSeq, position.notify);
  }

  /** Sets the room's notify level. NOT_FOUND when the room is not in the sidebar. */
  async setNotify(
    actor: Actor,
    reader: Reader,
    roomId: string,
    level: NotifyLevel,
  ): Promise<ReadState> {
    await this.access.require(actor, roomId, 'see');
    const position = await this.store.setNotify(reader.key, roomId, level);
    if (!position) throw notInSidebar();
    return this.announce(reader.key, roomId, position.lastReadSeq, position.notify);
  }

  /** Its creator has a new room in their sidebar. */
  async roomCreated(reader: Reader, room: Room): Promise<void> {
    if (await this.add(reader.key, room)) {
      await this.publish(reader.key, {
        type: 'sidebar_added',
        data: await this.entry(reader, room.id),
      });
    }
  }

  /**
   * An account became a member of a private room or DM (added, or a DM opened):
   * the room joins its sidebar. `username` is the account's, for the counts.
   */
  async memberAdded(accountId: string, username: string, room: Room): Promise<void> {
    await this.roomCreated({ key: accountReaderKey(accountId), username, accountId }, room);
  }

  /**
   * An account left a private room (or was removed): the room leaves its sidebar.
   * Never throws: the membership change is done, and a row left behind by a
   * failed delete is not listed (private rooms are listed only to members).
   */
  async memberRemoved(accountId: string, roomId: string): Promise<void> {
    const key = accountReaderKey(accountId);
    try {
      if (!(await this.store.leave(key, roomId))) return;
    } catch (error) {
      this.log.error({ err: error, room: roomId }, 'taking a room out of a sidebar failed');
      return;
    }
    await this.publish(key, { type: 'sidebar_removed', data: { room_id: roomId } });
  }

  /**
   * A deleted room leaves every sidebar. Never throws: the room is deleted, its
   * rows are not listed any more and go with the room's row when it is purged.
   */
  async roomDeleted(roomId: string): Promise<void> {
    let readers: string[];
    try {
      readers = await this.store.removeRoom(roomId);
    } catch (error) {
      this.log.error({ err: error, room: roomId }, 'taking a deleted room out of sidebars failed');
      return;
    }
    await Promise.all(
      readers.map((key) =>
        this.publish(key, { type: 'sidebar_removed', data: { room_id: roomId } }),
      ),
    );
  }

  private async add(readerKey: string, room: Room): Promise<boolean> {
    const result = await this.store.join(readerKey, room.id, defaultNotify(room));
    if (result === 'no_room')
      throw new ChatError(ErrorCode.ROOM_NOT_FOUND, `Room ${room.id} not found`, 404);
    return result === 'added';
  }

  /** One room of the sidebar as the reader sees it (a room deleted meanwhile: ROOM_NOT_FOUND). */
  private async entry(reader: Reader, roomId: string): Promise<SidebarRoom> {
    const entry = await this.store.get(reader, roomId);
    if (!entry) throw new ChatError(ErrorCode.ROOM_NOT_FOUND, `Room ${roomId} not found`, 404);
    const names = await this.dmNames(reader, [entry]);
    return toSidebarRoom(entry, this.named(entry.room, names));
  }

  private async dmNames(reader: Reader, entries: SidebarEntry[]): Promise<Map<string, string>> {
    if (!this.accounts || reader.accountId === null) return new Map();
    const dms = entries.filter((e) => e.room.kind === 'dm').map((e) => e.room.id);
    if (dms.length === 0) return new Map();
    return this.accounts.dmPeers(dms, reader.accountId);
  }

  private named(room: Room, names: Map<string, string>): Room {
    const name = room.kind === 'dm' ? names.get(room.id) : undefined;
    return name === undefined ? room : { ...room, name };
  }

  private async announce(
    readerKey: string,
    roomId: string,
    lastReadSeq: number,
    notify: NotifyLevel,
  ): Promise<ReadState> {
    const data: ReadState = { room_id: roomId, last_read_seq: lastReadSeq, notify };
    await this.publish(readerKey, { type: 'read_state', data });
    return data;
  }

  /**
   * The change is stored; a lost event only delays other tabs until they list the
   * sidebar again, so a failed publish is logged, not thrown at the caller.
   */
  private async publish(reader: string, frame: ReaderFrame): Promise<void> {
    try {
      await this.bus.publish({ type: 'reader', roomId: readerTopic(reader), reader, frame });
    } catch (error) {
      this.log.error({ err: error, reader }, 'publishing a reader event failed');
    }
  }
}
