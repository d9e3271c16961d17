import type { ChatStore } from '../storage/chat-store.js';

/**
 * Who is asking. Open mode has no accounts, so there is no one to name yet; the
 * accounts work fills this in (and `actorOf` in the routes).
 */
export interface Actor {
  username: string | null;
}

/**
 * The one rule for reading a room's files (downloads, and uploading into it).
 * The seam the accounts work wires to its membership rule for private rooms.
 */
export interface RoomAccess {
  mayReadRoom(actor: Actor | null, roomId: string): Promise<boolean>;
}

/** Open mode: anyone may read a room that exists (and is not deleted). */
export function openRoomAccess(store: Pick<ChatStore, 'getRoom'>): RoomAccess {
  return {
    async mayReadRoom(_actor, roomId) {
      return (await store.getRoom(roomId)) !== null;
    },
  };
}
