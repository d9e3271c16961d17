import type { MessageBus } from '../bus/message-bus.js';
import type {
  Presence,
  PresenceChange,
  PresenceList,
  PresenceRepair,
} from '../presence/presence.js';
import type { Logger } from '../util/logger.js';

/**
 * Who is online in each room and who is typing, and the only publisher of the
 * events that tell a room so (`presence`, `user_list`, `typing`). A user with
 * several connections is one user: joined with the first, gone with the last
 * (the counting is the Presence backend's); users of a dead process leave with
 * notices when their process is swept. Every list goes out with its version, so
 * a member never sees the list go back to an older one (see RoomHub).
 */
export class RoomPresence {
  constructor(
    private readonly presence: Presence,
    private readonly bus: MessageBus,
    private readonly log: Logger,
  ) {
    presence.onRepair((repairs) => this.announceRepairs(repairs));
  }

  /**
   * Counts a connection in; the room hears of a user's first one. `counted` runs
   * once the join is counted and before the room hears of it: the joining member
   * takes the list's version there, so its own join's list reaches it and no
   * older list does.
   */
  async join(
    roomId: string,
    username: string,
    counted?: (change: PresenceChange) => void,
  ): Promise<PresenceChange> {
    const change = await this.presence.join(roomId, username);
    counted?.(change);
    if (change.changed) {
      await this.bus.publish({
        type: 'presence',
        roomId,
        change: 'join',
        username,
        users: change.users,
        version: change.version,
      });
    }
    return change;
  }

  /** Counts a connection out; the room hears of a user's last one. Never rejects. */
  async leave(roomId: string, username: string): Promise<void> {
    try {
      const change = await this.presence.leave(roomId, username);
      if (!change.changed) return;
      await this.bus.publish({
        type: 'presence',
        roomId,
        change: 'leave',
        username,
        users: change.users,
        version: change.version,
      });
    } catch (error) {
      this.log.error({ err: error, room: roomId }, 'leaving a room failed');
    }
  }

  async users(roomId: string): Promise<string[]> {
    return (await this.presence.list(roomId)).users;
  }

  list(roomId: string): Promise<PresenceList> {
    return this.presence.list(roomId);
  }

  /** Tells the room, except the typist's own connections, that `username` is typing. */
  typing(roomId: string, username: string, isTyping: boolean): Promise<void> {
    return this.bus.publish({ type: 'typing', roomId, username, isTyping });
  }

  /** Leave notices for swept users, or a fresh list after a rebuild; every room is tried. */
  private async announceRepairs(repairs: PresenceRepair[]): Promise<void> {
    let failure: unknown;
    for (const { roomId, gone, users, version, relist } of repairs) {
      const events = gone.map((username) =>
        this.bus.publish({ type: 'presence', roomId, change: 'leave', username, users, version }),
      );
      if (relist && gone.length === 0) {
        events.push(this.bus.publish({ type: 'user_list', roomId, users, version }));
      }
      await Promise.all(events).catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
  }
}
