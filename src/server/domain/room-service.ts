import type { UserRef } from '../../protocol/accounts.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Message, Room, RoomVisibility } from '../../protocol/rest.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import { ROOMS_TOPIC } from '../bus/bus-events.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import { ChatError, roomNotFound, validationFailed } from '../errors.js';
import type { AccountStore } from '../storage/account-store.js';
import type { ChatStore, RoomCursor } from '../storage/chat-store.js';
import type { Actor, UserActor } from './actor.js';
import { accountReader, openReader } from './reader.js';
import type { RoomAccess } from './room-access.js';
import type { RoomPurger } from './room-purger.js';
import type { SidebarService } from './sidebar.js';

const NAME_PROBLEMS = {
  empty: ['Room name must not be empty', 'string_too_short'],
  too_long: ['Room name is too long', 'string_too_long'],
  control_chars: ['Room name must not contain control characters', 'string_pattern_mismatch'],
  invisible_chars: [
    'Room name must not contain invisible or bidirectional control characters',
    'string_pattern_mismatch',
  ],
} as const;

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\.(\d{1,15})$/;

/** An opaque page cursor: base64url of `<created_at>.<pos>`, the last room's place in the list. */
export const encodeRoomCursor = (c: RoomCursor): string =>
  Buffer.from(`${c.createdAt}.${c.pos}`).toString('base64url');

/** The cursor in `raw`, or null when it is not one this server made. */
export function decodeRoomCursor(raw: string): RoomCursor | null {
  const match = CURSOR.exec(Buffer.from(raw, 'base64url').toString('latin1'));
  if (!match) return null;
  const [, createdAt = '', pos = ''] = match;
  // Only real instants, so PostgreSQL never sees a timestamp it would reject.
  const time = Date.parse(createdAt);
  if (Number.isNaN(time) || new Date(time).toISOString() !== createdAt) return null;
  return { createdAt, pos: Number(pos) };
}

export interface RoomListPage {
  rooms: Room[];
  /** Cursor of the next page; null on the last. */
  next: string | null;
}

const viewerOf = (actor: Actor): string | undefined =>
  actor.kind === 'user' ? actor.userId : undefined;

/**
 * Rooms: creation, listing, history, renaming, deletion, members and direct
 * messages, each checked against room-access.ts for the acting account.
 */
export class RoomService {
  constructor(
    private readonly store: ChatStore,
    private readonly bus: MessageBus,
    private readonly limits: Config['limits'],
    private readonly purger: RoomPurger,
    private readonly access: RoomAccess,
    /** Present in accounts mode. */
    private readonly accounts?: AccountStore,
    /** Sidebars follow creation, membership, DMs and deletion (absent: a store without them). */
    private readonly sidebar?: SidebarService,
  ) {}

  private checkName(rawName: string): string {
    const name = normalizeName(rawName);
    const problem = nameProblem(name, this.limits.maxRoomNameLength);
    if (problem) {
      const [msg, type] = NAME_PROBLEMS[problem];
      throw validationFailed(['body', 'name'], msg, type);
    }
    return name;
  }

  /**
   * Creates a room; it joins its creator's sidebar: the account's, or in open mode
   * `creator`'s (a validated username) when one is named.
   */
  async create(
    actor: Actor,
    rawName: string,
    visibility: RoomVisibility = 'public',
    creator?: string,
  ): Promise<Room> {
    const name = this.checkName(rawName);
    if (actor.kind === 'open') {
      // Without accounts there is nobody to be a member.
      if (visibility !== 'public') {
        throw validationFailed(
          ['body', 'visibility'],
          'Private rooms need accounts mode (CHAT_AUTH=accounts)',
          'value_error',
        );
      }
      // The room list hears of the room before the creator's sidebar does.
      const room = await this.listed('created', await this.store.createRoom(name), null);
      if (creator !== undefined) await this.sidebar?.roomCreated(openReader(creator), room);
      return room;
    }
    const members = visibility === 'private' ? [actor.userId] : [];
    const created = await this.store.createRoom(name, {
      ownerId: actor.userId,
      visibility,
      members,
    });
    const room = await this.listed('created', created, visibility === 'private' ? members : null);
    await this.sidebar?.roomCreated(accountReader(actor), room);
    return room;
  }

