import type { Presence, PresenceChange, PresenceList } from './presence.js';

/** Presence for a single process. */
export class LocalPresence implements Presence {
  /** room -> username -> open connections; insertion order is join order. */
  private readonly rooms = new Map<string, Map<string, number>>();
  /** Bumped by every change of any room's list. */
  private version = 0;

  async init(): Promise<void> {}

  async join(roomId: string, username: string): Promise<PresenceChange> {
    let members = this.rooms.get(roomId);
    if (!members) {
      members = new Map();
      this.rooms.set(roomId, members);
    }
    const count = members.get(username) ?? 0;
    members.set(username, count + 1);
    return this.answer(members, count === 0);
  }

  async leave(roomId: string, username: string): Promise<PresenceChange> {
    const members = this.rooms.get(roomId);
    const count = members?.get(username) ?? 0;
    if (!members || count === 0) return this.answer(members, false);
    if (count > 1) {
      members.set(username, count - 1);
      return this.answer(members, false);
    }
    members.delete(username);
    if (members.size === 0) this.rooms.delete(roomId);
    return this.answer(members, true);
  }

  async list(roomId: string): Promise<PresenceList> {
    return { users: [...(this.rooms.get(roomId)?.keys() ?? [])], version: this.version };
  }

  private answer(members: Map<string, number> | undefined, changed: boolean): PresenceChange {
    if (changed) this.version++;
    return { changed, users: members ? [...members.keys()] : [], version: this.version };
  }

  /** One process knows all its users: nothing ever needs repairing. */
  onRepair(): void {}

  roomCount(): number {
    return this.rooms.size;
  }

  async close(): Promise<void> {}
}
