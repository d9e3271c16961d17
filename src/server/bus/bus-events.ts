import type { Static } from '@sinclair/typebox';
import type { MessageChange } from '../../protocol/changes.js';
import type { Message, Room } from '../../protocol/rest.js';
import type { SidebarRoom, WorkspaceEventData } from '../../protocol/workspace.js';
import { readerTopic } from '../domain/reader.js';

/** The bus topic of account events (not a room: room ids are UUIDs). */
export const ACCOUNTS_TOPIC = '@accounts';

/** The bus topic of the pushed room list (created, renamed, deleted rooms). */
export const ROOMS_TOPIC = 'rooms';

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
      /** The list's version (presence/presence.ts): an older list never replaces a newer one. */
      version: number;
    }
  /** The room's online list, re-announced after presence was repaired (no join or leave). */
  | { type: 'user_list'; roomId: string; users: string[]; version: number }
  | { type: 'room_deleted'; roomId: string }
  /** Accounts mode: an account left a private room; its sockets there close with 4011. */
  | { type: 'member_removed'; roomId: string; userId: string }
  /**
   * Accounts mode, on ACCOUNTS_TOPIC: sessions or tokens ended (logout, revocation,
   * password change), or every credential of the account (`credentialIds` absent:
   * deactivation). Sockets opened with them close with 4003.
   */
  | { type: 'credentials_revoked'; roomId: string; userId: string; credentialIds?: string[] }
  /**
   * On ROOMS_TOPIC: a room was created, renamed or deleted. `members` are the
   * account ids that may see a private room (null: a public room, everyone may).
   */
  | {
      type: 'room_listed';
      roomId: string;
      change: 'created' | 'updated' | 'removed';
      room: Room;
      members: string[] | null;
    }
  /**
   * A reader's sidebar or read state changed, on the reader's topic
   * (`roomId` = `reader:<key>`, domain/reader.ts): the workspace sockets of that
   * reader, on every process, forward `frame`.
   */
  | { type: 'reader'; roomId: string; reader: string; frame: ReaderFrame };

export type BusEventType = BusEvent['type'];

/** A reader's read position and notify level in one room (the `read_state` frame's data). */
export type ReadState = Static<typeof WorkspaceEventData.read_state>;

/** A workspace frame for one reader's sockets, forwarded as it is (`{type, data}`). */
export type ReaderFrame =
  | { type: 'sidebar_added'; data: SidebarRoom }
  | { type: 'sidebar_removed'; data: { room_id: string } }
  | { type: 'read_state'; data: ReadState };

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isVersion = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isRoom(v: unknown): v is Room {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return isString(r.id) && isString(r.name) && isString(r.created_at);
}

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

const isSeq = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isNotify = (v: unknown): boolean => v === 'all' || v === 'mentions' || v === 'none';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function isReaderFrame(v: unknown): v is ReaderFrame {
  if (!isObject(v) || !isObject(v.data)) return false;
  const d = v.data;
  switch (v.type) {
    case 'sidebar_added':
      return (
        isObject(d.room) &&
        isString(d.room.id) &&
        isString(d.room.name) &&
        isSeq(d.last_read_seq) &&
        isSeq(d.latest_seq) &&
        isSeq(d.unread) &&
        isSeq(d.mentions) &&
        isNotify(d.notify)
      );
    case 'sidebar_removed':
      return isString(d.room_id);
    case 'read_state':
      return isString(d.room_id) && isSeq(d.last_read_seq) && isNotify(d.notify);
    default:
      return false;
  }
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
        isStringList(e.users) &&
        isVersion(e.version)
      );
    case 'user_list':
      return isStringList(e.users) && isVersion(e.version);
    case 'room_deleted':
      return true;
    case 'member_removed':
      return isString(e.userId);
    case 'credentials_revoked':
      return isString(e.userId) && (e.credentialIds === undefined || isStringList(e.credentialIds));
    case 'room_listed':
      return (
        e.roomId === ROOMS_TOPIC &&
        (e.change === 'created' || e.change === 'updated' || e.change === 'removed') &&
        isRoom(e.room) &&
        (e.members === null || isStringList(e.members))
      );
    case 'reader':
      // Only on its own reader's topic: a frame never reaches another reader.
      return isString(e.reader) && e.roomId === readerTopic(e.reader) && isReaderFrame(e.frame);
    default:
      return false;
  }
}
