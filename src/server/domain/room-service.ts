import type { Message, Room } from '../../protocol/rest.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import { roomNotFound, validationFailed } from '../errors.js';
import type { ChatStore } from '../storage/chat-store.js';
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

  async history(roomId: string, limit: number, beforeSeq?: number): Promise<Message[]> {
    if (limit > this.limits.maxHistoryLimit) {
      throw validationFailed(
        ['query', 'limit'],
        `limit must be at most ${this.limits.maxHistoryLimit}`,
        'less_than_equal',
      );
    }
    if (!(await this.store.getRoom(roomId))) throw roomNotFound(roomId);
    return this.store.recentMessages(roomId, limit, beforeSeq);
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
