import type { Message } from '../../protocol/rest.js';

/**
 * Events carried between server processes, one topic per room. Versioned and
 * tagged with the publishing node so a transport can drop its own echoes.
 */
export type BusEvent =
  | { type: 'message'; roomId: string; message: Message }
  | { type: 'typing'; roomId: string; username: string; isTyping: boolean }
  | {
      type: 'presence';
      roomId: string;
      change: 'join' | 'leave';
      username: string;
      users: string[];
    }
  /** The room's online list, re-announced after presence was repaired (no join or leave). */
  | { type: 'user_list'; roomId: string; users: string[] }
  | { type: 'room_deleted'; roomId: string };

export type BusEventType = BusEvent['type'];
