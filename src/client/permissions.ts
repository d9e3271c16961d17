// What the signed-in account may do with a room, as the server decides it (owner or
// admin), so the client only offers actions that will not be refused. In open mode
// (no account) everything stays offered, as before.
import type { RoomInfo, User } from './accounts.js';

/** Rename and delete: the room's creator or an admin; anyone in open mode. */
export function canManageRoom(me: User | null, room: RoomInfo): boolean {
  if (!me) return true;
  if (room.kind === 'dm') return me.role === 'admin';
  return me.role === 'admin' || (room.owner_id != null && room.owner_id === me.id);
}

/** Adding and removing members: private (non-DM) rooms only, by their owner or an admin. */
export function canManageMembers(me: User | null, room: RoomInfo): boolean {
  if (!me || !isPrivate(room) || room.kind === 'dm') return false;
  return me.role === 'admin' || (room.owner_id != null && room.owner_id === me.id);
}

export function isPrivate(room: RoomInfo): boolean {
  return room.visibility === 'private' || room.kind === 'dm';
}

/**
 * The name to show for a room. A DM is named after the other person: the server
 * either gives that name already, or a stable "a, b" form, from which we drop our own.
 */
export function roomDisplayName(room: RoomInfo, me: User | null): string {
  if (room.kind !== 'dm' || !me) return room.name;
  const parts = room.name.split(', ');
  if (parts.length === 2 && parts.includes(me.username)) {
    return parts[0] === me.username ? (parts[1] ?? room.name) : (parts[0] ?? room.name);
  }
  return room.name;
}