  /**
   * Pushes a change of the room list to every workspace socket that may see the
   * room, on every process (ROOMS_TOPIC). DMs are not in the room list: their
   * members learn of them from their sidebars.
   */
  private async listed(
    change: 'created' | 'updated' | 'removed',
    room: Room,
    members: string[] | null,
  ): Promise<Room> {
    if (room.kind === 'room' || change === 'removed') {
      await this.bus.publish({ type: 'room_listed', roomId: ROOMS_TOPIC, change, room, members });
    }
    return room;
  }

  /** Who may see a private room (null: a public room, everyone). */
  private async viewers(room: Room): Promise<string[] | null> {
    if (room.visibility !== 'private' || !this.accounts) return null;
    return (await this.accounts.listMembers(room.id)).map((m) => m.id);
  }

  async list(actor: Actor): Promise<Room[]> {
    return this.present(actor, await this.store.listRooms(viewerOf(actor)));
  }

  /** Up to `limit` rooms after the cursor `after` (from the first without it), oldest first. */
  async page(actor: Actor, limit: number, after?: string): Promise<RoomListPage> {
    let cursor: RoomCursor | undefined;
    if (after !== undefined) {
      cursor = decodeRoomCursor(after) ?? undefined;
      if (!cursor) throw validationFailed(['query', 'after'], 'Invalid cursor', 'value_error');
    }
    const page = await this.store.listRoomsPage(limit, cursor, viewerOf(actor));
    return {
      rooms: await this.present(actor, page.rooms),
      next: page.next ? encodeRoomCursor(page.next) : null,
    };
  }

  /** A DM is named, for each viewer, after the other member. */
  private async present(actor: Actor, rooms: Room[]): Promise<Room[]> {
    if (actor.kind !== 'user' || !this.accounts) return rooms;
    const dms = rooms.filter((r) => r.kind === 'dm').map((r) => r.id);
    if (dms.length === 0) return rooms;
    const peers = await this.accounts.dmPeers(dms, actor.userId);
    return rooms.map((r) => (r.kind === 'dm' ? { ...r, name: peers.get(r.id) ?? r.name } : r));
  }

  private async presentOne(actor: Actor, room: Room): Promise<Room> {
    return (await this.present(actor, [room]))[0] as Room;
  }

  async rename(actor: Actor, roomId: string, rawName: string): Promise<Room> {
    const name = this.checkName(rawName);
    await this.access.require(actor, roomId, 'rename');
    const room = await this.store.renameRoom(roomId, name);
    if (!room) throw roomNotFound(roomId);
    return this.listed('updated', room, await this.viewers(room));
  }

  async members(actor: Actor, roomId: string): Promise<UserRef[]> {
    const room = await this.access.require(actor, roomId, 'see');
    if (room.visibility !== 'private' || !this.accounts) return [];
    return this.accounts.listMembers(roomId);
  }

  async addMember(actor: Actor, roomId: string, userId: string): Promise<void> {
    const room = await this.access.require(actor, roomId, 'add_member', userId);
    const accounts = this.requireAccounts();
    const user = await accounts.userById(userId);
    if (!user?.active) throw new ChatError(ErrorCode.NOT_FOUND, 'No such account', 404);
    await accounts.addMember(roomId, userId);
    await this.sidebar?.memberAdded(user.id, user.username, room);
  }

