import type { MessageChange } from '../../protocol/changes.js';
import type { Message } from '../../protocol/rest.js';

/** The bus topic of account events (not a room: room ids are UUIDs). */
export const ACCOUNTS_TOPIC = '@accounts';

/**
 * Events carried between server processes, one topic per room. Versioned and
 * tagged with the publishing node so a transport can drop its own echoes.
 */
export type BusEvent =
  | { type: 'message'; roomId: string; message: Message }
  /** An edit, delete or reaction: an entry of the room's log, ordered with messages by `seq`. */
  | { type: 'change'; roomId: string; change: MessageChange }
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
  | { type: 'room_deleted'; roomId: string }
  /** Accounts mode: an account left a private room; its sockets there close with 4011. */
  | { type: 'member_removed'; roomId: string; userId: string }
  /**
   * Accounts mode, on ACCOUNTS_TOPIC: sessions or tokens ended (logout, revocation,
   * password change), or every credential of the account (`credentialIds` absent:
   * deactivation). Sockets opened with them close with 4003.
   */
  | { type: 'credentials_revoked'; roomId: string; userId: string; credentialIds?: string[] };

export type BusEventType = BusEvent['type'];

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function isMessage(v: unknown): v is Message {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    isString(m.id) &&
    isString(m.room_id) &&
    isString(m.username) &&
    isString(m.content) &&
    isString(m.timestamp) &&
    Number.isSafeInteger(m.seq) &&
    (m.seq as number) > 0 &&
    (m.client_id === undefined || isString(m.client_id)) &&
    (m.attachments === undefined ||
      (Array.isArray(m.attachments) &&
        m.attachments.every((a) => typeof a === 'object' && a !== null && isString(a.url))))
  );
}

const CHANGE_KINDS: ReadonlySet<unknown> = new Set(['edit', 'delete', 'react', 'unreact']);

function isChange(v: unknown): v is MessageChange {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    isString(c.id) &&
    isString(c.room_id) &&
    isString(c.message_id) &&
    isString(c.username) &&
    isString(c.timestamp) &&
    CHANGE_KINDS.has(c.kind) &&
    Number.isSafeInteger(c.seq) &&
    (c.seq as number) > 0 &&
    (c.content === undefined || isString(c.content)) &&
    (c.emoji === undefined || isString(c.emoji)) &&
    (c.client_id === undefined || isString(c.client_id))
  );
}

/**
 * Whether a value read off a shared transport (Redis) is a well-formed event. A
 * malformed one would fail later, inside delivery and its asynchronous gap
 * filling, where no caller is left to catch it; it is dropped here instead.
 */
export function isBusEvent(value: unknown): value is BusEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  if (!isString(e.roomId)) return false;
  switch (e.type) {
    case 'message':
      return isMessage(e.message);
    case 'change':
      return isChange(e.change);
    case 'typing':
      return isString(e.username) && typeof e.isTyping === 'boolean';
    case 'presence':
      return (
        (e.change === 'join' || e.change === 'leave') &&
        isString(e.username) &&
        isStringList(e.users)
      );
    case 'user_list':
      return isStringList(e.users);
    case 'room_deleted':
      return true;
    case 'member_removed':
      return isString(e.userId);
    case 'credentials_revoked':
      return isString(e.userId) && (e.credentialIds === undefined || isStringList(e.credentialIds));
    default:
      return false;
  }
}
