/** Result of a presence change: whether the room's set of users changed, and that set. */
export interface PresenceChange {
  changed: boolean;
  users: string[];
}

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
  users(roomId: string): Promise<string[]>;
  /** Rooms with at least one user (for metrics and leak checks). */
  roomCount(): number;
  /** Withdraws this process's users and stops background work. */
  close(): Promise<void>;
}
