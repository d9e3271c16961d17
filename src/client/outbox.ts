// Messages written but not yet confirmed by the server's echo. They live in
// localStorage (one key per room), so a reload or a crash does not lose them, and
// each carries a client_id the server uses as an idempotency key: sending one twice
// (after a reconnect, or from two tabs) stores it once.
import type { AttachmentInfo } from '../protocol/attachment-text.js';
import type { ReplyPreview } from '../protocol/changes.js';
import { uuidv7 } from '../protocol/uuid7.js';
import { type KeyValueStore, readArray, removeKey, StorageKeys, writeArray } from './storage.js';

export type OutboxStatus = 'pending' | 'failed';

export interface OutboxItem {
  client_id: string;
  /** Who wrote it: a user who changes name does not send the old name's messages. */
  username: string;
  content: string;
  /** Files uploaded already, sent with the message (their ids); absent without files. */
  attachments?: AttachmentInfo[];
  /** The message it answers, as the composer showed it; absent when it answers none. */
  reply_to?: ReplyPreview;
  /** ISO 8601, when it was written. */
  created_at: string;
  status: OutboxStatus;
  /** Why it failed, for the person (only when `status` is 'failed'). */
  error?: string;
}

/**
 * A new idempotency key: time-ordered (UUIDv7), so the server's unique index on
 * client ids grows at its end instead of taking a random page per send.
 */
export function newClientId(): string {
  return uuidv7();
}

function isItem(v: unknown): v is OutboxItem {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.client_id === 'string' &&
    typeof o.username === 'string' &&
    typeof o.content === 'string' &&
    typeof o.created_at === 'string' &&
    (o.status === 'pending' || o.status === 'failed') &&
    (o.attachments === undefined ||
      (Array.isArray(o.attachments) &&
        o.attachments.every(
          (a: unknown) =>
            typeof a === 'object' &&
            a !== null &&
            typeof (a as AttachmentInfo).id === 'string' &&
            typeof (a as AttachmentInfo).url === 'string',
        ))) &&
    (o.reply_to === undefined ||
      (typeof o.reply_to === 'object' &&
        o.reply_to !== null &&
        typeof (o.reply_to as ReplyPreview).id === 'string'))
  );
}

/** The outbox of one room, as seen by one user. */
export class Outbox {
  readonly key: string;
  private all: OutboxItem[] = [];

  constructor(
    private readonly store: KeyValueStore,
    roomId: string,
    private readonly username: string,
  ) {
    this.key = StorageKeys.outbox(roomId);
    this.reload();
  }

  /** This user's items, oldest first. */
  items(): readonly OutboxItem[] {
    return this.all.filter((i) => i.username === this.username);
  }

  pending(): OutboxItem[] {
    return this.items().filter((i) => i.status === 'pending');
  }

  get(clientId: string): OutboxItem | undefined {
    return this.all.find((i) => i.client_id === clientId && i.username === this.username);
  }

  has(clientId: string): boolean {
    return this.get(clientId) !== undefined;
  }

  add(
    content: string,
    now = new Date(),
    attachments: readonly AttachmentInfo[] = [],
    replyTo?: ReplyPreview,
  ): OutboxItem {
    const item: OutboxItem = {
      client_id: newClientId(),
      username: this.username,
      content,
      created_at: now.toISOString(),
      status: 'pending',
    };
    if (attachments.length > 0) item.attachments = [...attachments];
    if (replyTo) item.reply_to = replyTo;
    this.all.push(item);
    this.save();
    return item;
  }

  /** Removes an item; returns whether it was there. */
  remove(clientId: string): boolean {
    const before = this.all.length;
    this.all = this.all.filter((i) => i.client_id !== clientId);
    if (this.all.length === before) return false;
    this.save();
    return true;
  }

  markFailed(clientId: string, error: string): void {
    const item = this.get(clientId);
    if (!item || item.status === 'failed') return;
    item.status = 'failed';
    item.error = error;
    this.save();
  }

  markPending(clientId: string): void {
    const item = this.get(clientId);
    if (!item || item.status === 'pending') return;
    item.status = 'pending';
    delete item.error;
    this.save();
  }

  /** Re-reads storage (another tab may have changed it). */
  reload(): void {
    this.all = readArray(this.store, this.key, isItem);
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
