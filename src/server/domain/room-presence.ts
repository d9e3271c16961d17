import type { MessageBus } from '../bus/message-bus.js';
import type { Presence, PresenceChange, PresenceRepair } from '../presence/presence.js';
import type { Logger } from '../util/logger.js';

/**
 * Who is online in each room and who is typing, and the only publisher of the
 * events that tell a room so (`presence`, `user_list`, `typing`). A user with
 * several connections is one user: joined with the first, gone with the last
 * (the counting is the Presence backend's); users of a dead process leave with
 * notices when their process is swept.
 */
export class RoomPresence {
  constructor(
    private readonly presence: Presence,
    private readonly bus: MessageBus,
    private readonly log: Logger,
  ) {
    presence.onRepair((repairs) => this.announceRepairs(repairs));
  }

  /** Counts a connection in; the room hears of a user's first one. */
  async join(roomId: string, username: string): Promise<PresenceChange> {
    const change = await this.presence.join(roomId, username);
    if (change.changed) {
      await this.bus.publish({
        type: 'presence',
        roomId,
        change: 'join',
        username,
        users: change.users,
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
      });
    } catch (error) {
      this.log.error({ err: error, room: roomId }, 'leaving a room failed');
    }
  }

  users(roomId: string): Promise<string[]> {
    return this.presence.users(roomId);
  }

  /** Tells the room, except the typist's own connections, that `username` is typing. */
  typing(roomId: string, username: string, isTyping: boolean): Promise<void> {
    return this.bus.publish({ type: 'typing', roomId, username, isTyping });
  }

  /** Leave notices for swept users, or a fresh list after a rebuild; every room is tried. */
  private async announceRepairs(repairs: PresenceRepair[]): Promise<void> {
    let failure: unknown;
    for (const { roomId, gone, users, relist } of repairs) {
      const events = gone.map((username) =>
        this.bus.publish({ type: 'presence', roomId, change: 'leave', username, users }),
      );
      if (relist && gone.length === 0) {
        events.push(this.bus.publish({ type: 'user_list', roomId, users }));
      }
      await Promise.all(events).catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
  }
}
