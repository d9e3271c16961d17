import type { Message, Room } from '../../protocol/rest.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import { roomNotFound, validationFailed } from '../errors.js';
import type { ChatStore, RoomCursor } from '../storage/chat-store.js';
import type { RoomPurger } from './room-purger.js';

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

export class RoomService {
  constructor(
    private readonly store: ChatStore,
    private readonly bus: MessageBus,
    private readonly limits: Config['limits'],
    private readonly purger: RoomPurger,
  ) {}

  async create(rawName: string): Promise<Room> {
    const name = normalizeName(rawName);
    const problem = nameProblem(name, this.limits.maxRoomNameLength);
    if (problem) {
      const [msg, type] = NAME_PROBLEMS[problem];
      throw validationFailed(['body', 'name'], msg, type);
    }
    return this.store.createRoom(name);
  }

  list(): Promise<Room[]> {
    return this.store.listRooms();
  }

  /** Up to `limit` rooms after the cursor `after` (from the first without it), oldest first. */
  async page(limit: number, after?: string): Promise<RoomListPage> {
    let cursor: RoomCursor | undefined;
    if (after !== undefined) {
      cursor = decodeRoomCursor(after) ?? undefined;
      if (!cursor) throw validationFailed(['query', 'after'], 'Invalid cursor', 'value_error');
    }
    const page = await this.store.listRoomsPage(limit, cursor);
    return { rooms: page.rooms, next: page.next ? encodeRoomCursor(page.next) : null };
  }

  /**
   * A page of a room's history, oldest first: the newest `limit` messages (before
   * `before`), the first `limit` after `after`, or a window around `around`.
   */
  async history(
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
    if (!(await this.store.getRoom(roomId))) throw roomNotFound(roomId);
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
  async delete(roomId: string): Promise<void> {
    if (!(await this.store.deleteRoom(roomId))) throw roomNotFound(roomId);
    this.purger.kick();
    await this.bus.publish({ type: 'room_deleted', roomId });
  }
}
