import type { Room } from '../../protocol/rest.js';
import type { Actor } from './actor.js';

/** What one may do to a message someone wrote (issue 11). */
export type MessageAction = 'edit' | 'delete' | 'react';

/**
 * Who may change a message, the one rule for REST and WebSocket. Seeing the room
 * (room-access.ts) comes first; then:
 * - editing: only the author;
 * - deleting: the author, and in accounts mode the room's owner and admins (a
 *   moderator removes what does not belong; they never put words in someone's mouth);
 * - reacting: everyone who may see the room.
 * Open mode has no accounts: the author is whoever gives the author's username,
 * that mode's trust model for everything.
 */
export function mayChangeMessage(
  actor: Actor,
  username: string,
  room: Room,
  author: string,
  action: MessageAction,
): boolean {
  switch (action) {
    case 'react':
      return true;
    case 'edit':
      return username === author;
    case 'delete':
      if (username === author) return true;
      if (actor.kind === 'open') return false;
      return actor.role === 'admin' || (room.owner_id !== null && room.owner_id === actor.userId);
  }
}

export const REFUSED_TEXT: Record<MessageAction, string> = {
  edit: 'Only the author may edit a message',
  delete: "Only the author (or the room's owner or an admin) may delete a message",
  react: 'Not allowed',
};
