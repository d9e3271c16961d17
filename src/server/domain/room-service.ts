import type { Message, Room } from '../../protocol/rest.js';
import { nameProblem } from '../../protocol/text-rules.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import { roomNotFound, validationFailed } from '../errors.js';
import type { ChatStore } from '../storage/chat-store.js';

const NAME_PROBLEMS = {
  empty: ['Room name must not be empty', 'string_too_short'],
  too_long: ['Room name is too long', 'string_too_long'],
  control_chars: ['Room name must not contain control characters', 'string_pattern_mismatch'],
} as const;

export class RoomService {
  constructor(
    private readonly store: ChatStore,
    private readonly bus: MessageBus,
    private readonly limits: Config['limits'],
  ) {}

  async create(rawName: string): Promise<Room> {
    const name = rawName.trim();
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

  /** The history epoch, for clients to resume with (see ChatStore.epoch). */
  epoch(): Promise<string> {
    return this.store.epoch();
  }

  /** Deletes the room and its messages, then tells every process so members are disconnected. */
  async delete(roomId: string): Promise<void> {
    if (!(await this.store.deleteRoom(roomId))) throw roomNotFound(roomId);
    await this.bus.publish({ type: 'room_deleted', roomId });
  }
}
