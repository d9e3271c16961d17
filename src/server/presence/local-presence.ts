import type { Presence, PresenceChange } from './presence.js';

/** Presence for a single process. */
export class LocalPresence implements Presence {
  /** room -> username -> open connections; insertion order is join order. */
  private readonly rooms = new Map<string, Map<string, number>>();

  async init(): Promise<void> {}

  async join(roomId: string, username: string): Promise<PresenceChange> {
    let members = this.rooms.get(roomId);
    if (!members) {
      members = new Map();
      this.rooms.set(roomId, members);
    }
    const count = members.get(username) ?? 0;
    members.set(username, count + 1);
    return { changed: count === 0, users: [...members.keys()] };
  }

  async leave(roomId: string, username: string): Promise<PresenceChange> {
    const members = this.rooms.get(roomId);
    const count = members?.get(username) ?? 0;
    if (!members || count === 0)
      return { changed: false, users: members ? [...members.keys()] : [] };
    if (count > 1) {
      members.set(username, count - 1);
      return { changed: false, users: [...members.keys()] };
    }
    members.delete(username);
    if (members.size === 0) this.rooms.delete(roomId);
    return { changed: true, users: [...members.keys()] };
  }

  async users(roomId: string): Promise<string[]> {
    return [...(this.rooms.get(roomId)?.keys() ?? [])];
  }

  /** One process knows all its users: nothing ever needs repairing. */
  onRepair(): void {}

  roomCount(): number {
    return this.rooms.size;
  }

  async close(): Promise<void> {}
}
