import type { Room } from '../../protocol/rest.js';
import { forbidden, roomNotFound } from '../errors.js';
import type { AccountStore } from '../storage/account-store.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { Actor } from './actor.js';

/**
 * What one may do with a room. `see` covers listing, history, members, joining
 * over WebSocket, posting and typing; the rest are changes to the room itself.
 */
export type RoomAction = 'see' | 'rename' | 'delete' | 'add_member' | 'remove_member';

export type AccessDecision = 'ok' | 'not_found' | 'forbidden';

/**
 * The one rule (REST, WebSocket and later search all ask it):
 * - open mode: anything, as in the original API;
 * - a private room (and a DM) exists only for its members: `not_found` for
 *   everyone else, admins included (a private room stays private);
 * - renaming and deleting: the room's owner or an admin; a DM is never renamed;
 * - adding members: a private room's owner or an admin; never to a DM or a public room;
 * - removing a member: the owner or an admin, or a member removing themself.
 */
export function decideRoomAccess(
  actor: Actor,
  room: Room,
  action: RoomAction,
  isMember: boolean,
  targetUserId?: string,
): AccessDecision {
  if (actor.kind === 'open') return 'ok';
  if (room.visibility === 'private' && !isMember) return 'not_found';
  const owner = room.owner_id !== null && room.owner_id === actor.userId;
  const admin = actor.role === 'admin';
  switch (action) {
    case 'see':
      return 'ok';
    case 'rename':
      if (room.kind === 'dm') return 'forbidden';
      return owner || admin ? 'ok' : 'forbidden';
    case 'delete':
      return owner || admin ? 'ok' : 'forbidden';
    case 'add_member':
      if (room.kind === 'dm' || room.visibility !== 'private') return 'forbidden';
      return owner || admin ? 'ok' : 'forbidden';
    case 'remove_member':
      if (room.visibility !== 'private') return 'forbidden';
      if (targetUserId === actor.userId) return 'ok';
      if (room.kind === 'dm') return 'forbidden';
      return owner || admin ? 'ok' : 'forbidden';
  }
}

const FORBIDDEN_TEXT: Record<RoomAction, string> = {
  see: 'Not allowed',
  rename: "Only the room's owner or an admin may rename it",
  delete: "Only the room's owner or an admin may delete it",
  add_member: "Only a private room's owner or an admin may add members",
  remove_member: "Only a private room's owner or an admin may remove members",
};

/** Applies decideRoomAccess with the facts from the store. */
export class RoomAccess {
  constructor(
    private readonly store: ChatStore,
    private readonly accounts: AccountStore | undefined,
  ) {}

  /** The room when `actor` may do `action`; else throws ROOM_NOT_FOUND (404) or FORBIDDEN (403). */
  async require(
    actor: Actor,
    roomId: string,
    action: RoomAction,
    targetUserId?: string,
  ): Promise<Room> {
    const room = await this.store.getRoom(roomId);
    if (!room) throw roomNotFound(roomId);
    const decision = decideRoomAccess(
      actor,
      room,
      action,
      await this.isMember(actor, room),
      targetUserId,
    );
    if (decision === 'not_found') throw roomNotFound(roomId);
    if (decision === 'forbidden') throw forbidden(FORBIDDEN_TEXT[action]);
    return room;
  }

  /** Whether `actor` may see the room (false for unknown rooms too). */
  async canSee(actor: Actor, roomId: string): Promise<Room | null> {
    const room = await this.store.getRoom(roomId);
    if (!room) return null;
    return decideRoomAccess(actor, room, 'see', await this.isMember(actor, room)) === 'ok'
      ? room
      : null;
  }

  private async isMember(actor: Actor, room: Room): Promise<boolean> {
    // Only private rooms have members worth asking about.
    if (actor.kind !== 'user' || room.visibility !== 'private' || !this.accounts) return false;
    return this.accounts.isMember(room.id, actor.userId);
  }
}