  /** Removes a member; their WebSockets in the room close (4011) on every process. */
  async removeMember(actor: Actor, roomId: string, userId: string): Promise<void> {
    await this.access.require(actor, roomId, 'remove_member', userId);
    if (!(await this.requireAccounts().removeMember(roomId, userId))) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'Not a member of this room', 404);
    }
    await this.bus.publish({ type: 'member_removed', roomId, userId });
    await this.sidebar?.memberRemoved(userId, roomId);
  }

  /** The DM room of the actor and `userId`; `created` false when it existed. */
  async openDm(actor: UserActor, userId: string): Promise<{ room: Room; created: boolean }> {
    const peer = await this.requireAccounts().userById(userId);
    if (!peer?.active || peer.id === actor.userId) {
      throw new ChatError(ErrorCode.NOT_FOUND, 'No such account to message', 404);
    }
    const pair = [actor.userId, peer.id].sort() as [string, string];
    const names = [actor.username, peer.username].sort().join(', ');
    const { room, created } = await this.store.openDm(names, actor.userId, pair, pair.join(':'));
    // Both members have a new DM in their sidebars; opening it again brings it
    // back to the opener's if they had taken it out.
    await this.sidebar?.memberAdded(actor.userId, actor.username, room);
    if (created) await this.sidebar?.memberAdded(peer.id, peer.username, room);
    return { room: await this.presentOne(actor, room), created };
  }

  private requireAccounts(): AccountStore {
    if (!this.accounts) throw new ChatError(ErrorCode.NOT_FOUND, 'Not Found', 404);
    return this.accounts;
  }

  /**
   * A page of a room's history, oldest first: the newest `limit` messages (before
   * `before`), the first `limit` after `after`, or a window around `around`.
   */
  async history(
    actor: Actor,
    roomId: string,
    limit: number,
    at: { before?: number; after?: number; around?: number } = {},
  ): Promise<Message[]> {
    const given = (['before', 'after', 'around'] as const).filter((k) => at[k] !== undefined);
    if (given.length > 1) {
      throw validationFailed(
        ['query', given[1] as string],
        `Give at most one of before, after and around, not ${given.join(' and ')}`,
        'value_error',
      );
    }
    if (limit > this.limits.maxHistoryLimit) {
      throw validationFailed(
        ['query', 'limit'],
        `limit must be at most ${this.limits.maxHistoryLimit}`,
        'less_than_equal',
      );
    }
    await this.access.require(actor, roomId, 'see');
    if (at.after !== undefined) return this.store.messagesAfter(roomId, at.after, limit);
    if (at.around !== undefined) {
      // Half before, half from it on; near either end of the room, the other side
      // fills the window.
      const [before, from] = await Promise.all([
        this.store.recentMessages(roomId, limit, at.around),
        this.store.messagesAfter(roomId, at.around - 1, limit),
      ]);
      const older = Math.min(before.length, Math.max(Math.floor(limit / 2), limit - from.length));
      return [...before.slice(before.length - older), ...from.slice(0, limit - older)];
    }
    return this.store.recentMessages(roomId, limit, at.before);
  }

  /** The history epoch, for clients to resume with (see ChatStore.epoch). */
  epoch(): Promise<string> {
    return this.store.epoch();
  }

  /**
   * Deletes the room at once (it is marked, and unknown from then on), tells every
   * process so members are disconnected, and leaves its messages to the purger.
   */
  async delete(actor: Actor, roomId: string): Promise<void> {
    const room =
      actor.kind === 'user'
        ? await this.access.require(actor, roomId, 'delete')
        : await this.store.getRoom(roomId);
    if (!room) throw roomNotFound(roomId);
    // Read before the deletion: who could see it is gone with it.
    const members = await this.viewers(room);
    // Out of every sidebar first: once the room is marked, any process's purger
    // may remove its row, taking the sidebar rows with it unannounced. A reader
    // joining in between keeps a row nobody lists, purged with the room.
    // (Never throws.)
    await this.sidebar?.roomDeleted(roomId);
    if (!(await this.store.deleteRoom(roomId))) throw roomNotFound(roomId);
    this.purger.kick();
    await this.bus.publish({ type: 'room_deleted', roomId });
    await this.listed('removed', room, members);
  }
}
