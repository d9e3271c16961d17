/**
 * A room's online list and its version. Versions only grow, across every
 * process, so a list that arrives late (published by a slower process) is known
 * to be older than one already seen; lists with equal versions are equal.
 */
export interface PresenceList {
  users: string[];
  version: number;
}

/** Result of a presence change: whether the room's set of users changed, and that set. */
export interface PresenceChange extends PresenceList {
  changed: boolean;
}

/**
 * A room's online list changed without a join or leave on this process: users
 * of a dead process were swept, or the list was rebuilt after a Redis outage.
 * `relist`: announce `users` even when nobody left.
 */
export interface PresenceRepair extends PresenceList {
  roomId: string;
  /** Users no longer online anywhere. */
  gone: string[];
  relist: boolean;
}

export type RepairListener = (repairs: PresenceRepair[]) => Promise<void>;

/**
 * Who is online in each room. A user is counted once however many connections
 * (tabs) they have open: `join` reports a change only for the first connection,
 * `leave` only for the last.
 */
export interface Presence {
  /** Starts background work (heartbeats); called once before the first join. */
  init(): Promise<void>;
  join(roomId: string, username: string): Promise<PresenceChange>;
  leave(roomId: string, username: string): Promise<PresenceChange>;
  list(roomId: string): Promise<PresenceList>;
  /**
   * Tells `listener` about changes no local join or leave caused (see
   * PresenceRepair). One listener; the domain's RoomPresence announces them.
   */
  onRepair(listener: RepairListener): void;
  /** Rooms with at least one user (for metrics and leak checks). */
  roomCount(): number;
  /** Withdraws this process's users and stops background work. */
  close(): Promise<void>;
}
