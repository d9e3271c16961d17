// Our edits, deletes and reactions not yet confirmed by the server, kept in
// localStorage (one key per room) like the message outbox, so ones made offline
// survive a reload and go out once the connection is back. Each carries a
// client_id the server uses as an idempotency key: resending after a reconnect
// (or from a second tab) applies it once.
import { newClientId } from './outbox.js';
import { type KeyValueStore, readArray, removeKey, StorageKeys, writeArray } from './storage.js';

interface PendingBase {
  client_id: string;
  /** Who made it: a user who changes name does not send the old name's changes. */
  username: string;
  message_id: string;
  /** ISO 8601, when it was made (shown as the edit time until the server's comes). */
  created_at: string;
}

export type PendingChange = PendingBase &
  (
    | { kind: 'edit'; content: string }
    | { kind: 'delete' }
    | { kind: 'react'; emoji: string; on: boolean }
  );

/** What a caller asks for; the outbox adds the bookkeeping. */
export type ChangeRequest =
  | { kind: 'edit'; message_id: string; content: string }
  | { kind: 'delete'; message_id: string }
  | { kind: 'react'; message_id: string; emoji: string; on: boolean };

function isPending(v: unknown): v is PendingChange {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (
    typeof o.client_id !== 'string' ||
    typeof o.username !== 'string' ||
    typeof o.message_id !== 'string' ||
    typeof o.created_at !== 'string'
  ) {
    return false;
  }
  switch (o.kind) {
    case 'edit':
      return typeof o.content === 'string';
    case 'delete':
      return true;
    case 'react':
      return typeof o.emoji === 'string' && typeof o.on === 'boolean';
    default:
      return false;
  }
}

/** The pending changes of one room, as seen by one user, oldest first. */
export class ChangeOutbox {
  readonly key: string;
  private all: PendingChange[] = [];

  constructor(
    private readonly store: KeyValueStore,
    roomId: string,
    private readonly username: string,
  ) {
    this.key = StorageKeys.changes(roomId);
    this.reload();
  }

  items(): readonly PendingChange[] {
    return this.all.filter((c) => c.username === this.username);
  }

  has(clientId: string): boolean {
    return this.all.some((c) => c.client_id === clientId && c.username === this.username);
  }

  add(req: ChangeRequest, now = new Date()): PendingChange {
    const item = {
      ...req,
      client_id: newClientId(),
      username: this.username,
      created_at: now.toISOString(),
    } as PendingChange;
    this.all.push(item);
    this.save();
    return item;
  }

  /** Removes an item; returns whether it was there. */
  remove(clientId: string): PendingChange | undefined {
    const item = this.all.find((c) => c.client_id === clientId && c.username === this.username);
    if (!item) return undefined;
    this.all = this.all.filter((c) => c !== item);
    this.save();
    return item;
  }

  /** Re-reads storage (another tab may have changed it). */
  reload(): void {
    this.all = readArray(this.store, this.key, isPending);
  }

  /** Drops every item of the room (it was deleted). */
  destroy(): void {
    this.all = [];
    removeKey(this.store, this.key);
  }

  private save(): void {
    writeArray(this.store, this.key, this.all);
  }
}
